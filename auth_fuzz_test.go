package mediaauth

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
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
	// The seeds are the files of testdata/fuzz/FuzzDecodeToken, one per shape
	// of token answer (go test runs them with the other tests).

	c, err := New()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		var tr tokenResponse
		cl := &call{h: c.Movies.hp(), ep: epMoviesLogin, out: &tr}
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
	// The seeds are the files of testdata/fuzz/FuzzJWTExpiry, one per shape
	// of token (go test runs them with the other tests).
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

// FuzzLoginForm: the form FormLogin sends is the one url.Values.Encode
// makes of the same username and password.
func FuzzLoginForm(f *testing.F) {
	f.Add("user@example.com", "p@ss w&rd=1+2")
	f.Add("john_doe", "secure_password123")
	f.Add("ü ñ/?#", "%zz\x00;=&+")
	f.Fuzz(func(t *testing.T, username, password string) {
		r := loginRequest{Username: username, Password: password}
		vals := url.Values{"username": {username}, "password": {password}}
		if got, want := string(r.appendForm(nil)), vals.Encode(); got != want {
			t.Fatalf("form %q, want %q", got, want)
		}
	})
}
