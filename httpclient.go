package mediaauth

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
)

// The open pipeline: Client.HTTPClient for the rest of each API, through
// the same credentials, limiter, retry rules, per-attempt timeout and
// origin lock as the SDK's own calls. Do (request.go) and CheckResponse are
// its other halves.

// HTTPClient returns an *http.Client for the rest of api, the open
// pipeline: requests to that API's origin get the client's credentials for
// it (for TMDb the user's session or v4 token too), wait on the same rate
// limiter as the SDK's own calls, are retried only when that is safe, and
// follow redirects only within the origin and only without a body. A
// request to any other origin fails with [ErrOriginMismatch] and is never
// sent. Use [CheckResponse] to turn its error answers into *APIError:
//
//	resp, err := client.HTTPClient(mediaauth.APITMDb).Get(tmdbBase + "/3/account")
func (c *Client) HTTPClient(api API) *http.Client {
	hc := &http.Client{Transport: &apiTransport{c: c, api: api}}
	if c != nil && c.s != nil {
		// This client follows redirects itself, under the origin lock and
		// then the caller's own policy, as the SDK's calls do; each hop is
		// a request of the open pipeline.
		hc.CheckRedirect = lockedRedirect(c.s.httpClient.CheckRedirect)
		hc.Jar = c.s.httpClient.Jar
	}
	return hc
}

// BaseURL returns the base URL the client uses for api ("" when none is
// configured), for building the URLs given to [Client.HTTPClient].
func (c *Client) BaseURL(api API) string {
	if c == nil || c.s == nil || !api.valid() {
		return ""
	}
	return c.s.bases[api.index()]
}

// apiTransport is the transport of Client.HTTPClient: the open pipeline.
// Requests to the API's origin get the client's credentials for it, wait
// on the API's limiter and are retried only when that is safe; a request
// to any other origin is refused before anything is sent.
type apiTransport struct {
	c   *Client
	api API
}

// RoundTrip sends req through the client's pipeline.
func (t *apiTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.roundTrip(req)
	if err != nil && req.Body != nil {
		_ = req.Body.Close()
	}
	return resp, err
}

func (t *apiTransport) roundTrip(req *http.Request) (*http.Response, error) {
	c, api := t.c, t.api
	if err := c.usable(); err != nil {
		return nil, err
	}
	if !api.valid() {
		return nil, fmt.Errorf("mediaauth: HTTPClient: unknown API %q: %w", string(api), ErrInvalidArgument)
	}
	s := c.s
	idx := api.index()
	if s.bases[idx] == "" {
		return nil, fmt.Errorf("mediaauth: %s: no base URL configured", api.name())
	}
	if originKey(req.URL) != s.originKeys[idx] {
		return nil, fmt.Errorf("mediaauth: %s: %w: %s is not %s", api.name(), ErrOriginMismatch, urlForError(req.URL), s.origins[idx])
	}
	ctx := req.Context()
	// A shallow copy with headers of its own: the caller's request is not
	// changed, and its header values, which net/http only reads, are shared.
	out := new(http.Request)
	*out = *req
	out.Header = make(http.Header, len(req.Header)+2)
	for k, v := range req.Header {
		out.Header[k] = v
	}
	q, err := c.attach(ctx, api, openAuthMode(api), out.Header, req.URL.RawQuery)
	if err != nil {
		return nil, fmt.Errorf("mediaauth: %s %s %s: %w", api, req.Method, req.URL.Path, scrubError(err, c.creds.secrets))
	}
	if q != req.URL.RawQuery {
		u := *req.URL
		u.RawQuery = q
		out.URL = &u
	}
	if out.Header.Get("User-Agent") == "" {
		out.Header["User-Agent"] = s.hdrUserAgent
	}
	mode := retryUnsafe
	if idempotentMethod(req.Method) {
		mode = retryIdempotent
	}
	sender := s.senders[idx][mode]
	if err := rewindable(out, sender.RetryMax); err != nil {
		return nil, fmt.Errorf("mediaauth: %s %s %s: reading request body: %w", api, req.Method, req.URL.Path, err)
	}
	if err := waitLimit(ctx, s.limiters[idx]); err != nil {
		return nil, fmt.Errorf("mediaauth: %s %s %s: %w", api, req.Method, req.URL.Path, err)
	}
	resp, err := s.sendOpen(ctx, out, sender)
	if err != nil {
		if resp != nil {
			drainClose(resp.Body)
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("mediaauth: %s %s %s: %w", api, req.Method, req.URL.Path, ctx.Err())
		}
		return nil, &NetworkError{API: api, Method: req.Method, Path: req.URL.Path, Err: scrubError(stripURL(err), c.creds.secrets)}
	}
	return resp, nil
}

// rewindable makes a request that may be resent able to send its body
// again: a body without GetBody is read into memory once.
func rewindable(req *http.Request, retries int) error {
	if retries == 0 || req.Body == nil || req.Body == http.NoBody || req.GetBody != nil {
		return nil
	}
	data, err := io.ReadAll(req.Body)
	_ = req.Body.Close()
	if err != nil {
		return err
	}
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
	req.Body, _ = req.GetBody()
	return nil
}
