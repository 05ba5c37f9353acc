package mediaauth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"time"
	"unicode/utf8"
)

// handle is what the three API handles share: the engine, the
// credentials, and the doors: *http.Clients whose transport is the whole
// pipeline: origin lock → authorize → the engine's lower stages.
type handle struct {
	e     *engine
	creds credentialSet
	doors *doorSet
}

// usable reports why h cannot send, if it cannot.
func (h *handle) usable() error {
	if h == nil || h.e == nil {
		return fmt.Errorf("mediaauth: nil or zero client or handle (use New): %w", ErrInvalidArgument)
	}
	if h.e.base == "" {
		return fmt.Errorf("mediaauth: %s: no base URL configured (use %s): %w", h.e.api.name(), baseOption(h.e.api), ErrInvalidArgument)
	}
	return h.creds.err
}

// httpClient returns the open door: the engine with the credentials an
// open request of the API gets.
func (h *handle) httpClient() *http.Client {
	if h == nil || h.e == nil {
		return &http.Client{Transport: unusable{}}
	}
	return &h.doors.open.client
}

// baseURL returns the handle's base URL, "" when none is configured.
func (h *handle) baseURL() string {
	if h == nil || h.e == nil {
		return ""
	}
	return h.e.base
}

// engine returns h's engine, nil for a nil or zero handle.
func (h *handle) engine() *engine {
	if h == nil {
		return nil
	}
	return h.e
}

// baseOption names the option that sets an API's base URL, for errors.
func baseOption(api API) string {
	switch api {
	case APIMovies:
		return "WithMoviesBaseURL"
	case APITVmaze:
		return "WithTVmazeBaseURL"
	}
	return "WithTMDbBaseURL"
}

// unusable is the transport of a nil handle's HTTPClient.
type unusable struct{}

// RoundTrip refuses every request.
func (unusable) RoundTrip(req *http.Request) (*http.Response, error) {
	closeBody(req)
	return nil, fmt.Errorf("mediaauth: nil or zero client or handle (use New): %w", ErrInvalidArgument)
}

// userCredential returns the user's credential h carries when it is a T.
func userCredential[T Credential](h *handle) (T, bool) {
	var zero T
	if h == nil || h.creds.user == nil {
		return zero, false
	}
	v, ok := h.creds.user.cred.(T)
	return v, ok
}

// call is one invocation of an endpoint: the endpoint's description and
// the values of this call.
type call struct {
	h    *handle
	ep   *endpoint
	body any         // JSON request body, or nil
	form formEncoder // form request body, or nil
	// out receives the decoded success body; nil means none is needed.
	out any
	// secrets are the call's secret inputs (passwords, tokens), scrubbed
	// from every error and log text of the call; see secretForms.
	secrets [2]string
	// forms is secrets with their escaped forms, worked out on first use.
	forms []string
	// rawQuery is a query string given as it is (Do).
	rawQuery string
	// attempt, when set, is the context the request is sent with instead
	// of the caller's: the TVmaze poll's answer grace (see keepAnswer).
	attempt context.Context
	// path is the request's URL path: the base URL's path and the
	// endpoint's, as errors show it.
	path string
	// status is set to the HTTP status of the answer.
	status int
	// cancel ends the call's context; set when the answer body is not needed.
	cancel context.CancelFunc
	// observed is set once the call is told to the client's Observer.
	observed bool
	// release ends the per-attempt timeout of a call sent once, if any.
	release context.CancelFunc
}

// validator is implemented by response types that can tell whether the
// server sent every field the contract requires.
type validator interface {
	validate() error
}

// formEncoder is a form body that encodes itself, byte for byte as
// url.Values.Encode would (FuzzLoginForm checks it), without its map.
type formEncoder interface {
	appendForm(b []byte) []byte
}

// errPath is the call's URL path for its errors, without the secrets the
// call knows (a path may hold a session id).
func (cl *call) errPath() string { return scrub(cl.path, cl.secretForms()) }

// secretForms returns the call's secrets with the forms they take when
// escaped (see appendSecret), and the handle's credentials. They are
// worked out when first needed: only a call that fails has text to scrub.
func (cl *call) secretForms() []string {
	if cl.forms == nil {
		forms := make([]string, 0, 8)
		for _, s := range cl.secrets {
			forms = appendSecret(forms, s)
		}
		if cl.h != nil {
			forms = append(forms, cl.h.creds.secrets()...)
			forms = append(forms, cl.h.e.s.secrets...)
		}
		cl.forms = forms
	}
	return cl.forms
}

