//go:build contract

// The contract tests check, with the Prism validator (@stoplight/prism-cli),
// that what the SDK sends and what mediaauthtest answers match the API
// contracts in ../shared/specs. Run them with
//
//	bash scripts/contract.sh
//
// which installs a pinned Prism and runs
// go test -tags contract -run '^TestContract' with MEDIAAUTH_PRISM set.
// Outside CI they skip when Prism or the contracts are missing; with CI=true
// they fail instead.

package mediaauth_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mediaauth/mediaauth"
	"github.com/mediaauth/mediaauth/mediaauthtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestContract starts Prism's mock of each contract and Prism's proxy in
// front of each API of mediaauthtest, all at once, then runs every call
// of the SDK through them, checks the checker itself, and checks that
// every wrapped operation was covered.
func TestContract(t *testing.T) {
	env := requirePrism(t)
	index := loadSpecs(t, env)

	// The fake's clock moves only when a flow advances it, so TVmaze's
	// 10-second poll interval is kept without waiting.
	clock := newFakeClock(time.Now())
	srv := mediaauthtest.NewServer(fakeOptions(clock)...)
	t.Cleanup(srv.Close)
	// An upstream that breaks the Movies contract, for the checker's own test.
	broken := httptest.NewServer(brokenMoviesAPI())
	t.Cleanup(broken.Close)

	procs := startPrisms(t, env,
		prismArgs{"movies mock", []string{"mock", "--errors", env.spec(moviesSpec)}},
		prismArgs{"tvmaze mock", []string{"mock", "--errors", env.spec(tvmazeSpec)}},
		prismArgs{"tmdb mock", []string{"mock", "--errors", env.spec(tmdbSpec)}},
		prismArgs{"movies proxy", []string{"proxy", "--errors", env.spec(moviesSpec), srv.MoviesURL()}},
		// The TVmaze contract's paths have no /v1 prefix: the upstream has it.
		prismArgs{"tvmaze proxy", []string{"proxy", "--errors", env.spec(tvmazeSpec), srv.TVmazeURL()}},
		// The TMDb contract's paths start with /3: the upstream is the root.
		prismArgs{"tmdb proxy", []string{"proxy", "--errors", env.spec(tmdbSpec), srv.URL}},
		// Stopped early by the lifecycle test, after the checker's test.
		prismArgs{"broken proxy", []string{"proxy", "--errors", env.spec(moviesSpec), broken.URL}},
	)
	mocks := prismURLs{movies: procs[0].URL, tvmaze: procs[1].URL, tmdb: procs[2].URL}
	proxies := prismURLs{movies: procs[3].URL, tvmaze: procs[4].URL, tmdb: procs[5].URL}

	mockLog, proxyLog := newContractLog("mock"), newContractLog("proxy")
	t.Run("mock", func(t *testing.T) { testMock(t, index, mockLog, mocks) })
	t.Run("proxy", func(t *testing.T) { testProxy(t, index, proxyLog, proxies, srv, clock) })
	t.Run("checker", func(t *testing.T) { testChecker(t, index, mocks.movies, proxies.movies, procs[6].URL, srv) })
	t.Run("lifecycle", func(t *testing.T) { testLifecycle(t, procs[6]) })
	t.Run("coverage", func(t *testing.T) { testCoverage(t, index, mockLog, proxyLog) })
}

// testLifecycle checks that stopping a Prism ends its process group and
// frees its port, as every Prism is stopped when the tests end.
func testLifecycle(t *testing.T, p *prismProc) {
	require.NoError(t, p.waitListening(time.Second), "not listening before the stop")
	p.stop()
	select {
	case <-p.exited:
	default:
		t.Fatal("stop returned while the process still runs")
	}
	t.Logf("prism %s ended: %v", p.name, p.err)
	assert.True(t, groupGone(p.cmd), "processes left in the group of pid %d", p.cmd.Process.Pid)
	conn, err := net.DialTimeout("tcp", hostOf(t, p.URL), time.Second)
	if err == nil {
		conn.Close()
	}
	assert.Error(t, err, "port still open after the stop")
}

// testCoverage fails unless every wrapped operation went through both the
// mocks and the proxies, and every documented status through the mocks.
func testCoverage(t *testing.T, index *specIndex, mock, proxy *contractLog) {
	var (
		mockOps, proxyOps           int
		mockStatuses, totalStatuses int
		proxyStatuses               int
		lines                       []string
	)
	for _, op := range index.ops {
		ms, ps := mock.statuses(op), proxy.statuses(op)
		totalStatuses += len(op.Statuses)
		if len(ms) > 0 {
			mockOps++
		}
		if len(ps) > 0 {
			proxyOps++
		}
		proxyStatuses += len(ps)
		for _, s := range op.Statuses {
			if containsInt(ms, s) {
				mockStatuses++
			} else {
				t.Errorf("mock: %v: documented status %d not exercised", op, s)
			}
		}
		assert.NotEmpty(t, ms, "mock: %v not exercised", op)
		assert.NotEmpty(t, ps, "proxy: %v not exercised", op)
		lines = append(lines, fmt.Sprintf("  %-48s mock %v  proxy %v", op.String(), ms, ps))
	}
	assert.Equal(t, wrappedOperations, mockOps, "operations exercised through the mocks")
	assert.Equal(t, wrappedOperations, proxyOps, "operations exercised through the proxies")
	t.Logf("contract coverage: %d operations wrapped by the SDK (movies 10, tvmaze 3, tmdb 7)\n"+
		"  mock:  %d/%d operations, %d/%d documented statuses\n"+
		"  proxy: %d/%d operations, %d operation statuses from mediaauthtest\n%s",
		len(index.ops), mockOps, len(index.ops), mockStatuses, totalStatuses,
		proxyOps, len(index.ops), proxyStatuses, strings.Join(lines, "\n"))
}

