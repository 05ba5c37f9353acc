package mediaauth

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-querystring/query"
)

// maxErrorText bounds the text of any *APIError: the server's message and
// code are truncated, everything else comes from the client.
const maxErrorText = 1024

// fuzzResponse builds an answer with the given parts.
func fuzzResponse(status int, body []byte, contentType, retryAfter, wwwAuth, requestID string) *http.Response {
	h := http.Header{}
	for k, v := range map[string]string{"Content-Type": contentType, "Retry-After": retryAfter, "WWW-Authenticate": wwwAuth, "X-Request-Id": requestID} {
		if v != "" {
			h.Set(k, v)
		}
	}
	return &http.Response{StatusCode: status, Header: h, Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body))}
}

// FuzzAPIError feeds any status, body and headers to the error mapping: it
// never panics and always yields an *APIError with a bounded Error().
func FuzzAPIError(f *testing.F) {
	f.Add(401, []byte(`{"error":"invalid_token","message":"expired"}`), "application/json", "", `Bearer error="invalid_token", error_description="The access token expired"`, "rid", uint8(0))
	f.Add(403, []byte(`{"error":"email_not_verified","message":"verify first"}`), "application/json", "", "", "", uint8(0))
	f.Add(429, []byte(`{"name":"Too Many Requests","message":"Rate limit exceeded.","code":0,"status":429}`), "application/json", "10", "", "", uint8(1))
	f.Add(401, []byte(`{"success":false,"status_code":7,"status_message":"Invalid API key"}`), "application/json;charset=utf-8", "", "", "", uint8(2))
	f.Add(404, []byte(`{"status_code":"34","status_message":5}`), "", "", "", "", uint8(2))
	f.Add(502, []byte("<html><head><title>502 Bad Gateway</title></head></html>"), "text/html", "Wed, 21 Oct 2015 07:28:00 GMT", "", "", uint8(0))
	f.Add(500, []byte(strings.Repeat("x", 70<<10)), "text/plain", "", "", strings.Repeat("r", 300), uint8(0))
	f.Add(400, []byte(`{"error":"`+strings.Repeat("é", 600)+`","message":"`+strings.Repeat("\xff", 700)+`"}`), "", "-1", "Bearer", "", uint8(0))
	f.Add(-1, []byte(nil), "", "", "", "", uint8(7))
	f.Add(503, []byte(nil), "", "Fri, 31 Dec 9999 23:59:59 GMT", "", "", uint8(0))
	f.Add(200, []byte("{"), "application/json", "", "", "", uint8(0))
	f.Add(1<<40, []byte(`{"detail":{"x":1},"error_description":"d"}`), "", "99999999999999999999", `Bearer error=`, "", uint8(1))

	c, err := New()
	if err != nil {
		f.Fatal(err)
	}
	apis := [...]API{APIMovies, APITVmaze, APITMDb}
	tables := [...]statusTable{moviesLoginStatuses, tvmazePollStatuses, nil}
	f.Fuzz(func(t *testing.T, status int, body []byte, contentType, retryAfter, wwwAuth, requestID string, which uint8) {
		if status < 100 || status > 999 {
			status = 100 + int(uint(status)%900)
		}
		ep := &endpoint{name: "Fuzz", api: apis[which%3], method: http.MethodPost, path: "/fuzz", statuses: tables[which%3]}
		cl := &call{c: c, ep: ep, out: &tokenResponse{}}

		// Straight to the error mapping, whatever the status.
		checkAPIError(t, newAPIError(ep.api, ep.method, ep.path, ep.statuses, fuzzResponse(status, body, contentType, retryAfter, wwwAuth, requestID), body, time.Now()), status)

		// Through the pipeline's response handling.
		err := cl.handleResponse(context.Background(), fuzzResponse(status, body, contentType, retryAfter, wwwAuth, requestID))
		if status >= 200 && status <= 299 {
			if err != nil && !errors.Is(err, ErrMalformedResponse) && !errors.Is(err, ErrResponseTooLarge) {
				t.Fatalf("2xx gave %v", err)
			}
			if err != nil {
				checkAPIError(t, err, status)
			}
			return
		}
		if err == nil {
			t.Fatalf("status %d gave no error", status)
		}
		checkAPIError(t, err, status)
	})
}

