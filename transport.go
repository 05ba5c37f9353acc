package mediaauth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// The transport every request goes through. The http.Client that
// go-retryablehttp sends with (shared.sendClient) wraps the caller's (or
// the default) http.Client:
//   - keepIdle applies the per-attempt timeout and hides
//     CloseIdleConnections from go-retryablehttp;
//   - lockedRedirect is the redirect policy: the origin lock;
//   - a redirect whose Location cannot be parsed is not followed, and its
//     Location (which may echo the request's query) never reaches an error.

// maxRedirects bounds the same-origin redirects one request follows.
const maxRedirects = 10

// keepIdle is the transport go-retryablehttp sends through: that of hc,
// read at each request, without CloseIdleConnections. go-retryablehttp
// closes idle connections after every call that ends in an error, which on a
// shared transport would close the pooled connections of every other call,
// cancel their dials, and stop the failed call's own connection from being
// reused. It also bounds each request by hc.Timeout, from sending to the
// end of reading the body, through the request's context; a context whose
// deadline comes first needs no timer of its own.
type keepIdle struct{ hc *http.Client }

// RoundTrip sends req through hc's transport.
func (k keepIdle) RoundTrip(req *http.Request) (*http.Response, error) {
	rt := k.hc.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	timeout := k.hc.Timeout
	if timeout <= 0 || deadlineWithin(req.Context(), timeout) {
		resp, err := rt.RoundTrip(req)
		if err != nil {
			return nil, err
		}
		dropBadLocation(req, resp)
		return resp, nil
	}
	ctx, cancel := context.WithTimeout(req.Context(), timeout)
	resp, err := rt.RoundTrip(req.WithContext(ctx))
	if err != nil {
		cancel()
		return nil, err
	}
	dropBadLocation(req, resp)
	resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

// attemptContext returns the context of the one attempt of a call that is
// never resent: ctx bounded by the per-attempt timeout (hc.Timeout, as in
// keepIdle; nothing when ctx's own deadline comes first) or, for a poll
// (grace above zero), the context keepAnswer makes, which the timeout
// bounds too. keepIdle then sees the deadline and adds nothing: neither a
// copy of the request nor a wrapper around its body. The expiry is the
// transport's context.DeadlineExceeded, which the pipeline reports as a
// *NetworkError since the caller's ctx has not ended. cancel, when not
// nil, must be called once the answer is read, and so must the guard's
// release.
func (s *shared) attemptContext(ctx context.Context, grace time.Duration) (context.Context, context.CancelFunc, *answerGuard) {
	timeout := s.httpClient.Timeout
	if sendCtx, g := keepAnswer(ctx, grace, timeout); g != nil {
		return sendCtx, nil, g
	}
	if timeout <= 0 || deadlineWithin(ctx, timeout) {
		return ctx, nil, nil
	}
	sendCtx, cancel := context.WithTimeout(ctx, timeout)
	return sendCtx, cancel, nil
}

// deadlineWithin reports whether ctx has a deadline at most d from now.
func deadlineWithin(ctx context.Context, d time.Duration) bool {
	dl, ok := ctx.Deadline()
	return ok && time.Until(dl) <= d
}

// dropBadLocation removes the Location header of a redirect that cannot be
// parsed, so that net/http returns the redirect as it is instead of an
// error that quotes the Location (and with it whatever it echoes).
func dropBadLocation(req *http.Request, resp *http.Response) {
	if resp.StatusCode < 300 || resp.StatusCode > 399 {
		return
	}
	loc := resp.Header.Get("Location")
	if loc == "" {
		return
	}
	if _, err := req.URL.Parse(loc); err != nil {
		resp.Header.Del("Location")
		resp.Header.Set(badLocationHeader, "1")
	}
}

// badLocationHeader marks a redirect whose Location was dropped.
const badLocationHeader = "X-Mediaauth-Bad-Location"

// cancelOnClose releases a request's timeout when its body is closed.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

// Close closes the body and releases the timeout.
func (b *cancelOnClose) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

// origin is the origin of a URL: scheme, host and port (explicit), lower
// case. Comparing two costs no allocation.
type origin struct{ scheme, host, port string }

// originKey returns the origin of u (the zero origin for nil).
func originKey(u *url.URL) origin {
	if u == nil {
		return origin{}
	}
	o := origin{scheme: strings.ToLower(u.Scheme), host: strings.ToLower(u.Hostname()), port: u.Port()}
	if o.port == "" {
		switch o.scheme {
		case "https":
			o.port = "443"
		case "http":
			o.port = "80"
		}
	}
	return o
}

// originOf is the origin of u as text: scheme://host:port.
func originOf(u *url.URL) string {
	if u == nil {
		return ""
	}
	o := originKey(u)
	return o.scheme + "://" + net.JoinHostPort(o.host, o.port)
}

// lockedRedirect is the origin lock for redirects: a redirect is followed
// only when it stays on the origin of the first request and that request
// had no body; then next (the caller's policy, if any) decides. A refused
// redirect is returned as the answer (http.ErrUseLastResponse), which the
// pipeline reports as ErrRedirect, so that neither the body nor a
// credential ever reaches another origin. net/http copies the
// Authorization header to any host of the same domain, whatever the port:
// the lock stops that too.
func lockedRedirect(next func(*http.Request, []*http.Request) error) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		first := via[0]
		switch {
		case len(via) >= maxRedirects:
			return http.ErrUseLastResponse
		case first.GetBody != nil || first.ContentLength != 0:
			return http.ErrUseLastResponse
		case originKey(req.URL) != originKey(first.URL):
			return http.ErrUseLastResponse
		}
		if next != nil {
			return next(req, via)
		}
		return nil
	}
}

