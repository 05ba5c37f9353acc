package mediaauth

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// White-box tests of retry.go: Retry-After, back-off and the resend policy.

// TestParseRetryAfter checks both forms of Retry-After against a fixed clock.
func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"0", 0, true},
		{"1", time.Second, true},
		{" 120 ", 2 * time.Minute, true},
		{"999999999999", 24 * time.Hour, true},
		{"-1", 0, false},
		{"1.5", 0, false},
		{"", 0, false},
		{"soon", 0, false},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0, true},
		{"Fri, 31 Dec 9999 23:59:59 GMT", 24 * time.Hour, true},
		{now.Add(time.Hour).Format(time.RFC850), time.Hour, true},
		{now.Add(time.Hour).Format(time.ANSIC), time.Hour, true},
	}
	for _, tt := range tests {
		got, ok := parseRetryAfter(tt.in, now)
		assert.Equal(t, tt.ok, ok, "%q", tt.in)
		assert.Equal(t, tt.want, got, "%q", tt.in)
	}
}

// TestBackoff checks the wait between attempts.
func TestBackoff(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	s := &shared{now: func() time.Time { return now }}
	resp := func(status int, retryAfter string) *http.Response {
		h := http.Header{}
		if retryAfter != "" {
			h.Set("Retry-After", retryAfter)
		}
		return &http.Response{StatusCode: status, Header: h}
	}
	const minW, maxW = 100 * time.Millisecond, 30 * time.Second
	assert.Equal(t, 7*time.Second, s.backoff(minW, maxW, 0, resp(429, now.Add(7*time.Second).Format(http.TimeFormat))), "HTTP date")
	assert.Equal(t, 3*time.Second, s.backoff(minW, maxW, 2, resp(503, "3")), "seconds")
	assert.Equal(t, maxW, s.backoff(minW, maxW, 0, resp(429, "86400")), "capped at maxWait")
	assert.Equal(t, time.Duration(0), s.backoff(minW, maxW, 0, resp(503, now.Add(-time.Minute).Format(http.TimeFormat))), "past date")
	// Retry-After on other statuses, or unreadable, falls back to jitter.
	for _, r := range []*http.Response{nil, resp(500, "3"), resp(429, "soon"), resp(502, "")} {
		for attempt := range 6 {
			d := s.backoff(minW, maxW, attempt, r)
			assert.GreaterOrEqual(t, d, minW)
			assert.LessOrEqual(t, d, min(minW<<attempt, maxW))
		}
	}
	assert.Equal(t, time.Duration(0), jitterBackoff(0, time.Second, 3))
	assert.Equal(t, time.Second, jitterBackoff(time.Second, time.Second, 5))
	for range 100 {
		d := jitterBackoff(time.Millisecond, 50*time.Millisecond, 62)
		assert.LessOrEqual(t, d, 50*time.Millisecond, "large attempts do not overflow")
		assert.GreaterOrEqual(t, d, time.Millisecond)
	}
}

