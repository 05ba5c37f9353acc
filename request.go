package mediaauth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/google/go-querystring/query"
	"github.com/hashicorp/go-retryablehttp"
)

// Body size caps: a success body above maxSuccessBody or an error body
// above maxErrorBody is ErrResponseTooLarge.
const (
	maxSuccessBody = 1 << 20
	maxErrorBody   = 64 << 10
	// maxDrain is how much of an unread body is read to keep its connection.
	maxDrain = 64 << 10
	// drainWait bounds how long a call whose answer body is not needed
	// waits for that body before it returns its result.
	drainWait = 50 * time.Millisecond
)

// call is one invocation of an endpoint: the endpoint's description and
// the values of this call.
type call struct {
	c     *Client
	ep    *endpoint
	query any // struct encoded with go-querystring, or nil
	body  any // JSON request body, or nil
	form  any // form request body encoded with go-querystring, or nil
	// out receives the decoded success body; nil means none is needed.
	out any
	// secrets are the call's secret inputs (passwords, tokens), scrubbed
	// from every error and log text of the call; see secretForms.
	secrets [2]string
	// forms is secrets with their escaped forms, worked out on first use.
	forms []string
	// rawQuery is a query string given as it is (Do), before query's.
	rawQuery string
	// status is set by the pipeline to the HTTP status of the answer.
	status int
	// cancel ends the call's context; set when the answer body is not needed.
	cancel context.CancelFunc
	// sentToken is the Movies bearer a token source gave for this call.
	sentToken string
	// grace, above zero, keeps an answer that has begun to arrive when the
	// caller's context ends, for that long (the TVmaze poll; see keepAnswer).
	// Only for endpoints that are never resent.
	grace time.Duration
}

// validator is implemented by response types that can tell whether the
// server sent every field the contract requires.
type validator interface {
	validate() error
}

// secretForms returns the call's secrets with the forms they take when
// escaped (see appendSecret). They are worked out when first needed: only a
// call that fails or logs has text to scrub.
func (cl *call) secretForms() []string {
	if cl.forms == nil {
		forms := make([]string, 0, 8)
		for _, s := range cl.secrets {
			forms = appendSecret(forms, s)
		}
		forms = appendSecret(forms, cl.sentToken)
		cl.forms = forms
	}
	return cl.forms
}

// errorf builds an error of the call: "mediaauth: api METHOD path: ...",
// with every secret the call knows scrubbed from the text.
func (cl *call) errorf(format string, args ...any) error {
	err := fmt.Errorf("mediaauth: %s %s %s: "+format, append([]any{cl.ep.api, cl.ep.method, cl.ep.path}, args...)...)
	return scrubError(err, cl.c.creds.secrets, cl.secretForms())
}

// do runs one call through the pipeline: encode, authorize, limit, send,
// read the capped body, decode or map to a typed error. No endpoint does
// HTTP itself. A Movies token from a token source that the API refuses as
// expired is renewed once; the call is then sent again only if that is
// safe.
func (c *Client) do(ctx context.Context, cl *call) error {
	err := c.doOnce(ctx, cl)
	if !c.renewable(cl, err) {
		return err
	}
	if rerr := c.renew(ctx, cl); rerr != nil {
		return errors.Join(err, rerr)
	}
	if cl.ep.resend != retryIdempotent {
		return err
	}
	cl.sentToken, cl.status, cl.forms = "", 0, nil
	return c.doOnce(ctx, cl)
}