func checkAPIError(t *testing.T, err error, status int) {
	t.Helper()
	var apiErr *APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("not an *APIError: %T %v", err, err)
	}
	if apiErr.StatusCode != status {
		t.Fatalf("StatusCode %d, want %d", apiErr.StatusCode, status)
	}
	if n := len(err.Error()); n > maxErrorText {
		t.Fatalf("Error() is %d bytes: %.200q...", n, err.Error())
	}
	if len(apiErr.Message) > maxMessageLen+len("…") || len(apiErr.Code) > maxCodeLen+len("…") || len(apiErr.RequestID) > 128+len("…") {
		t.Fatalf("field too long: message %d, code %d, request id %d", len(apiErr.Message), len(apiErr.Code), len(apiErr.RequestID))
	}
	if apiErr.RetryAfter < 0 || apiErr.RetryAfter > 24*time.Hour {
		t.Fatalf("RetryAfter %v", apiErr.RetryAfter)
	}
	if class := classOf(status); class != nil && !errors.Is(err, class) {
		t.Fatalf("status %d error does not match its class %v", status, class)
	}
}

// FuzzDecodeToken feeds any body on a 200 to the token decoder: it never
// panics, and gives either a valid Token or ErrMalformedResponse.
func FuzzDecodeToken(f *testing.F) {
	f.Add([]byte(`{"access_token":"abc","token_type":"bearer","expires_in":3600}`), "application/json")
	f.Add([]byte(`{"access_token":"eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjIwMDAwMDAwMDB9.c2ln","token_type":"Bearer"}`), "")
	f.Add([]byte(`{"access_token":"a.b.c","token_type":"BEARER","expires_in":null}`), "application/json; charset=utf-8")
	f.Add([]byte(`{"access_token":"x","token_type":"bearer","expires_in":9223372036854775807}`), "application/json")
	f.Add([]byte(`{"access_token":"x","token_type":"bearer","expires_in":-1}`), "application/json")
	f.Add([]byte(`{"access_token":"x","token_type":"bearer","expires_in":1e3}`), "application/json")
	f.Add([]byte(`{"access_token":"x","token_type":"mac"}`), "application/json")
	f.Add([]byte(`{"access_token":"x"`), "application/json")
	f.Add([]byte(`[]`), "application/json")
	f.Add([]byte(``), "application/json")
	f.Add([]byte(`{"access_token":"x","token_type":"bearer"}`), "text/html")
	f.Add([]byte("\xef\xbb\xbf{}"), "application/problem+json")

	c, err := New()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		var tr tokenResponse
		cl := &call{c: c, ep: epMoviesLogin, out: &tr}
		before := time.Now()
		err := cl.handleResponse(context.Background(), fuzzResponse(http.StatusOK, body, contentType, "", "", ""))
		if err != nil {
			if !errors.Is(err, ErrMalformedResponse) && !errors.Is(err, ErrResponseTooLarge) {
				t.Fatalf("error %v is neither malformed nor too large", err)
			}
			checkAPIError(t, err, http.StatusOK)
			return
		}
		tok := tr.token(before)
		if tok.AccessToken == "" || !strings.EqualFold(tok.TokenType, "bearer") {
			t.Fatalf("accepted an invalid token: %+v", tr)
		}
		if tr.ExpiresIn != nil && tok.ExpiresAt.Before(before) {
			t.Fatalf("expires_in %d gave ExpiresAt %v, before now", *tr.ExpiresIn, tok.ExpiresAt)
		}
	})
}

