package benchpeer_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	tmdb "github.com/cyruzin/golang-tmdb"
	"golang.org/x/time/rate"

	"github.com/mediaauth/mediaauth"
)

// The SDK's TMDb calls beside golang-tmdb's, in the same run, through each
// of the SDK's doors: the typed call (where there is one), Do, and
// HTTPClient with CheckResponse. Each benchmark has, for each door, the
// pairs
//
//	BenchmarkX/door/sdk/background      BenchmarkX/door/golangtmdb/background
//	BenchmarkX/door/sdk/cancellable     BenchmarkX/door/golangtmdb/cancellable
//
// run one after the other. golang-tmdb's calls take no context (each makes
// its own, with a timeout): its one form is measured beside each of the
// SDK's. Both sides talk to the same loopback server, which checks the
// request (method, path, query and the headers each library sends) and
// answers a fixed body; both have a per-attempt timeout and a transport
// set up like the one mediaauth.New builds; both decode the answer and
// check a field of it, and parse the expiry of what expires. golang-tmdb
// has no session creation nor session deletion (they are commented out in
// its source): its authentication calls are request tokens and guest
// sessions, and its account call is GetAccountDetails.

// The doors, as the sub-benchmarks name them.
const (
	doorTyped      = "typed"
	doorDo         = "Do"
	doorHTTPClient = "HTTPClient"
)

// peerFirst runs golang-tmdb's side of each pair before the SDK's;
// scripts/bench.sh alternates the order from one round to the next.
var peerFirst = os.Getenv("MEDIAAUTH_BENCH_BASELINE_FIRST") != ""

// warmup is how many calls each side makes before it is measured.
const warmup = 200

// door is one door of the SDK and the call that goes through it.
type door struct {
	name string
	sdk  func(context.Context) error
}

// side is one side of a pair: its name and its call.
type side struct {
	name string
	call func(context.Context) error
}

// benchDoors runs, for each door, the door's call beside peer, with
// context.Background() and with a context that can be cancelled.
func benchDoors(b *testing.B, peer func() error, doors ...door) {
	cancellable, cancel := context.WithCancel(context.Background())
	defer cancel()
	peerSide := side{"golangtmdb", func(context.Context) error { return peer() }}
	for _, d := range doors {
		sides := []side{{"sdk", d.sdk}, peerSide}
		if peerFirst {
			sides[0], sides[1] = sides[1], sides[0]
		}
		b.Run(d.name, func(b *testing.B) {
			for _, cc := range []struct {
				name string
				ctx  context.Context
			}{{"background", context.Background()}, {"cancellable", cancellable}} {
				for _, s := range sides {
					b.Run(s.name+"/"+cc.name, func(b *testing.B) { measure(b, cc.ctx, s.call) })
				}
			}
		})
	}
}