// TestCheckRetry checks the idempotency-aware retry policy.
func TestCheckRetry(t *testing.T) {
	t.Parallel()
	refused := &url.Error{Op: "Post", URL: "http://x", Err: &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}}
	dns := &url.Error{Op: "Post", URL: "http://x", Err: &net.DNSError{Err: "no such host", Name: "x", IsNotFound: true}}
	reset := &url.Error{Op: "Post", URL: "http://x", Err: &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}}
	eof := &url.Error{Op: "Get", URL: "http://x", Err: io.EOF}
	cert := &url.Error{Op: "Get", URL: "https://x", Err: &tls.CertificateVerificationError{}}
	downgrade := &url.Error{Op: "Get", URL: "http://x", Err: fmt.Errorf("refusing redirect: %w", ErrInsecureTransport)}
	status := func(code int, retryAfter string) *http.Response {
		h := http.Header{}
		if retryAfter != "" {
			h.Set("Retry-After", retryAfter)
		}
		return &http.Response{StatusCode: code, Header: h}
	}
	tests := []struct {
		name                    string
		resp                    *http.Response
		err                     error
		idempotent, unsafe, nvr bool
	}{
		{"refused", nil, refused, true, true, false},
		{"dns", nil, dns, true, true, false},
		{"reset", nil, reset, true, false, false},
		{"eof", nil, eof, true, false, false},
		{"certificate", nil, cert, false, false, false},
		{"https to http redirect", nil, downgrade, false, false, false},
		{"200", status(200, ""), nil, false, false, false},
		// A redirect the origin lock refused is an answer: never resent.
		{"302 not followed", status(302, ""), nil, false, false, false},
		{"307 not followed", status(307, ""), nil, false, false, false},
		{"400", status(400, ""), nil, false, false, false},
		{"401", status(401, ""), nil, false, false, false},
		{"404", status(404, ""), nil, false, false, false},
		{"429", status(429, ""), nil, true, true, false},
		{"500", status(500, ""), nil, true, false, false},
		{"501", status(501, ""), nil, false, false, false},
		{"502", status(502, ""), nil, true, false, false},
		{"503", status(503, ""), nil, true, false, false},
		{"503 Retry-After", status(503, "2"), nil, true, true, false},
		{"504", status(504, ""), nil, true, false, false},
	}
	for _, tt := range tests {
		for mode, want := range map[retryMode]bool{retryIdempotent: tt.idempotent, retryUnsafe: tt.unsafe, retryNever: tt.nvr} {
			got, err := checkRetry(mode)(context.Background(), tt.resp, tt.err)
			assert.NoError(t, err)
			assert.Equal(t, want, got, "%s, mode %d", tt.name, mode)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	got, err := checkRetry(retryIdempotent)(ctx, status(503, ""), nil)
	assert.False(t, got)
	assert.ErrorIs(t, err, context.Canceled)
}

// countingTransport answers with its statuses in turn, recording each
// request's body and whether it carried a first answer to replay.
type countingTransport struct {
	mu       sync.Mutex
	statuses []int
	bodies   []string
	handed   []bool
}

func (c *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var body []byte
	if req.Body != nil {
		body, _ = io.ReadAll(req.Body)
		_ = req.Body.Close()
	}
	c.bodies = append(c.bodies, string(body))
	_, handed := req.Context().Value(firstAnswerKey{}).(*firstAnswer)
	c.handed = append(c.handed, handed)
	status := c.statuses[min(len(c.bodies), len(c.statuses))-1]
	return &http.Response{StatusCode: status, Header: http.Header{}, Body: io.NopCloser(strings.NewReader("")), Request: req}, nil
}

// TestRetryReplaysFirstAnswer: the first attempt goes straight to the
// stage below; an answer the policy would resend hands the request to
// go-retryablehttp, which gets that answer back without sending it again,
// resends a fresh copy of the body, and logs one retry.
func TestRetryReplaysFirstAnswer(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		statuses []int
		sent     int
		handed   []bool
		retries  int
	}{
		{"answered", []int{http.StatusOK}, 1, []bool{false}, 0},
		{"not resent", []int{http.StatusNotFound}, 1, []bool{false}, 0},
		{"resent once", []int{http.StatusBadGateway, http.StatusOK}, 2, []bool{false, true}, 1},
		{"resent twice", []int{http.StatusBadGateway, http.StatusBadGateway, http.StatusOK}, 3, []bool{false, true, true}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var logs bytes.Buffer
			s := &shared{logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})), now: time.Now}
			next := &countingTransport{statuses: tc.statuses}
			stage := newRetry(APIMovies, retryPolicy{retries: 3}, resendModes{}, s, nil, next)
			req, err := http.NewRequestWithContext(t.Context(), http.MethodPut, "http://api.test/x", io.NopCloser(strings.NewReader("body")))
			assert.NoError(t, err)
			resp, err := stage.RoundTrip(req)
			assert.NoError(t, err)
			assert.Equal(t, tc.statuses[len(tc.statuses)-1], resp.StatusCode)
			assert.Len(t, next.bodies, tc.sent)
			for _, b := range next.bodies {
				assert.Equal(t, "body", b)
			}
			assert.Equal(t, tc.handed, next.handed)
			assert.Equal(t, tc.retries, strings.Count(logs.String(), "mediaauth: retrying"), logs.String())
		})
	}
}
