package contract_test

import (
	"fmt"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/mediaauth/mediaauth"
)

// Contract files, relative to the specs folder.
const (
	moviesSpec      = "movies/movies-auth.openapi.yaml"
	tvmazeSpec      = "tvmaze/tvmaze-user-v1.openapi.yaml"
	tmdbSpec        = "tmdb/tmdb-auth-v3.openapi.yaml"
	tmdbV4Spec      = "tmdb/tmdb-auth-v4.openapi.yaml"
	tmdbAccountSpec = "tmdb/tmdb-account-v3.openapi.yaml"
)

// contractFile is one contract and how the tests cover it: which of its
// operations the SDK wraps, the SDK call of each (sent to Prism's mock of
// the contract once for every documented status), and a flow through
// Prism's proxy of the contract in front of mediaauthtest.
type contractFile struct {
	// name tells the contract apart in messages and subtest names.
	name string
	api  mediaauth.API
	// file is the contract, relative to the specs folder.
	file string
	// wraps reports whether the SDK wraps an operation of the file; nil
	// means every operation.
	wraps func(method, path string, tags []string) bool
	// want is how many operations of the file the SDK wraps.
	want int
	// cases are the SDK calls, one for each wrapped operation.
	cases func() []sdkCase
	// flow sends the SDK's calls through the proxy, so that each request
	// and each answer of mediaauthtest is checked against the contract.
	flow func(f flow)
}

// contractFiles lists the contracts the SDK is checked against. The SDK
// wraps every operation of the Movies and TMDb contracts (v3 and v4
// authentication, and the account of a session); of TVmaze's user API, the
// "auth" operations and the followed shows that the examples read through
// Client.Do (the rest of /user and /scrobble is reached the same way, and
// not listed here).
//
// A contract is one row here, the cases of its operations and a flow.
func contractFiles() []*contractFile {
	return []*contractFile{
		{name: "movies", api: mediaauth.APIMovies, file: moviesSpec, want: 10,
			cases: moviesCases, flow: moviesFlow},
		{name: "tvmaze", api: mediaauth.APITVmaze, file: tvmazeSpec, want: 4,
			wraps: tagOrOperation("auth", "GET /user/follows/shows"),
			cases: tvmazeCases, flow: tvmazeFlow},
		{name: "tmdb-auth-v3", api: mediaauth.APITMDb, file: tmdbSpec, want: 7,
			cases: tmdbCases, flow: tmdbFlow},
		{name: "tmdb-auth-v4", api: mediaauth.APITMDb, file: tmdbV4Spec, want: 3,
			cases: tmdbV4Cases, flow: tmdbV4Flow},
		{name: "tmdb-account-v3", api: mediaauth.APITMDb, file: tmdbAccountSpec, want: 2,
			cases: tmdbAccountCases, flow: tmdbAccountFlow},
	}
}

// tagOrOperation wraps the operations tagged tag and the operations
// listed as "METHOD path".
func tagOrOperation(tag string, ops ...string) func(method, path string, tags []string) bool {
	return func(method, path string, tags []string) bool {
		return slices.Contains(tags, tag) || slices.Contains(ops, method+" "+path)
	}
}

// specOp is one operation of a contract that the SDK wraps.
type specOp struct {
	Contract *contractFile
	API      mediaauth.API
	// ID is the contract's operationId, or "METHOD path" when it has none.
	ID string
	// Method (upper case) and Path (as the contract writes it, with its
	// {parameters}).
	Method string
	Path   string
	// Statuses are the documented response statuses, ascending.
	Statuses []int
}

func (o *specOp) String() string {
	if o == nil {
		return "<no operation>"
	}
	return o.Contract.name + " " + o.ID
}

// specIndex is every wrapped operation of the contracts.
type specIndex struct {
	contracts []*contractFile
	ops       []*specOp
	byID      map[string]*specOp
}