// errorf builds an error of the call: "mediaauth: api METHOD path: ...",
// with every secret the call knows scrubbed from the text.
func (cl *call) errorf(format string, args ...any) error {
	err := fmt.Errorf("mediaauth: %s %s %s: "+format, append([]any{cl.ep.api, cl.ep.method, cl.errPath()}, args...)...)
	return scrubError(err, cl.secretForms())
}

// send runs one call: build the request, send it through the handle's
// engine (the door of the endpoint's role), then check the answer with the
// endpoint's status table and decode it. No endpoint does HTTP itself.
func (h *handle) send(ctx context.Context, cl *call) error {
	if ctx == nil {
		return fmt.Errorf("mediaauth: nil context: %w", ErrInvalidArgument)
	}
	if err := h.usable(); err != nil {
		return err
	}
	if h.e.s.observer != nil && !cl.observed {
		return h.sendObserved(ctx, cl)
	}
	cl.h = h
	cl.path = h.e.fullPath(cl.ep)
	req, err := cl.request(ctx)
	if err != nil {
		return err
	}
	defer cl.finish()
	resp, err := h.doors.own[cl.ep.role].client.Do(req)
	if err != nil {
		return cl.transportError(ctx, err)
	}
	cl.status = resp.StatusCode
	return cl.handleResponse(ctx, resp)
}

// request builds the call's HTTP request, with the context it is sent
// with: for a call sent once, the per-attempt timeout on the request
// itself (so that the base stage adds no timer), or the poll's answer
// grace; and, when the answer body is not needed, a cancel that stops
// reading it. finish must be called when the call is done.
func (cl *call) request(ctx context.Context) (*http.Request, error) {
	h, ep := cl.h, cl.ep
	body, contentType, err := cl.encode()
	if err != nil {
		return nil, err
	}
	if cl.attempt != nil {
		ctx = cl.attempt
	}
	if cl.out == nil {
		ctx, cl.cancel = context.WithCancel(ctx)
	}
	if cl.secrets[0] != "" {
		// The stages below scrub the call's secret inputs too.
		ctx = context.WithValue(ctx, secretsKey{}, secretLister(cl))
	}
	if ep.resend == retryNever {
		ctx, cl.release = attemptContext(ctx, h.e.s.timeout)
	}
	req, err := h.e.newRequest(ctx, ep.method, ep.path, cl.path, body)
	if err != nil {
		cl.finish()
		return nil, cl.errorf("building request: %w: %w", stripURL(err), ErrInvalidArgument)
	}
	req.URL.RawQuery = cl.rawQuery
	hd := req.Header
	hd["Accept"] = h.e.s.hdrAccept
	if contentType != nil {
		hd["Content-Type"] = contentType
	}
	hd["User-Agent"] = h.e.s.hdrUserAgent
	return req, nil
}

// finish releases what the call's request holds: its attempt's timeout
// and the cancel of a body that is not needed.
func (cl *call) finish() {
	if cl.release != nil {
		cl.release()
	}
	if cl.cancel != nil {
		cl.cancel()
	}
}

// newRequest builds a request of e for the endpoint path (full: with the
// base URL's path in front) with body, if any. A path of plain characters
// on a base URL without escapes gets a copy of the base URL, parsed once;
// any other is parsed. The request has no Host of its own (the same on
// the wire): http.Client then makes no copy of its URL.
func (e *engine) newRequest(ctx context.Context, method, path, full string, body []byte) (*http.Request, error) {
	var bodyReader io.Reader
	if body != nil {
		bodyReader = bytes.NewReader(body)
	}
	if e.baseURL == nil || !plainPath(path) {
		req, err := http.NewRequestWithContext(ctx, method, e.base+path, bodyReader)
		if err != nil {
			return nil, err
		}
		req.Host = ""
		return req, nil
	}
	req, err := http.NewRequestWithContext(ctx, method, "", bodyReader)
	if err != nil {
		return nil, err
	}
	*req.URL = *e.baseURL
	req.URL.Path = full
	return req, nil
}

// plainPath reports whether p is made only of characters that a URL path
// holds as they are (letters, digits, "-._~/").
func plainPath(p string) bool {
	for i := 0; i < len(p); i++ {
		c := p[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~/", c) >= 0) {
			return false
		}
	}
	return true
}

