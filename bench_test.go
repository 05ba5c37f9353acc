package mediaauth_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/mediaauth/mediaauth"
)

// The SDK's calls against hand-written net/http + encoding/json code doing
// the same request, in the same run. Each benchmark has the pairs
//
//	BenchmarkX/sdk/background      BenchmarkX/nethttp/background
//	BenchmarkX/sdk/cancellable     BenchmarkX/nethttp/cancellable
//
// run one after the other: with context.Background(), and with a context
// that can be cancelled (and has no deadline). Both sides talk to the same
// loopback server, which checks that the request is the one the SDK sends
// (method, path, query, headers, body) and answers a fixed body; both have
// a per-attempt timeout of DefaultTimeout (the SDK's default, and
// http.Client.Timeout in the baseline) on a transport set up alike; both
// check the status, decode the same answer into an equivalent struct and
// check a field of it. The SDK's client-side rate limits are off.
// scripts/bench.sh runs them and prints the ratios.

// benchBaselineFirst runs the baseline of each pair before the SDK's call;
// scripts/bench.sh alternates the order from one round to the next.
var benchBaselineFirst = os.Getenv("MEDIAAUTH_BENCH_BASELINE_FIRST") != ""

// benchWarmup is how many calls each side makes before it is measured.
const benchWarmup = 200

// benchSide is one side of a pair: its name and its call.
type benchSide struct {
	name string
	call func(context.Context) error
}

// benchSides returns the two sides in the order they run.
func benchSides(sdk, nethttp func(context.Context) error) []benchSide {
	if benchBaselineFirst {
		return []benchSide{{"nethttp", nethttp}, {"sdk", sdk}}
	}
	return []benchSide{{"sdk", sdk}, {"nethttp", nethttp}}
}