// lookup finds the operation of contract cf a request is for, or nil. A
// path without parameters wins over a template, as in OpenAPI.
func (ix *specIndex) lookup(cf *contractFile, method, path string) *specOp {
	var match *specOp
	for _, o := range ix.ops {
		if o.Contract != cf || o.Method != strings.ToUpper(method) {
			continue
		}
		if o.Path == path {
			return o
		}
		if match == nil && matchTemplate(o.Path, path) {
			match = o
		}
	}
	return match
}

// matchTemplate reports whether path matches an OpenAPI path template,
// each {parameter} standing for one non-empty segment.
func matchTemplate(template, path string) bool {
	ts, ps := strings.Split(template, "/"), strings.Split(path, "/")
	if len(ts) != len(ps) {
		return false
	}
	for i, seg := range ts {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			if ps[i] == "" {
				return false
			}
			continue
		}
		if seg != ps[i] {
			return false
		}
	}
	return true
}

// op returns the operation with that ID and fails the test if there is none.
func (ix *specIndex) op(t testing.TB, id string) *specOp {
	t.Helper()
	o := ix.byID[id]
	if o == nil {
		t.Fatalf("no wrapped operation %q in the contracts", id)
	}
	return o
}

// total is how many operations the SDK wraps, all contracts together.
func (ix *specIndex) total() int {
	n := 0
	for _, cf := range ix.contracts {
		n += cf.want
	}
	return n
}

// httpMethods are the operation keys of an OpenAPI path item.
var httpMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// loadSpecs reads the wrapped operations and their documented statuses
// from the contract files.
func loadSpecs(t testing.TB, env prismEnv) *specIndex {
	t.Helper()
	ix := &specIndex{contracts: contractFiles(), byID: map[string]*specOp{}}
	for _, cf := range ix.contracts {
		ops, err := parseContract(env.spec(cf.file), cf)
		if err != nil {
			t.Fatalf("reading %s: %v", cf.file, err)
		}
		if len(ops) != cf.want {
			t.Fatalf("%s: the SDK wraps %d operations of it, but %d match: %v", cf.file, cf.want, len(ops), ops)
		}
		for _, o := range ops {
			if ix.byID[o.ID] != nil {
				t.Fatalf("operation id %q appears twice", o.ID)
			}
			ix.ops = append(ix.ops, o)
			ix.byID[o.ID] = o
		}
	}
	if len(ix.ops) != ix.total() {
		t.Fatalf("the contracts have %d wrapped operations, want %d", len(ix.ops), ix.total())
	}
	return ix
}

// parseContract returns the operations of one contract file that the SDK
// wraps, in path and method order.
func parseContract(path string, cf *contractFile) ([]*specOp, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc struct {
		OpenAPI string                          `yaml:"openapi"`
		Paths   map[string]map[string]yaml.Node `yaml:"paths"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		return nil, fmt.Errorf("openapi %q, want 3.x", doc.OpenAPI)
	}
	paths := make([]string, 0, len(doc.Paths))
	for p := range doc.Paths {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	var ops []*specOp
	for _, p := range paths {
		item := doc.Paths[p]
		for _, m := range httpMethods {
			node, ok := item[m]
			if !ok {
				continue
			}
			var op struct {
				OperationID string               `yaml:"operationId"`
				Tags        []string             `yaml:"tags"`
				Responses   map[string]yaml.Node `yaml:"responses"`
			}
			if err := node.Decode(&op); err != nil {
				return nil, fmt.Errorf("%s %s: %w", m, p, err)
			}
			method := strings.ToUpper(m)
			if cf.wraps != nil && !cf.wraps(method, p, op.Tags) {
				continue
			}
			o := &specOp{Contract: cf, API: cf.api, ID: op.OperationID, Method: method, Path: p}
			if o.ID == "" {
				o.ID = method + " " + p
			}
			for code := range op.Responses {
				n, err := strconv.Atoi(code)
				if err != nil {
					return nil, fmt.Errorf("%s %s: response %q: only numeric statuses are handled", m, p, code)
				}
				o.Statuses = append(o.Statuses, n)
			}
			sort.Ints(o.Statuses)
			ops = append(ops, o)
		}
	}
	return ops, nil
}