// doOnce is one pass through the pipeline.
func (c *Client) doOnce(ctx context.Context, cl *call) error {
	if ctx == nil {
		return fmt.Errorf("mediaauth: nil context: %w", ErrInvalidArgument)
	}
	if err := c.usable(); err != nil {
		return err
	}
	cl.c = c
	s := c.s
	ep := cl.ep
	idx := ep.api.index()
	base := s.bases[idx]
	if base == "" {
		return cl.errorf("no base URL configured (use %s)", baseOption[idx])
	}
	if cl.out == nil {
		// The answer body is not needed: drain it briefly, then stop.
		var cancel context.CancelFunc
		ctx, cancel = context.WithCancel(ctx)
		defer cancel()
		cl.cancel = cancel
	}

	body, contentType, err := cl.encode()
	if err != nil {
		return err
	}
	rawQuery := cl.rawQuery
	if cl.query != nil {
		vals, qerr := query.Values(cl.query)
		if qerr != nil {
			return cl.errorf("encoding query: %w", qerr)
		}
		rawQuery = joinQuery(rawQuery, vals.Encode())
	}
	// The body is a *bytes.Reader, so net/http sets ContentLength and
	// GetBody, and the sender's PrepareRetry rewinds it with GetBody.
	var bodyReader io.Reader
	if body != nil {
		bodyReader = bytes.NewReader(body)
	}
	hreq, err := http.NewRequestWithContext(ctx, ep.method, base+ep.path, bodyReader)
	if err != nil {
		return cl.errorf("building request: %w", stripURL(err))
	}
	h := hreq.Header
	rawQuery, err = c.attach(ctx, ep.api, ep.auth, h, rawQuery)
	if err != nil {
		return cl.errorf("%w", err)
	}
	hreq.URL.RawQuery = rawQuery
	if ep.api == APIMovies && c.creds.moviesSource != nil {
		if v := h["Authorization"]; len(v) == 1 {
			cl.sentToken = strings.TrimPrefix(v[0], "Bearer ")
			cl.forms = nil // worked out again with the token
		}
	}
	h["Accept"] = s.hdrAccept
	if contentType != nil {
		h["Content-Type"] = contentType
	}
	h["User-Agent"] = s.hdrUserAgent

	if err := waitLimit(ctx, s.limiters[idx]); err != nil {
		if ctx.Err() != nil {
			return cl.errorf("%w", ctx.Err())
		}
		return cl.errorf("%w", err)
	}
	sender := s.senders[idx][ep.resend]
	if sender.RetryMax == 0 {
		// Sent once: the attempt's timeout goes on the request itself (see
		// attemptContext). The request is not shared yet, and the copy that
		// sets its context stays on the stack.
		sendCtx, cancel, guard := s.attemptContext(ctx, cl.grace)
		if sendCtx != ctx {
			*hreq = *hreq.WithContext(sendCtx)
		}
		if cancel != nil {
			defer cancel()
		}
		defer guard.release()
	}
	var start time.Time
	logging := s.logger != nil && s.logger.Enabled(ctx, slog.LevelDebug)
	if logging {
		start = time.Now()
	}
	resp, err := sender.Do(&retryablehttp.Request{Request: hreq})
	if err != nil {
		if resp != nil {
			drainClose(resp.Body)
		}
		err = cl.transportError(ctx, err)
		if logging {
			s.logger.LogAttrs(ctx, slog.LevelDebug, "mediaauth: request failed",
				slog.String("api", string(ep.api)), slog.String("method", ep.method),
				slog.String("path", ep.path), slog.String("error", err.Error()))
		}
		return err
	}
	cl.status = resp.StatusCode
	err = cl.handleResponse(ctx, resp)
	if logging {
		attrs := []slog.Attr{
			slog.String("api", string(ep.api)), slog.String("method", ep.method),
			slog.String("path", ep.path), slog.Int("status", resp.StatusCode),
			slog.Duration("duration", time.Since(start)),
		}
		if err != nil {
			attrs = append(attrs, slog.String("error", err.Error()))
		}
		s.logger.LogAttrs(ctx, slog.LevelDebug, "mediaauth: request", attrs...)
	}
	return err
}

// formEncoder is a form body that encodes itself, byte for byte as
// go-querystring and url.Values.Encode would, without their reflection and
// map.
type formEncoder interface {
	appendForm(b []byte) []byte
}