// measure runs call after a warm-up that is not measured.
func measure(b *testing.B, ctx context.Context, call func(context.Context) error) {
	for range warmup {
		if err := call(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	cpu := cpuTime()
	for b.Loop() {
		if err := call(ctx); err != nil {
			b.Fatal(err)
		}
	}
	// The CPU time per op (client and server), which other load on the
	// machine changes less than the time per op.
	if end := cpuTime(); end > cpu && b.N > 0 {
		b.ReportMetric(float64(end-cpu)/float64(b.N), "cpu-ns/op")
	}
}

const (
	apiKey    = "bench-api-key"
	sessionID = "79191836ddaa0da3df76a5ffef6f07ad6ab0c641"
	reqToken  = "ff5c7eeb5a8870efe3cd7fc5c282cffd26800ecd"
	guestID   = "1ce82ec1223641636ad4a60b07de3581"
)

// The answers: the TMDb contract's examples.
var (
	tokenJSON   = []byte(`{"success":true,"expires_at":"2016-08-26 17:04:39 UTC","request_token":"` + reqToken + `"}`)
	guestJSON   = []byte(`{"success":true,"guest_session_id":"` + guestID + `","expires_at":"2016-08-27 16:26:40 UTC"}`)
	accountJSON = []byte(`{"avatar":{"gravatar":{"hash":"c9e9fc152ee756a900db85757c29815d"},"tmdb":{"avatar_path":"/xy44UvpbTgzs9kWmp4C3fEaCl5h.png"}},"id":548,"iso_639_1":"en","iso_3166_1":"CA","name":"Travis Bell","include_adult":false,"username":"travisbell"}`)
)

// server starts a loopback TMDb server that answers a GET of path whose
// query is "api_key=<key>"+query, sent with the SDK's headers or with
// golang-tmdb's, with answer; any other request gets a 400.
func server(b *testing.B, path, query string, answer []byte) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err := io.Copy(io.Discard, r.Body)
		// The canonical keys, read alike for both sides.
		accept, agent, ct := first(r.Header["Accept"]), first(r.Header["User-Agent"]), first(r.Header["Content-Type"])
		sdk := accept == "application/json" && agent == mediaauth.DefaultUserAgent && ct == ""
		peer := ct == "application/json;charset=utf-8"
		if err != nil || r.Method != http.MethodGet || r.URL.Path != path || r.URL.RawQuery != "api_key="+apiKey+query || !sdk && !peer {
			http.Error(w, "not the expected request", http.StatusBadRequest)
			return
		}
		w.Header()["Content-Type"] = []string{"application/json;charset=utf-8"}
		_, _ = w.Write(answer)
	}))
	b.Cleanup(srv.Close)
	return srv
}

// first returns the first of values, or "".
func first(values []string) string {
	if len(values) == 0 {
		return ""
	}
	return values[0]
}

// clients returns the SDK's client and golang-tmdb's for srv, with the API
// key, and the session when sessionID is set. golang-tmdb's base URL is a
// package variable: the benchmarks run one at a time.
func clients(b *testing.B, srv *httptest.Server, session string) (*mediaauth.TMDb, *tmdb.Client) {
	c, err := mediaauth.New(mediaauth.WithTMDbBaseURL(srv.URL), mediaauth.WithCredentials(mediaauth.TMDbAPIKey(apiKey)),
		mediaauth.WithRateLimit(mediaauth.APITMDb, rate.Inf, 0))
	if err != nil {
		b.Fatal(err)
	}
	sdk := c.TMDb
	if session != "" {
		sdk = sdk.With(mediaauth.Session{ID: session})
	}
	peer, err := tmdb.Init(apiKey)
	if err != nil {
		b.Fatal(err)
	}
	peer.SetCustomBaseURL(srv.URL + "/3")
	// The transport mediaauth.New builds when given none.
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 16
	b.Cleanup(tr.CloseIdleConnections)
	peer.SetClientConfig(http.Client{Transport: tr, Timeout: mediaauth.DefaultTimeout})
	if session != "" {
		if err := peer.SetSessionID(session); err != nil {
			b.Fatal(err)
		}
	}
	return sdk, peer
}