// attemptContext bounds the one attempt of a call that is never resent by
// the per-attempt timeout, on the request itself, so that the base stage
// sees the deadline and adds nothing: neither a copy of the request nor a
// wrapper around its body. A context whose own deadline comes first is
// used as it is (release is then nil).
func attemptContext(ctx context.Context, timeout time.Duration) (context.Context, context.CancelFunc) {
	if timeout <= 0 || deadlineWithin(ctx, timeout) {
		return ctx, nil
	}
	return context.WithTimeout(ctx, timeout)
}

// encode returns the request body and its content type.
func (cl *call) encode() ([]byte, []string, error) {
	switch {
	case cl.form != nil:
		return cl.form.appendForm(nil), cl.h.e.s.hdrForm, nil
	case cl.body != nil:
		body, err := json.Marshal(cl.body)
		if err != nil {
			return nil, nil, cl.errorf("encoding body: %w: %w", err, ErrInvalidArgument)
		}
		return body, cl.h.e.s.hdrJSON, nil
	}
	return nil, nil, nil
}

// transportError wraps a failure of the engine. A cancelled or expired
// context is returned as such, so that errors.Is(err, context.Canceled)
// works; a check that failed before sending keeps its sentinel; anything
// else is a *NetworkError.
func (cl *call) transportError(ctx context.Context, err error) error {
	if ue, ok := err.(*url.Error); ok {
		// The engine's http.Client names the URL; the stages below have
		// already said which operation failed.
		err = ue.Err
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		return cl.errorf("%w", ctxErr)
	}
	var netErr *NetworkError
	if errors.As(err, &netErr) {
		return &NetworkError{API: cl.ep.api, Method: cl.ep.method, Path: cl.errPath(), Err: scrubError(netErr.Err, cl.secretForms())}
	}
	if notSentByEngine(err) {
		return scrubError(err, cl.secretForms())
	}
	return &NetworkError{API: cl.ep.api, Method: cl.ep.method, Path: cl.errPath(), Err: scrubError(err, cl.secretForms())}
}

// notSentByEngine reports whether err is a check of the engine's that
// failed before anything was sent.
func notSentByEngine(err error) bool {
	return errors.Is(err, ErrMissingCredentials) || errors.Is(err, ErrInvalidArgument) || errors.Is(err, ErrOriginMismatch)
}

// handleResponse reads the capped body and decodes it, or maps the error.
func (cl *call) handleResponse(ctx context.Context, resp *http.Response) error {
	ep := cl.ep
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return checkResponse(ep, resp, cl.secretForms())
	}
	if cl.out == nil {
		// Read what arrives within drainWait to keep the connection, then
		// stop: the result does not depend on the body.
		t := time.AfterFunc(drainWait, cl.cancel)
		drainClose(resp.Body)
		t.Stop()
		return nil
	}
	s := cl.h.e.s
	buf, tooLarge, readErr := s.readBody(resp, maxSuccessBody)
	defer s.putBuf(buf)
	if readErr != nil {
		if ctx.Err() != nil {
			return cl.errorf("reading response: %w", ctx.Err())
		}
		return &NetworkError{API: ep.api, Method: ep.method, Path: cl.errPath(),
			Err: scrubError(fmt.Errorf("reading %d response: %w", resp.StatusCode, stripURL(readErr)), cl.secretForms())}
	}
	if tooLarge {
		return &APIError{API: ep.api, Method: ep.method, Path: cl.errPath(), StatusCode: resp.StatusCode,
			kind: ErrResponseTooLarge, cause: fmt.Errorf("body over %d bytes", maxSuccessBody)}
	}
	return cl.decode(resp, buf.b)
}

// decode checks a success answer's content type and decodes it into out.
func (cl *call) decode(resp *http.Response, data []byte) error {
	if ct := resp.Header.Get("Content-Type"); ct != "" && !isJSONContentType(ct) {
		return cl.malformed(resp.StatusCode, "content type %q, want application/json", truncate(ct, 64))
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return cl.malformed(resp.StatusCode, "empty body")
	}
	if err := json.Unmarshal(data, cl.out); err != nil {
		return cl.malformed(resp.StatusCode, "decoding JSON: %v", err)
	}
	if v, ok := cl.out.(validator); ok {
		if err := v.validate(); err != nil {
			return cl.malformed(resp.StatusCode, "%v", err)
		}
	}
	return nil
}

