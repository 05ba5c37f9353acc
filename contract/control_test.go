package contract_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mediaauth/mediaauth/mediaauthtest"
)

// The control API of mediaauthtest, checked like the three APIs: Prism's
// mock of its OpenAPI document (the one the fake serves at
// /_fake/openapi.json) answers every documented status of every operation
// to a request built from the document's examples, and Prism's proxy of
// the document in front of a fake passes every operation of a test suite's
// session (control_flow_test.go) with no violation.

// controlToken is the fake's control token in these tests.
const controlToken = "contract-control-token"

// TestContractControl starts Prism's mock and proxy of the control API's
// document, runs every operation through both, and checks the coverage.
func TestContractControl(t *testing.T) {
	env := requirePrism(t)
	clock := mediaauthtest.NewClock(time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC))
	srv := mediaauthtest.NewServer(mediaauthtest.WithClock(clock.Now), mediaauthtest.WithControlToken(controlToken))
	t.Cleanup(srv.Close)
	docPath := servedControlDoc(t, srv)
	cf := &contractFile{name: "control", file: docPath}
	ops, err := parseContract(docPath, cf)
	require.NoError(t, err)
	cf.want = len(ops)
	index := &specIndex{contracts: []*contractFile{cf}, ops: ops, byID: map[string]*specOp{}}
	for _, o := range ops {
		index.byID[o.ID] = o
	}
	require.NotEmpty(t, ops, "the document's operations")

	// An upstream whose info lacks what the document requires, for the
	// checker's own test.
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"movies_url":"http://127.0.0.1:1"}`))
	}))
	t.Cleanup(broken.Close)
	procs := startPrisms(t, env,
		prismArgs{"control mock", []string{"mock", "--errors", docPath}},
		prismArgs{"control proxy", []string{"proxy", "--errors", docPath, srv.URL}},
		prismArgs{"broken control proxy", []string{"proxy", "--errors", docPath, broken.URL}})
	mockLog, proxyLog := newContractLog("mock"), newContractLog("proxy")
	t.Run("mock", func(t *testing.T) { testControlMock(t, index, mockLog, procs[0].URL, docPath) })
	t.Run("proxy", func(t *testing.T) {
		c := &controlSession{t: t, index: index, base: procs[1].URL, srv: srv}
		c.rt = (prismSet{cf: procs[1].URL}).transport(t, index, proxyLog)
		controlFlow(c)
	})
	t.Run("checker", func(t *testing.T) { testControlChecker(t, index, procs[2].URL) })
	t.Run("coverage", func(t *testing.T) { testControlCoverage(t, index, mockLog, proxyLog) })
}

// servedControlDoc fetches the OpenAPI document the fake serves, checks
// that it is the one of mediaauthtest.ControlOpenAPI, and writes it to a
// file for Prism.
func servedControlDoc(t *testing.T, srv *mediaauthtest.Server) string {
	t.Helper()
	resp, err := srv.HTTPClient().Get(srv.URL + mediaauthtest.ControlOpenAPIPath)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	doc, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.JSONEq(t, string(mediaauthtest.ControlOpenAPI()), string(doc))
	path := filepath.Join(t.TempDir(), "controlapi.openapi.json")
	require.NoError(t, os.WriteFile(path, doc, 0o600))
	return path
}

// controlExamples are the examples of one operation's request in the
// document: its path and query parameters, and its body.
type controlExamples struct {
	Parameters []struct {
		Name     string `json:"name"`
		In       string `json:"in"`
		Required bool   `json:"required"`
		Example  any    `json:"example"`
	} `json:"parameters"`
	RequestBody *struct {
		Content map[string]struct {
			Example json.RawMessage `json:"example"`
		} `json:"content"`
	} `json:"requestBody"`
}

// exampleRequest builds the request of op from the document's examples:
// its path with the example of each path parameter, the required query
// parameters, and the example body.
func exampleRequest(t *testing.T, doc map[string]map[string]controlExamples, op *specOp) (target, body string) {
	t.Helper()
	ex := doc[op.Path][strings.ToLower(op.Method)]
	target = op.Path
	q := url.Values{}
	for _, p := range ex.Parameters {
		v := fmt.Sprint(p.Example)
		switch {
		case p.In == "path":
			target = strings.ReplaceAll(target, "{"+p.Name+"}", url.PathEscape(v))
		case p.In == "query" && p.Required:
			require.NotNil(t, p.Example, "%v: no example of the required %s", op, p.Name)
			q.Set(p.Name, v)
		}
	}
	if len(q) > 0 {
		target += "?" + q.Encode()
	}
	if ex.RequestBody != nil {
		body = string(ex.RequestBody.Content["application/json"].Example)
		require.NotEmpty(t, body, "%v: no example body", op)
	}
	return target, body
}

// testControlMock sends the example request of every operation to
// Prism's mock, once for each documented status.
func testControlMock(t *testing.T, index *specIndex, log *contractLog, mockURL, docPath string) {
	data, err := os.ReadFile(docPath)
	require.NoError(t, err)
	var doc struct {
		Paths map[string]map[string]controlExamples `json:"paths"`
	}
	require.NoError(t, json.Unmarshal(data, &doc))
	rt := (prismSet{index.contracts[0]: mockURL}).transport(t, index, log)
	for _, op := range index.ops {
		target, body := exampleRequest(t, doc.Paths, op)
		for _, status := range op.Statuses {
			t.Run(op.ID+"/"+strconv.Itoa(status), func(t *testing.T) {
				statuses, _ := contractCall(t, op, status, func(ctx context.Context) error {
					_, err := sendControl(ctx, rt, op.Method, mockURL+target, body, controlToken)
					return err
				})
				assert.Equal(t, []int{status}, statuses)
			})
		}
	}
}

// sendControl sends one request with a JSON body (when not empty) and the
// control token (when not empty), and returns the answer's status and
// body.
func sendControl(ctx context.Context, rt http.RoundTripper, method, target, body, token string) (answer controlAnswer, err error) {
	req, err := http.NewRequestWithContext(ctx, method, target, strings.NewReader(body))
	if err != nil {
		return answer, err
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := (&http.Client{Transport: rt}).Do(req)
	if err != nil {
		return answer, err
	}
	defer resp.Body.Close()
	answer.status = resp.StatusCode
	answer.body, err = io.ReadAll(resp.Body)
	return answer, err
}

// testControlChecker shows that the proxy checks the fake's answers
// against the document: an answer without the required fields is
// reported, and the report fails a test.
func testControlChecker(t *testing.T, index *specIndex, brokenURL string) {
	rt := (prismSet{index.contracts[0]: brokenURL}).transport(t, index, nil)
	ctx, p := withProbe(t.Context())
	_, err := sendControl(ctx, rt, http.MethodGet, brokenURL+"/_fake/info", "", controlToken)
	require.NoError(t, err)
	exs := p.list()
	require.Len(t, exs, 1)
	assert.Equal(t, index.op(t, "getInfo"), exs[0].Op)
	assert.Contains(t, strings.Join(exs[0].Violations, "\n"), "tvmaze_url")
	rec := &recordingReporter{}
	checkExchanges(rec, "broken info", exs, index.op(t, "getInfo"))
	assert.True(t, rec.failed, "the check did not fail the test")
}

// controlAnswer is an answer of the control API.
type controlAnswer struct {
	status int
	body   []byte
}

// testControlCoverage fails unless every operation went through the
// proxy, and every documented status of every operation through the mock.
func testControlCoverage(t *testing.T, index *specIndex, mock, proxy *contractLog) {
	var lines []string
	proxyStatuses := 0
	for _, op := range index.ops {
		ms, ps := mock.statuses(op), proxy.statuses(op)
		assert.Equal(t, op.Statuses, ms, "mock: %v: documented statuses exercised", op)
		assert.NotEmpty(t, ps, "proxy: %v not exercised", op)
		proxyStatuses += len(ps)
		lines = append(lines, fmt.Sprintf("  %-24s %-44s mock %-18s proxy %v", op.ID, op.Method+" "+strings.TrimPrefix(op.Path, "/_fake"), fmt.Sprint(ms), ps))
	}
	slices.Sort(lines)
	t.Logf("control API coverage: %d operations; mock: every documented status; proxy: %d operation statuses from mediaauthtest, 0 violations\n%s",
		len(index.ops), proxyStatuses, strings.Join(lines, "\n"))
}
