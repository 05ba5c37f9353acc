package mediaauth

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Fuzz targets of errors.go: the error mapping, through the pipeline's
// response handling too, and the WWW-Authenticate parser.

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
	// The seeds are the files of testdata/fuzz/FuzzAPIError, one per shape
	// of answer (go test runs them with the other tests). The two built here
	// are too long to keep there: a 70 KiB body with a 300-byte request id,
	// and an error and message of multi-byte and invalid UTF-8 over the caps.
	f.Add(500, []byte(strings.Repeat("x", 70<<10)), "text/plain", "", "", strings.Repeat("r", 300), uint8(0))
	f.Add(400, []byte(`{"error":"`+strings.Repeat("é", 600)+`","message":"`+strings.Repeat("\xff", 700)+`"}`), "", "-1", "Bearer", "", uint8(0))

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
		cl := &call{h: c.Movies.hp(), ep: ep, out: &tokenResponse{}}

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

// FuzzAuthParams feeds any WWW-Authenticate challenge to the parser: it
// never panics, and a quoted value built from any string reads back as it.
func FuzzAuthParams(f *testing.F) {
	// The seeds are the files of testdata/fuzz/FuzzAuthParams, one per shape
	// of challenge (go test runs them with the other tests).
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