// FuzzAuthParams feeds any WWW-Authenticate challenge to the parser: it
// never panics, and a quoted value built from any string reads back as it.
func FuzzAuthParams(f *testing.F) {
	f.Add(`Bearer error="invalid_token", error_description="The access token expired"`, "The access token expired")
	f.Add(`Bearer realm="example"`, `quote " and backslash \`)
	f.Add(`Bearer error=invalid_token,error_description=expired`, "")
	f.Add(`error="invalid_token"`, ",,,")
	f.Add(`Bearer ="x", a="\`, "=")
	f.Add(`Basic realm="tvmaze", charset="UTF-8"`, "\x00\xff")
	f.Add(`Bearer a="b\"c\\d", e`, `\"`)
	f.Add(``, ``)
	f.Fuzz(func(t *testing.T, challenge, value string) {
		params := authParams(challenge)
		for k := range params {
			if k != strings.ToLower(k) {
				t.Fatalf("key %q not lower-cased", k)
			}
		}
		_ = tokenExpired(challenge, value)

		quoted := strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(value)
		built := `Bearer realm="api", error_description="` + quoted + `", error="invalid_token"`
		got := authParams(built)
		if got["error_description"] != value || got["error"] != "invalid_token" || got["realm"] != "api" {
			t.Fatalf("authParams(%q) = %q", built, got)
		}
		wantExpired := strings.Contains(strings.ToLower(value), "expired")
		if tokenExpired(built, "") != wantExpired {
			t.Fatalf("tokenExpired(%q) != %v", built, wantExpired)
		}
	})
}

// FuzzJWTExpiry feeds any token to the JWT exp reader: it never panics,
// reads back any exp claim it is given, and returns only plausible times.
func FuzzJWTExpiry(f *testing.F) {
	f.Add("eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjIwMDAwMDAwMDB9.c2ln", int64(2000000000))
	f.Add("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ1c2VyX2lkIjoxMjM0NTY3ODkwLCJleHBpcmVkX3N0YW5kYXJkX2Zyb20iOiJodHRwczovL2V4YW1wbGUuY29tIiwiaWF0IjoxNTE2MjM5MDIyfQ.KqUW0S5P0Pf9AZVJZg20WA5PKo2t6pfmbVN2GMRbbyI", int64(1))
	f.Add("a.b.c", int64(-5))
	f.Add("..", int64(0))
	f.Add("a.eyJleHAiOiIxMjMifQ.c", int64(1<<40))
	f.Add("a.eyJleHAiOjFlMzAwfQ==.c", int64(1<<41))
	f.Add("no dots at all", int64(1700000000))
	f.Fuzz(func(t *testing.T, token string, exp int64) {
		if at, ok := jwtExpiry(token); ok {
			if at.Unix() <= 0 || at.Unix() > 1<<40 {
				t.Fatalf("jwtExpiry(%q) = %v", token, at)
			}
		}
		enc := base64.RawURLEncoding
		built := enc.EncodeToString([]byte(`{"alg":"none"}`)) + "." + enc.EncodeToString([]byte(`{"sub":"x","exp":`+strconv.FormatInt(exp, 10)+`}`)) + ".sig"
		at, ok := jwtExpiry(built)
		if wantOK := exp > 0 && exp <= 1<<40; ok != wantOK {
			t.Fatalf("jwtExpiry(exp=%d) ok = %v", exp, ok)
		}
		if ok && at.Unix() != exp {
			t.Fatalf("jwtExpiry(exp=%d) = %d", exp, at.Unix())
		}
	})
}

// FuzzLoginForm: the form FormLogin sends is the one go-querystring and
// url.Values.Encode make of the same username and password.
func FuzzLoginForm(f *testing.F) {
	f.Add("user@example.com", "p@ss w&rd=1+2")
	f.Add("john_doe", "secure_password123")
	f.Add("ü ñ/?#", "%zz\x00;=&+")
	f.Fuzz(func(t *testing.T, username, password string) {
		r := loginRequest{Username: username, Password: password}
		vals, err := query.Values(r)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := string(r.appendForm(nil)), vals.Encode(); got != want {
			t.Fatalf("form %q, want %q", got, want)
		}
	})
}
