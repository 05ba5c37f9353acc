package contract_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mediaauth/mediaauth/mediaauthtest"
)

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
				next:      newLoopbackTransport(),
				index:     index,
				contracts: map[string]*contractFile{hostOf(t, tc.base): register.Contract},
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
