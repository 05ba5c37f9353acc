//go:build contract

package mediaauth_test

import (
	"fmt"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/mediaauth/mediaauth"
	"go.yaml.in/yaml/v3"
)

// specOp is one operation of a contract that the SDK wraps.
type specOp struct {
	API mediaauth.API
	// ID is the contract's operationId, or "METHOD path" when it has none.
	ID string
	// Method (upper case) and Path (as the contract writes it).
	Method string
	Path   string
	// Statuses are the documented response statuses, ascending.
	Statuses []int
}

func (o *specOp) String() string {
	if o == nil {
		return "<no operation>"
	}
	return fmt.Sprintf("%s %s", o.API, o.ID)
}

// contractFile says which operations of a contract the SDK wraps.
type contractFile struct {
	api  mediaauth.API
	file string
	// wraps reports whether the SDK wraps the operation.
	wraps func(path string, tags []string) bool
	// want is how many operations of the file the SDK wraps.
	want int
}

// contractFiles lists the three contracts. The SDK wraps every operation
// of the Movies and TMDb contracts, and the "auth" operations of TVmaze's
// user API (the /user and /scrobble operations are out of its scope).
func contractFiles() []contractFile {
	all := func(string, []string) bool { return true }
	return []contractFile{
		{api: mediaauth.APIMovies, file: moviesSpec, wraps: all, want: 10},
		{api: mediaauth.APITVmaze, file: tvmazeSpec, want: 3, wraps: func(_ string, tags []string) bool {
			return slices.Contains(tags, "auth")
		}},
		{api: mediaauth.APITMDb, file: tmdbSpec, wraps: all, want: 7},
	}
}

// wrappedOperations is the total the SDK wraps: 10 + 3 + 7.
const wrappedOperations = 20

// specIndex is every wrapped operation of the three contracts.
type specIndex struct {
	ops   []*specOp
	byKey map[string]*specOp
	byID  map[string]*specOp
}

func opKey(api mediaauth.API, method, path string) string {
	return string(api) + " " + strings.ToUpper(method) + " " + path
}

// lookup finds the operation a request is for, or nil.
func (ix *specIndex) lookup(api mediaauth.API, method, path string) *specOp {
	return ix.byKey[opKey(api, method, path)]
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

// httpMethods are the operation keys of an OpenAPI path item.
var httpMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// loadSpecs reads the wrapped operations and their documented statuses
// from the contract files.
func loadSpecs(t testing.TB, env prismEnv) *specIndex {
	t.Helper()
	ix := &specIndex{byKey: map[string]*specOp{}, byID: map[string]*specOp{}}
	for _, cf := range contractFiles() {
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
			ix.byKey[opKey(o.API, o.Method, o.Path)] = o
			ix.byID[o.ID] = o
		}
	}
	if len(ix.ops) != wrappedOperations {
		t.Fatalf("the contracts have %d wrapped operations, want %d", len(ix.ops), wrappedOperations)
	}
	return ix
}

// parseContract returns the operations of one contract file that the SDK
// wraps, in path and method order.
func parseContract(path string, cf contractFile) ([]*specOp, error) {
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
			if !cf.wraps(p, op.Tags) {
				continue
			}
			o := &specOp{API: cf.api, ID: op.OperationID, Method: strings.ToUpper(m), Path: p}
			if o.ID == "" {
				o.ID = o.Method + " " + p
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
