package mediaauth

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Fuzz targets of auth.go: the token decoder and the JWT exp reader.
// fuzzResponse and checkAPIError are in errors_fuzz_test.go.

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