// malformed builds the error for a body the client cannot accept.
func (cl *call) malformed(status int, format string, args ...any) *APIError {
	return &APIError{
		API: cl.ep.api, Method: cl.ep.method, Path: cl.errPath(), StatusCode: status,
		kind:  ErrMalformedResponse,
		cause: scrubError(fmt.Errorf(format, args...), cl.secretForms()),
	}
}

func isJSONContentType(ct string) bool {
	// The usual forms ("application/json", "application/json;charset=utf-8")
	// without the allocations of mime.ParseMediaType.
	const plain = "application/json"
	if len(ct) >= len(plain) && strings.EqualFold(ct[:len(plain)], plain) &&
		(len(ct) == len(plain) || ct[len(plain)] == ';' || ct[len(plain)] == ' ') {
		return true
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}

// readBuf is a pooled buffer for response bodies.
type readBuf struct{ b []byte }

// readBody reads resp's body up to limit bytes into a pooled buffer and
// closes it. A body that is (or says it is) over limit is not read further:
// tooLarge is set and the connection is dropped. The buffer doubles up to
// 64 KiB and then grows once to limit+1 bytes, and a known Content-Length
// is allocated once, so that a huge answer costs at most about limit bytes.
func (s *shared) readBody(resp *http.Response, limit int64) (buf *readBuf, tooLarge bool, err error) {
	buf = s.bufs.Get().(*readBuf)
	b := buf.b[:0]
	defer func() {
		buf.b = b
		_ = resp.Body.Close()
	}()
	if resp.ContentLength > limit {
		return buf, true, nil
	}
	if n := resp.ContentLength; n > 0 && int64(cap(b)) < n+1 {
		b = make([]byte, 0, n+1)
	}
	for {
		if len(b) == cap(b) {
			if int64(len(b)) > limit {
				return buf, true, nil
			}
			// Double up to 64 KiB; past that, go straight to the cap, so
			// that an answer that turns out too large has cost about
			// limit bytes, not twice that in doublings.
			next := int64(max(2*cap(b), 4096))
			if next > 64<<10 {
				next = limit + 1
			}
			nb := make([]byte, len(b), min(next, limit+1))
			copy(nb, b)
			b = nb
		}
		n, rerr := resp.Body.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if int64(len(b)) > limit {
			return buf, true, nil
		}
		if rerr == io.EOF {
			return buf, false, nil
		}
		if rerr != nil {
			return buf, false, rerr
		}
	}
}

// putBuf returns a buffer to the pool.
func (s *shared) putBuf(buf *readBuf) {
	if cap(buf.b) <= maxSuccessBody+1 {
		buf.b = buf.b[:0]
		s.bufs.Put(buf)
	}
}

// checkResponse turns an error answer of ep (a 3xx, 4xx or 5xx) into its
// *APIError, with the secrets of the lists and those the request carried
// scrubbed from the server's text. It reads at most maxErrorBody+1 bytes
// of the body, leaves what it read in resp.Body and closes the rest.
func checkResponse(ep *endpoint, resp *http.Response, secrets ...[]string) error {
	secrets = append(secrets, requestSecrets(resp.Request))
	method, path := requestLine(resp, ep)
	path = scrub(path, secrets...)
	if resp.StatusCode >= 300 && resp.StatusCode <= 399 {
		drainClose(resp.Body)
		resp.Body = http.NoBody
		return redirectError(ep.api, method, path, resp, secrets)
	}
	var data []byte
	var readErr error
	if resp.Body != nil {
		data, readErr = io.ReadAll(io.LimitReader(resp.Body, maxErrorBody+1))
		_ = resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(data))
	}
	if len(data) > maxErrorBody {
		return &APIError{API: ep.api, Method: method, Path: path, StatusCode: resp.StatusCode,
			kind: ErrResponseTooLarge, cause: fmt.Errorf("body over %d bytes", maxErrorBody)}
	}
	if readErr != nil && resp.ContentLength > int64(len(data)) {
		return &NetworkError{API: ep.api, Method: method, Path: path,
			Err: scrubError(fmt.Errorf("reading %d response: %w", resp.StatusCode, stripURL(readErr)), secrets...)}
	}
	return newAPIError(ep.api, method, path, ep.statuses, resp, data, time.Now(), secrets...)
}