func containsInt(list []int, v int) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// testChecker shows that the checks catch a broken contract: a request
// built by hand without a required field, sent through the same transport
// to the mock and to the proxy, and a proxied answer without required
// fields. Each must be reported, and the report must fail a test.
func testChecker(t *testing.T, index *specIndex, mockURL, proxyURL, brokenProxyURL string, srv *mediaauthtest.Server) {
	register := index.op(t, "register")
	profile := index.op(t, "getProfile")
	send := func(t *testing.T, rt *checkingTransport, method, target, body string, header http.Header) []exchange {
		t.Helper()
		ctx, p := withProbe(t.Context())
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, method, target, strings.NewReader(body))
		require.NoError(t, err)
		for k, vs := range header {
			req.Header[k] = vs
		}
		resp, err := (&http.Client{Transport: rt}).Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return p.list()
	}
	jsonHeader := http.Header{"Content-Type": {"application/json"}, "Accept": {"application/json"}}
	// The body lacks the required password.
	badRegister := `{"username":"contract_user","email":"contract@example.com"}`

	for _, tc := range []struct {
		name, base, method, path, body string
		header                         http.Header
		op                             *specOp
		want                           string // in the report
	}{
		{"mock request", mockURL, http.MethodPost, "/register", badRegister, jsonHeader, register, "password"},
		{"proxy request", proxyURL, http.MethodPost, "/register", badRegister, jsonHeader, register, "password"},
		{"proxy response", brokenProxyURL, http.MethodGet, "/user/profile", "",
			http.Header{"Authorization": {"Bearer contract-access-token"}, "Accept": {"application/json"}}, profile, "email_verified"},
		{"unknown path", mockURL, http.MethodGet, "/user/settings", "", jsonHeader, nil, "no operation"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := srv.RequestCount(tc.method, tc.path)
			rt := &checkingTransport{
				next:  newLoopbackTransport(),
				index: index,
				apis:  map[string]mediaauth.API{hostOf(t, tc.base): mediaauth.APIMovies},
			}
			exs := send(t, rt, tc.method, tc.base+tc.path, tc.body, tc.header)
			require.Len(t, exs, 1)
			assert.Equal(t, tc.op, exs[0].Op)
			require.NotEmpty(t, exs[0].Violations, "Prism reported nothing")
			assert.Contains(t, strings.Join(exs[0].Violations, "\n"), tc.want)

			rec := &recordingReporter{}
			checkExchanges(rec, tc.name, exs, tc.op)
			assert.True(t, rec.failed, "the check did not fail the test")
			if tc.name == "proxy request" {
				// Prism refused it: the fake never saw the request.
				assert.Equal(t, before, srv.RequestCount(tc.method, tc.path))
			}
		})
	}
}

// recordingReporter records whether a check reported a failure.
type recordingReporter struct {
	failed bool
	msgs   []string
}

func (r *recordingReporter) Helper() {}

func (r *recordingReporter) Errorf(format string, args ...any) {
	r.failed = true
	r.msgs = append(r.msgs, fmt.Sprintf(format, args...))
}

// brokenMoviesAPI answers GET /user/profile with a User that lacks the
// contract's required email and email_verified.
func brokenMoviesAPI() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"id":"usr_1","username":"contract_user"}`))
	})
}

// prismURLs are the URLs of three Prisms, one for each API: the mocks or
// the proxies.
type prismURLs struct {
	movies, tvmaze, tmdb string
}

// transport returns a checkingTransport for the three Prisms at u: it
// tells their APIs apart by host and records the exchanges in log.
func (u prismURLs) transport(t testing.TB, index *specIndex, log *contractLog) *checkingTransport {
	t.Helper()
	return &checkingTransport{
		next:  newLoopbackTransport(),
		index: index,
		apis: map[string]mediaauth.API{
			hostOf(t, u.movies): mediaauth.APIMovies,
			hostOf(t, u.tvmaze): mediaauth.APITVmaze,
			hostOf(t, u.tmdb):   mediaauth.APITMDb,
		},
		log: log,
	}
}

// newLoopbackTransport is a transport of its own for the Prisms, never
// through a proxy.
func newLoopbackTransport() *http.Transport {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	return tr
}

// hostOf returns the host:port of a URL.
func hostOf(t testing.TB, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	require.NoError(t, err)
	return u.Host
}