// redirectError is the *APIError of a redirect that was not followed. The
// target is shown without its query.
func redirectError(cl *call, resp *http.Response) *APIError {
	msg := "redirect not followed"
	switch {
	case resp.Header.Get(badLocationHeader) != "":
		msg = "redirect with an invalid Location not followed"
	case resp.Header.Get("Location") != "":
		target := resp.Header.Get("Location")
		target = redactedLocation(resp.Request, target)
		msg = "redirect to " + truncate(target, 256) + " not followed (another origin, a request with a body, or over the limit of 10)"
	}
	return &APIError{
		API: cl.ep.api, Method: cl.ep.method, Path: cl.ep.path, StatusCode: resp.StatusCode,
		Message: scrub(msg, cl.c.creds.secrets, cl.secretForms()), kind: ErrRedirect,
	}
}

// redactedLocation resolves a Location against the request's URL and
// drops its query, fragment and user info; one that does not parse is not
// shown.
func redactedLocation(req *http.Request, loc string) string {
	base := &url.URL{}
	if req != nil && req.URL != nil {
		base = req.URL
	}
	u, err := base.Parse(loc)
	if err != nil {
		return "(invalid Location)"
	}
	return urlForError(u)
}

// checkTransportSecurity refuses plain http to a host that is not loopback.
func checkTransportSecurity(u *url.URL, insecureOK bool) error {
	if u.Scheme == "https" || insecureOK || isLoopback(u.Hostname()) {
		return nil
	}
	return fmt.Errorf("%w to %s (use https, or WithInsecureHTTP)", ErrInsecureTransport, u.Host)
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// idempotentMethod reports whether repeating a request with this method is
// harmless by HTTP's definition (RFC 9110, 9.2.2).
func idempotentMethod(m string) bool {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}

// stripURL removes the *url.Error layer, whose text holds the full URL and
// so the TMDb api_key query parameter.
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}

// drainClose reads what is left of a body, up to maxDrain, so that the
// connection can be reused, and closes it.
func drainClose(body io.ReadCloser) {
	_, _ = io.Copy(io.Discard, io.LimitReader(body, maxDrain))
	_ = body.Close()
}
