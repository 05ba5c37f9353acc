package contract_test

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mediaauth/mediaauth"
	"github.com/mediaauth/mediaauth/mediaauthtest"
)

// TestContract starts, all at once, Prism's mock of each contract and
// Prism's proxy of each contract in front of mediaauthtest, then runs every
// call of the SDK through them, checks the checker itself, and checks that
// every wrapped operation was covered.
func TestContract(t *testing.T) {
	env := requirePrism(t)
	index := loadSpecs(t, env)

	// The fake's clock moves only when a flow advances it, so TVmaze's
	// 10-second poll interval is kept without waiting.
	clock := mediaauthtest.NewClock(time.Now())
	srv := mediaauthtest.NewServer(mediaauthtest.WithClock(clock.Now))
	t.Cleanup(srv.Close)
	// An upstream that breaks the Movies contract, for the checker's own test.
	broken := httptest.NewServer(brokenMoviesAPI())
	t.Cleanup(broken.Close)

	var args []prismArgs
	for _, cf := range index.contracts {
		args = append(args, prismArgs{cf.name + " mock", []string{"mock", "--errors", env.spec(cf.file)}})
	}
	for _, cf := range index.contracts {
		args = append(args, prismArgs{cf.name + " proxy", []string{"proxy", "--errors", env.spec(cf.file), upstream(srv, cf.api)}})
	}
	// Stopped early by the lifecycle test, after the checker's test.
	args = append(args, prismArgs{"broken proxy", []string{"proxy", "--errors", env.spec(moviesSpec), broken.URL}})
	procs := startPrisms(t, env, args...)
	n := len(index.contracts)
	mocks, proxies := prismSet{}, prismSet{}
	for i, cf := range index.contracts {
		mocks[cf] = procs[i].URL
		proxies[cf] = procs[n+i].URL
	}
	brokenProxy := procs[2*n]
	movies := index.op(t, "register").Contract

	mockLog, proxyLog := newContractLog("mock"), newContractLog("proxy")
	t.Run("mock", func(t *testing.T) { testMock(t, index, mockLog, mocks) })
	t.Run("proxy", func(t *testing.T) { testProxy(t, index, proxyLog, proxies, srv, clock) })
	t.Run("checker", func(t *testing.T) {
		testChecker(t, index, mocks[movies], proxies[movies], brokenProxy.URL, srv)
	})
	t.Run("lifecycle", func(t *testing.T) { testLifecycle(t, brokenProxy) })
	t.Run("coverage", func(t *testing.T) { testCoverage(t, index, mockLog, proxyLog) })
}

// upstream is the URL of api in srv that a proxy of its contracts sends
// to. The TVmaze contract's paths have no /v1 prefix: the upstream has
// it. The TMDb contracts' paths start with /3 or /4: the upstream is the
// root.
func upstream(srv *mediaauthtest.Server, api mediaauth.API) string {
	switch api {
	case mediaauth.APIMovies:
		return srv.Movies.URL()
	case mediaauth.APITVmaze:
		return srv.TVmaze.URL()
	default:
		return srv.TMDb.URL()
	}
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
			if slices.Contains(ms, s) {
				mockStatuses++
			} else {
				t.Errorf("mock: %v: documented status %d not exercised", op, s)
			}
		}
		assert.NotEmpty(t, ms, "mock: %v not exercised", op)
		assert.NotEmpty(t, ps, "proxy: %v not exercised", op)
		lines = append(lines, fmt.Sprintf("  %-50s mock %v  proxy %v", op.String(), ms, ps))
	}
	perFile := make([]string, len(index.contracts))
	for i, cf := range index.contracts {
		perFile[i] = fmt.Sprintf("%s %d", cf.name, cf.want)
	}
	assert.Equal(t, index.total(), mockOps, "operations exercised through the mocks")
	assert.Equal(t, index.total(), proxyOps, "operations exercised through the proxies")
	t.Logf("contract coverage: %d operations wrapped by the SDK (%s)\n"+
		"  mock:  %d/%d operations, %d/%d documented statuses\n"+
		"  proxy: %d/%d operations, %d operation statuses from mediaauthtest\n%s",
		len(index.ops), strings.Join(perFile, ", "), mockOps, len(index.ops), mockStatuses, totalStatuses,
		proxyOps, len(index.ops), proxyStatuses, strings.Join(lines, "\n"))
}

// prismSet holds the URL of one Prism of each contract: the mocks or the
// proxies.
type prismSet map[*contractFile]string

// transport returns a checkingTransport for the Prisms of s: it tells
// their contracts apart by host and records the exchanges in log.
func (s prismSet) transport(t testing.TB, index *specIndex, log *contractLog) *checkingTransport {
	t.Helper()
	rt := &checkingTransport{
		next:      newLoopbackTransport(),
		index:     index,
		contracts: map[string]*contractFile{},
		log:       log,
	}
	for cf, u := range s {
		rt.contracts[hostOf(t, u)] = cf
	}
	return rt
}

// apiOptions point the client's API of cf at the Prism of s for cf. The
// TVmaze waits poll every fastPoll, which a loopback base URL allows.
func (s prismSet) apiOptions(cf *contractFile) []mediaauth.Option {
	u := s[cf]
	switch cf.api {
	case mediaauth.APIMovies:
		return []mediaauth.Option{mediaauth.WithMoviesBaseURL(u)}
	case mediaauth.APITVmaze:
		return []mediaauth.Option{mediaauth.WithTVmazeBaseURL(u)}
	default:
		// The root: the TMDb contracts' paths start with /3 or /4.
		return []mediaauth.Option{mediaauth.WithTMDbBaseURL(u)}
	}
}

// fastPoll is the poll interval of the waits the contract tests make,
// against loopback Prism servers.
var fastPoll = mediaauth.WithPollInterval(10 * time.Millisecond)

// tmdbClient returns a Client whose TMDb requests each go to the Prism of
// s for the contract of their operation, through rt, whatever contract the
// client's base URL names: a call made of requests of several TMDb
// contracts (a v4 login: /4/auth, then /3/authentication/session/convert/4)
// goes through the checks of each. opts set credentials.
func (s prismSet) tmdbClient(t testing.TB, index *specIndex, rt *checkingTransport, opts ...mediaauth.Option) *mediaauth.Client {
	t.Helper()
	router := &tmdbRouter{next: rt, index: index, hosts: map[*contractFile]string{}}
	var base string
	for _, cf := range index.contracts {
		if cf.api != mediaauth.APITMDb {
			continue
		}
		router.hosts[cf] = hostOf(t, s[cf])
		if base == "" {
			base = s[cf]
		}
	}
	require.NotEmpty(t, base, "no TMDb contract")
	return contractClient(t, router, append([]mediaauth.Option{mediaauth.WithTMDbBaseURL(base)}, opts...)...)
}

// tmdbRouter sends each request to the host of the TMDb contract that has
// its operation; a request of none goes where it was sent.
type tmdbRouter struct {
	next  http.RoundTripper
	index *specIndex
	hosts map[*contractFile]string
}

// RoundTrip implements http.RoundTripper.
func (r *tmdbRouter) RoundTrip(req *http.Request) (*http.Response, error) {
	for _, cf := range r.index.contracts {
		host, ok := r.hosts[cf]
		if !ok || r.index.lookup(cf, req.Method, req.URL.Path) == nil {
			continue
		}
		if req.URL.Host != host {
			req = req.Clone(req.Context())
			req.URL.Host, req.Host = host, ""
		}
		break
	}
	return r.next.RoundTrip(req)
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