// encode returns the request body and its content type.
func (cl *call) encode() ([]byte, []string, error) {
	switch {
	case cl.form != nil:
		if f, ok := cl.form.(formEncoder); ok {
			return f.appendForm(nil), cl.c.s.hdrForm, nil
		}
		vals, err := query.Values(cl.form)
		if err != nil {
			return nil, nil, cl.errorf("encoding form: %w", err)
		}
		return []byte(vals.Encode()), cl.c.s.hdrForm, nil
	case cl.body != nil:
		body, err := json.Marshal(cl.body)
		if err != nil {
			return nil, nil, cl.errorf("encoding body: %w", err)
		}
		return body, cl.c.s.hdrJSON, nil
	}
	return nil, nil, nil
}

// transportError wraps a failure of the transport. A cancelled or expired
// context is returned as such, so that errors.Is(err, context.Canceled) works.
func (cl *call) transportError(ctx context.Context, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return cl.errorf("%w", ctxErr)
	}
	return &NetworkError{
		API: cl.ep.api, Method: cl.ep.method, Path: cl.ep.path,
		Err: scrubError(stripURL(err), cl.c.creds.secrets, cl.secretForms()),
	}
}

// handleResponse reads the capped body and decodes it, or maps the error.
func (cl *call) handleResponse(ctx context.Context, resp *http.Response) error {
	s := cl.c.s
	ep := cl.ep
	if resp.StatusCode >= 300 && resp.StatusCode <= 399 {
		drainClose(resp.Body)
		return redirectError(cl, resp)
	}
	success := resp.StatusCode >= 200 && resp.StatusCode <= 299
	if success && cl.out == nil {
		// Read what arrives within drainWait to keep the connection, then
		// stop: the result does not depend on the body.
		t := time.AfterFunc(drainWait, cl.cancel)
		drainClose(resp.Body)
		t.Stop()
		return nil
	}
	limit := int64(maxErrorBody)
	if success {
		limit = maxSuccessBody
	}
	buf, tooLarge, readErr := s.readBody(resp, limit)
	defer s.putBuf(buf)
	if readErr != nil {
		if ctx.Err() != nil {
			return cl.errorf("reading response: %w", ctx.Err())
		}
		return &NetworkError{API: ep.api, Method: ep.method, Path: ep.path,
			Err: scrubError(fmt.Errorf("reading %d response: %w", resp.StatusCode, stripURL(readErr)), cl.c.creds.secrets, cl.secretForms())}
	}
	if tooLarge {
		return &APIError{
			API: ep.api, Method: ep.method, Path: ep.path, StatusCode: resp.StatusCode,
			kind: ErrResponseTooLarge, cause: fmt.Errorf("body over %d bytes", limit),
		}
	}
	data := buf.b
	if !success {
		return newAPIError(ep.api, ep.method, ep.path, ep.statuses, resp, data, s.now(), cl.c.creds.secrets, cl.secretForms())
	}
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
		API: cl.ep.api, Method: cl.ep.method, Path: cl.ep.path, StatusCode: status,
		kind:  ErrMalformedResponse,
		cause: scrubError(fmt.Errorf(format, args...), cl.c.creds.secrets, cl.secretForms()),
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

// Do sends one request to an API through the full pipeline, the one the
// SDK's own calls use, and decodes the JSON answer into out. path is
// relative to the API's base URL and may carry a query string, e.g.
// "/3/account" for TMDb or "/user/follows/shows" for TVmaze. in, when not
// nil, is sent as the JSON body; out, when not nil, must be a pointer.
//
// The request carries the client's credentials for api (for TMDb the
// user's session or v4 token as well), waits on the API's rate limiter,
// and is resent only when that is safe: GET, HEAD, PUT and DELETE on
// network errors and 5xx, other methods only when the server certainly did
// not act. Error answers are *APIError, as from every other call, and a
// missing answer is *NetworkError.
func (c *Client) Do(ctx context.Context, api API, method, path string, in, out any) error {
	if !api.valid() {
		return fmt.Errorf("mediaauth: Do: unknown API %q: %w", string(api), ErrInvalidArgument)
	}
	if method == "" || strings.ContainsAny(method, " \t\r\n") {
		return fmt.Errorf("mediaauth: Do: invalid method %q: %w", truncate(method, 16), ErrInvalidArgument)
	}
	rawPath, rawQuery, _ := strings.Cut(path, "?")
	if !strings.HasPrefix(rawPath, "/") || strings.Contains(rawPath, "//") || strings.ContainsAny(path, "#\r\n") {
		return fmt.Errorf("mediaauth: Do: path %q must start with one / and hold no fragment: %w", truncate(rawPath, 64), ErrInvalidArgument)
	}
	ep := &endpoint{
		name: "Do", api: api, method: method, path: rawPath,
		auth: openAuthMode(api), resend: retryUnsafe,
	}
	if idempotentMethod(method) {
		ep.resend = retryIdempotent
	}
	return c.do(ctx, &call{ep: ep, body: in, out: out, rawQuery: rawQuery})
}

// openAuthMode is the credential mode of requests users send through Do
// and HTTPClient.
func openAuthMode(api API) authMode {
	if api == APITMDb {
		return authTMDbUser
	}
	return authIfAny
}

// CheckResponse turns an answer of api into the error the SDK's own calls
// return for it: nil for a 2xx status, else an *APIError that unwraps to
// the class of the status and to the API's own sentinel (ErrTokenExpired,
// ErrInvalidAPIKey for TMDb code 7, ...). It reads at most 64 KiB of the
// body of an error answer and leaves what it read in resp.Body for the
// caller. The credentials the request carried are scrubbed from the
// server's text. Use it with the answers of [Client.HTTPClient].
func CheckResponse(api API, resp *http.Response) error {
	if resp == nil {
		return fmt.Errorf("mediaauth: CheckResponse: nil response: %w", ErrInvalidArgument)
	}
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		return nil
	}
	method, path := "", ""
	if resp.Request != nil {
		method = resp.Request.Method
		if resp.Request.URL != nil {
			path = resp.Request.URL.Path
		}
	}
	if resp.StatusCode >= 300 && resp.StatusCode <= 399 {
		return &APIError{API: api, Method: method, Path: path, StatusCode: resp.StatusCode, kind: ErrRedirect,
			Message: "redirect to " + truncate(redactedLocation(resp.Request, resp.Header.Get("Location")), 256) + " not followed"}
	}
	// The body is read best-effort: the status decides the error, and a
	// body the caller already closed only loses the server's message.
	var data []byte
	if resp.Body != nil {
		data, _ = io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		_ = resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(data))
	}
	return newAPIError(api, method, path, nil, resp, data, time.Now(), requestSecrets(resp.Request))
}

// requestSecrets lists the credentials a request carried (its
// Authorization header and the TMDb query parameters), so that an answer
// that echoes them can be scrubbed.
func requestSecrets(req *http.Request) []string {
	if req == nil {
		return nil
	}
	var list []string
	if auth := req.Header.Get("Authorization"); auth != "" {
		_, cred, _ := strings.Cut(auth, " ")
		list = appendSecret(list, cred)
		if _, key, ok := req.BasicAuth(); ok {
			list = appendSecret(list, key)
		}
	}
	if req.URL != nil {
		q := req.URL.Query()
		for _, name := range []string{"api_key", "session_id", "guest_session_id"} {
			list = appendSecret(list, q.Get(name))
		}
	}
	return list
}

// usable reports why c cannot send, if it cannot.
func (c *Client) usable() error {
	if c == nil || c.s == nil {
		return errors.New("mediaauth: nil or zero Client: use New")
	}
	return c.creds.err
}