// httpGet is the HTTPClient door: a GET of target through hc, checked with
// CheckResponse and decoded into out.
func httpGet(ctx context.Context, hc *http.Client, target string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", mediaauth.DefaultUserAgent)
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := mediaauth.CheckResponse(mediaauth.APITMDb, resp); err != nil {
		return err
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	return nil
}

// expiring is an answer that expires: a request token or a guest session.
type expiring struct {
	Success        bool   `json:"success"`
	ExpiresAt      string `json:"expires_at"`
	RequestToken   string `json:"request_token"`
	GuestSessionID string `json:"guest_session_id"`
}

// check reports whether the answer holds want (a token or a guest session
// id), and parses its expiry.
func check(success bool, got, want, expiresAt string) error {
	if !success || got != want {
		return fmt.Errorf("got %q, want %q", got, want)
	}
	_, err := time.Parse(mediaauth.TMDbTimeLayout, expiresAt)
	return err
}

// BenchmarkCreateRequestToken: GET /3/authentication/token/new.
func BenchmarkCreateRequestToken(b *testing.B) {
	const path = "/3/authentication/token/new"
	srv := server(b, path, "", tokenJSON)
	sdk, peer := clients(b, srv, "")
	hc := sdk.HTTPClient()
	benchDoors(b, func() error {
		t, err := peer.CreateRequestToken()
		if err != nil {
			return err
		}
		return check(t.Success, t.RequestToken, reqToken, t.ExpiresAt)
	}, door{doorTyped, func(ctx context.Context) error {
		t, err := sdk.CreateRequestToken(ctx)
		if err == nil && t.Token != reqToken {
			err = fmt.Errorf("token %q", t.Token)
		}
		return err
	}}, door{doorDo, func(ctx context.Context) error {
		var t expiring
		if err := sdk.Do(ctx, http.MethodGet, path, nil, &t); err != nil {
			return err
		}
		return check(t.Success, t.RequestToken, reqToken, t.ExpiresAt)
	}}, door{doorHTTPClient, func(ctx context.Context) error {
		var t expiring
		if err := httpGet(ctx, hc, srv.URL+path, &t); err != nil {
			return err
		}
		return check(t.Success, t.RequestToken, reqToken, t.ExpiresAt)
	}})
}

// BenchmarkCreateGuestSession: GET /3/authentication/guest_session/new.
func BenchmarkCreateGuestSession(b *testing.B) {
	const path = "/3/authentication/guest_session/new"
	srv := server(b, path, "", guestJSON)
	sdk, peer := clients(b, srv, "")
	hc := sdk.HTTPClient()
	benchDoors(b, func() error {
		g, err := peer.CreateGuestSession()
		if err != nil {
			return err
		}
		return check(g.Success, g.GuestSessionID, guestID, g.ExpiresAt)
	}, door{doorTyped, func(ctx context.Context) error {
		g, err := sdk.CreateGuestSession(ctx)
		if err == nil && g.ID != guestID {
			err = fmt.Errorf("guest session %q", g.ID)
		}
		return err
	}}, door{doorDo, func(ctx context.Context) error {
		var g expiring
		if err := sdk.Do(ctx, http.MethodGet, path, nil, &g); err != nil {
			return err
		}
		return check(g.Success, g.GuestSessionID, guestID, g.ExpiresAt)
	}}, door{doorHTTPClient, func(ctx context.Context) error {
		var g expiring
		if err := httpGet(ctx, hc, srv.URL+path, &g); err != nil {
			return err
		}
		return check(g.Success, g.GuestSessionID, guestID, g.ExpiresAt)
	}})
}

// account is the Account schema of the TMDb contract.
type account struct {
	Avatar struct {
		Gravatar struct {
			Hash string `json:"hash"`
		} `json:"gravatar"`
		TMDb struct {
			AvatarPath *string `json:"avatar_path"`
		} `json:"tmdb"`
	} `json:"avatar"`
	ID           int64  `json:"id"`
	Username     string `json:"username"`
	Name         string `json:"name"`
	IncludeAdult bool   `json:"include_adult"`
	ISO639_1     string `json:"iso_639_1"`
	ISO3166_1    string `json:"iso_3166_1"`
}

// checkAccount reports whether the answer was the account expected.
func checkAccount(id int64) error {
	if id != 548 {
		return fmt.Errorf("account %d", id)
	}
	return nil
}

// BenchmarkAccount: GET /3/account with a session. The SDK has no typed
// call for it: Do and HTTPClient, on a handle that carries the session.
func BenchmarkAccount(b *testing.B) {
	const path = "/3/account"
	srv := server(b, path, "&session_id="+sessionID, accountJSON)
	sdk, peer := clients(b, srv, sessionID)
	hc := sdk.HTTPClient()
	benchDoors(b, func() error {
		a, err := peer.GetAccountDetails()
		if err != nil {
			return err
		}
		return checkAccount(a.ID)
	}, door{doorDo, func(ctx context.Context) error {
		var a account
		if err := sdk.Do(ctx, http.MethodGet, path, nil, &a); err != nil {
			return err
		}
		return checkAccount(a.ID)
	}}, door{doorHTTPClient, func(ctx context.Context) error {
		var a account
		if err := httpGet(ctx, hc, srv.URL+path, &a); err != nil {
			return err
		}
		return checkAccount(a.ID)
	}})
}