// requestLine returns the method and URL path of the request an answer
// is to (the first of a chain of redirects), or those of ep when the
// answer has no request.
func requestLine(resp *http.Response, ep *endpoint) (string, string) {
	req := resp.Request
	for i := 0; req != nil && req.Response != nil && req.Response.Request != nil && i < maxRedirects+1; i++ {
		req = req.Response.Request
	}
	if req != nil && req.URL != nil {
		return req.Method, strings.ToValidUTF8(req.URL.Path, "\uFFFD")
	}
	return ep.method, ep.path
}

// redirectError is the *APIError of a redirect that was not followed. The
// target is shown without its query, scrubbed of the secrets.
func redirectError(api API, method, path string, resp *http.Response, secrets [][]string) *APIError {
	msg := "redirect not followed"
	switch {
	case resp.Header.Get(badLocationHeader) != "":
		msg = "redirect with an invalid Location not followed"
	case resp.Header.Get("Location") != "":
		target := redactedLocation(resp.Request, resp.Header.Get("Location"))
		msg = "redirect to " + truncate(target, 256) + " not followed (another origin, a request with a body, a target holding a credential, or over the limit of 10)"
	}
	return &APIError{API: api, Method: method, Path: path, StatusCode: resp.StatusCode,
		Message: scrub(msg, secrets...), kind: ErrRedirect}
}

// CheckResponse turns an answer of api into the error the SDK's own calls
// return for it: nil for a 2xx status, else an *[APIError] that unwraps to
// the class of the status and to the sentinel of the endpoint or API
// ([ErrEmailNotVerified], [ErrTokenExpired], [ErrInvalidAPIKey] for TMDb
// code 7, ...), with the same fields. It reads at most 64 KiB of the body
// of an error answer and leaves what it read in resp.Body for the caller.
// The credentials the request carried are scrubbed from the server's text.
// Use it with the answers of a handle's HTTPClient ([Movies.HTTPClient],
// [TVmaze.HTTPClient], [TMDb.HTTPClient]). An unknown api or a nil resp is
// [ErrInvalidArgument].
func CheckResponse(api API, resp *http.Response) error {
	if !api.valid() {
		return fmt.Errorf("mediaauth: CheckResponse: unknown API %q: %w", truncate(string(api), 32), ErrInvalidArgument)
	}
	if resp == nil {
		return fmt.Errorf("mediaauth: CheckResponse: nil response: %w", ErrInvalidArgument)
	}
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		return nil
	}
	method, path := requestLine(resp, &endpoint{api: api})
	return checkResponse(endpointFor(api, method, path), resp)
}

// do is the Do door of a handle: the caller's path and body, the open
// role, and the status table of the endpoint the path names, if any.
func (h *handle) do(ctx context.Context, method, path string, in, out any) error {
	if err := h.usable(); err != nil {
		return err
	}
	api := h.e.api
	if err := checkMethod(method); err != nil {
		return fmt.Errorf("mediaauth: %s Do: %w", api, err)
	}
	rawPath, rawQuery, _ := strings.Cut(path, "?")
	if !strings.HasPrefix(rawPath, "/") || strings.Contains(rawPath, "//") || strings.ContainsAny(path, "#") ||
		!utf8.ValidString(path) || strings.IndexFunc(path, isControl) >= 0 || strings.ContainsRune(path, ' ') {
		return fmt.Errorf("mediaauth: %s Do: path %q must start with one / and hold no fragment, space or control character: %w", api, truncate(rawPath, 64), ErrInvalidArgument)
	}
	if out != nil {
		if v := reflect.ValueOf(out); v.Kind() != reflect.Pointer || v.IsNil() {
			return fmt.Errorf("mediaauth: %s Do: out must be a non-nil pointer, got %T: %w", api, out, ErrInvalidArgument)
		}
	}
	ep := *endpointFor(api, method, h.e.basePath+rawPath)
	ep.name, ep.path, ep.role = "Do", rawPath, openRole(api)
	return h.send(ctx, &call{ep: &ep, body: in, out: out, rawQuery: rawQuery})
}

// checkMethod refuses a method that is not an HTTP token.
func checkMethod(method string) error {
	if method == "" {
		return fmt.Errorf("empty method: %w", ErrInvalidArgument)
	}
	for i := 0; i < len(method); i++ {
		if c := method[i]; c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return fmt.Errorf("invalid method %q: %w", truncate(method, 16), ErrInvalidArgument)
		}
	}
	return nil
}