// benchPair runs sdk and its baseline nethttp as the four sub-benchmarks
// above. Each function does one call and reports whether it got the
// expected answer.
func benchPair(b *testing.B, sdk, nethttp func(context.Context) error) {
	cancellable, cancel := context.WithCancel(context.Background())
	defer cancel()
	for _, cc := range []struct {
		name string
		ctx  context.Context
	}{{"background", context.Background()}, {"cancellable", cancellable}} {
		for _, side := range benchSides(sdk, nethttp) {
			b.Run(side.name+"/"+cc.name, func(b *testing.B) {
				ctx, call := cc.ctx, side.call
				// Not measured (b.Loop starts measuring at its first call): the
				// connection is made and the process has warmed up, so that
				// the first pair of a run is not slower than the others.
				for range benchWarmup {
					if err := call(ctx); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportAllocs()
				for b.Loop() {
					if err := call(ctx); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// benchParallel runs sdk and nethttp with b.RunParallel on 64 goroutines
// each, as the sub-benchmarks sdk and nethttp, with context.Background().
func benchParallel(b *testing.B, sdk, nethttp func(context.Context) error) {
	for _, side := range benchSides(sdk, nethttp) {
		b.Run(side.name, func(b *testing.B) {
			call := side.call
			procs := max(1, 64/runtime.GOMAXPROCS(0))
			// The warm-up, 64 goroutines at once, makes the connections.
			var wg sync.WaitGroup
			for range procs * runtime.GOMAXPROCS(0) {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range benchWarmup / 16 {
						if err := call(context.Background()); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			b.SetParallelism(procs)
			b.ResetTimer()
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				ctx := context.Background()
				for pb.Next() {
					if err := call(ctx); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// expect is the request a benchmark server accepts.
type expect struct {
	method, path, query, contentType string
	body                             []byte
}

// benchAPIServer starts a loopback server that answers each request equal
// to one of reqs (method, path, query, Accept, Content-Type, User-Agent
// and body) with answer as contentType, and any other with 400.
func benchAPIServer(b *testing.B, contentType string, answer []byte, reqs ...expect) *httptest.Server {
	b.Helper()
	return benchServer(b, func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		ok := false
		for _, e := range reqs {
			ok = ok || err == nil && r.Method == e.method && r.URL.Path == e.path && r.URL.RawQuery == e.query &&
				r.Header.Get("Accept") == "application/json" && r.Header.Get("Content-Type") == e.contentType &&
				r.Header.Get("User-Agent") == mediaauth.DefaultUserAgent && bytes.Equal(body, e.body)
		}
		if !ok {
			http.Error(w, "not the expected request", http.StatusBadRequest)
			return
		}
		w.Header()["Content-Type"] = []string{contentType}
		_, _ = w.Write(answer)
	})
}

// doJSON is the baseline's one call: it sends req with the headers the SDK
// sends, checks the status and decodes the JSON answer into out.
func doJSON(hc *http.Client, req *http.Request, contentType string, out any) error {
	req.Header.Set("Accept", "application/json")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("User-Agent", mediaauth.DefaultUserAgent)
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	return nil
}

// Movies API: Login (JSON body) and FormLogin (form body).

var (
	benchUser, benchPassword = "john_doe", "secure_password123"
	benchTokenJSON           = []byte(`{"access_token":"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjMiLCJleHAiOjIwMDAwMDAwMDB9.c2ln","token_type":"bearer","expires_in":3600}`)
	benchLoginBody           = []byte(`{"username":"john_doe","password":"secure_password123"}`)
	benchFormBody            = []byte(`password=secure_password123&username=john_doe`)
)

// benchMovies starts the Movies API server of the login benchmarks and
// returns it with an SDK client and a baseline http.Client.
func benchMovies(b *testing.B) (*httptest.Server, *mediaauth.Client, *http.Client) {
	srv := benchAPIServer(b, "application/json", benchTokenJSON,
		expect{method: http.MethodPost, path: "/login", contentType: "application/json", body: benchLoginBody},
		expect{method: http.MethodPost, path: "/auth/login", contentType: "application/x-www-form-urlencoded", body: benchFormBody})
	return srv, benchClient(b, mediaauth.WithMoviesBaseURL(srv.URL)), benchHTTPClient(b)
}

// benchToken is the baseline's Token: the answer decoded, and its expiry.
type benchToken struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   *int64 `json:"expires_in"`
}

// baselineLogin posts body as contentType to url and decodes the token.
func baselineLogin(ctx context.Context, hc *http.Client, url, contentType string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	var tok benchToken
	if err := doJSON(hc, req, contentType, &tok); err != nil {
		return err
	}
	if tok.AccessToken == "" || tok.ExpiresIn == nil {
		return errors.New("no token")
	}
	_ = time.Now().Add(time.Duration(*tok.ExpiresIn) * time.Second)
	return nil
}

func checkToken(tok *mediaauth.Token, err error) error {
	if err == nil && tok.AccessToken == "" {
		err = errors.New("no token")
	}
	return err
}

// BenchmarkLogin: Client.Login, a POST with a JSON body.
func BenchmarkLogin(b *testing.B) {
	srv, c, hc := benchMovies(b)
	target := srv.URL + "/login"
	benchPair(b, func(ctx context.Context) error {
		return checkToken(c.Movies.Login(ctx, benchUser, benchPassword))
	}, func(ctx context.Context) error {
		return baselineJSONLogin(ctx, hc, target)
	})
}

// baselineJSONLogin is Login with net/http and encoding/json.
func baselineJSONLogin(ctx context.Context, hc *http.Client, target string) error {
	body, err := json.Marshal(struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}{benchUser, benchPassword})
	if err != nil {
		return err
	}
	return baselineLogin(ctx, hc, target, "application/json", body)
}

// BenchmarkFormLogin: Client.FormLogin, a POST with a form body.
func BenchmarkFormLogin(b *testing.B) {
	srv, c, hc := benchMovies(b)
	target := srv.URL + "/auth/login"
	benchPair(b, func(ctx context.Context) error {
		return checkToken(c.Movies.FormLogin(ctx, benchUser, benchPassword))
	}, func(ctx context.Context) error {
		body := url.Values{"username": {benchUser}, "password": {benchPassword}}.Encode()
		return baselineLogin(ctx, hc, target, "application/x-www-form-urlencoded", []byte(body))
	})
}

// BenchmarkLoginParallel: Login from 64 goroutines on one client, for
// throughput (with context.Background()).
func BenchmarkLoginParallel(b *testing.B) {
	srv, c, hc := benchMovies(b)
	target := srv.URL + "/login"
	benchParallel(b, func(ctx context.Context) error {
		return checkToken(c.Movies.Login(ctx, benchUser, benchPassword))
	}, func(ctx context.Context) error {
		return baselineJSONLogin(ctx, hc, target)
	})
}

// TVmaze: PollAuth.

const benchPollToken = "0123456789abcdef0123456789abcdef01234567"

// BenchmarkPollAuth: one Client.PollAuth that gets the key. With a
// cancellable context the SDK also keeps an answer already arriving when
// the context ends (WithPollAnswerGrace); the baseline does not.
func BenchmarkPollAuth(b *testing.B) {
	srv := benchAPIServer(b, "application/json", []byte(`{"username":"alice","apikey":"bench-api-key-0123456789abcdef"}`),
		expect{method: http.MethodPost, path: "/v1/auth/poll", contentType: "application/json",
			body: []byte(`{"token":"` + benchPollToken + `"}`)})
	c := benchClient(b, mediaauth.WithTVmazeBaseURL(srv.URL+"/v1"), mediaauth.WithRateLimit(mediaauth.APITVmaze, rate.Inf, 0))
	hc := benchHTTPClient(b)
	target := srv.URL + "/v1/auth/poll"
	benchPair(b, func(ctx context.Context) error {
		creds, err := c.TVmaze.PollAuth(ctx, mediaauth.AuthRequest{Token: benchPollToken})
		if err == nil && creds.APIKey == "" {
			err = errors.New("no key")
		}
		return err
	}, func(ctx context.Context) error {
		body, err := json.Marshal(struct {
			Token string `json:"token"`
		}{benchPollToken})
		if err != nil {
			return err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
		if err != nil {
			return err
		}
		var out struct {
			Username string `json:"username"`
			APIKey   string `json:"apikey"`
		}
		if err := doJSON(hc, req, "application/json", &out); err != nil {
			return err
		}
		if out.APIKey == "" {
			return errors.New("no key")
		}
		return nil
	})
}

// TMDb: CreateRequestToken, and one call through Client.HTTPClient.

const benchTMDbKey = "bench-api-key"

// benchTMDb starts the TMDb server of the TMDb benchmarks and returns it
// with an SDK client (API key credential) and a baseline http.Client.
func benchTMDb(b *testing.B, path string, answer []byte) (*httptest.Server, *mediaauth.Client, *http.Client) {
	srv := benchAPIServer(b, "application/json;charset=utf-8", answer,
		expect{method: http.MethodGet, path: path, query: "api_key=" + benchTMDbKey})
	c := benchClient(b,
		mediaauth.WithTMDbBaseURL(srv.URL),
		mediaauth.WithCredentials(mediaauth.TMDbAPIKey(benchTMDbKey)),
		mediaauth.WithRateLimit(mediaauth.APITMDb, rate.Inf, 0),
	)
	return srv, c, benchHTTPClient(b)
}

// BenchmarkCreateRequestToken: Client.CreateRequestToken, a GET with the
// API key in the query; the answer's expires_at is parsed.
func BenchmarkCreateRequestToken(b *testing.B) {
	srv, c, hc := benchTMDb(b, "/3/authentication/token/new", []byte(tmdbUnitTokenJSON))
	target := srv.URL + "/3/authentication/token/new?api_key=" + benchTMDbKey
	benchPair(b, func(ctx context.Context) error {
		tok, err := c.TMDb.CreateRequestToken(ctx)
		if err == nil && tok.Token != tmdbUnitToken {
			err = fmt.Errorf("token %q", tok.Token)
		}
		return err
	}, func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
		if err != nil {
			return err
		}
		var out struct {
			Success      bool   `json:"success"`
			ExpiresAt    string `json:"expires_at"`
			RequestToken string `json:"request_token"`
		}
		if err := doJSON(hc, req, "", &out); err != nil {
			return err
		}
		if !out.Success || out.RequestToken != tmdbUnitToken {
			return fmt.Errorf("token %q", out.RequestToken)
		}
		_, err = time.Parse(mediaauth.TMDbTimeLayout, out.ExpiresAt)
		return err
	})
}

// BenchmarkHTTPClient: one GET /3/authentication through
// Client.HTTPClient(APITMDb), which adds the API key, checked with
// CheckResponse; the baseline puts the key in the URL itself.
func BenchmarkHTTPClient(b *testing.B) {
	srv, c, hc := benchTMDb(b, "/3/authentication", []byte(`{"success":true,"status_code":1,"status_message":"Success."}`))
	sdk := c.TMDb.HTTPClient()
	target := srv.URL + "/3/authentication"
	type status struct {
		Success       bool   `json:"success"`
		StatusCode    int    `json:"status_code"`
		StatusMessage string `json:"status_message"`
	}
	benchPair(b, func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
		if err != nil {
			return err
		}
		req.Header.Set("Accept", "application/json")
		resp, err := sdk.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if err := mediaauth.CheckResponse(mediaauth.APITMDb, resp); err != nil {
			return err
		}
		var st status
		if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		if !st.Success {
			return errors.New("no success")
		}
		return nil
	}, func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, target+"?api_key="+benchTMDbKey, nil)
		if err != nil {
			return err
		}
		var st status
		if err := doJSON(hc, req, "", &st); err != nil {
			return err
		}
		if !st.Success {
			return errors.New("no success")
		}
		return nil
	})
}
