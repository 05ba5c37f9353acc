package mediaauth

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// The stages of the engine, from the top (see engine.go, which assembles
// them, and retry.go for the retry stage):
//
//	origin lock → authorize → rate limit → retry → observe and scrub → base
//
// Each stage is an http.RoundTripper of about a screen. A stage never
// changes the request it is given: one that adds to it works on a copy.

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

// shared is what every handle derived from one New has in common.
type shared struct {
	logger   *slog.Logger
	observer Observer // nil: no observation
	now      func() time.Time
	tmdbSite string
	timeout  time.Duration // per attempt, for calls sent once
	// secrets are those of every credential given to New, scrubbed from
	// every text even after a derived handle replaced them.
	secrets []string
	bufs    sync.Pool // of *readBuf
	// Header values made once and shared by every request (net/http only
	// reads them; Header.Set and Add replace or reallocate, never write in).
	hdrAccept, hdrUserAgent, hdrJSON, hdrForm []string
}

// role is what credentials a door of a handle sends.
type role uint8

const (
	// roleNone: no credentials (Movies register and login, for instance).
	roleNone role = iota
	// roleIfAny: the application's credential when the handle has one.
	roleIfAny
	// roleRequired: the application's credential, or ErrMissingCredentials.
	roleRequired
	// roleUser: a TMDb user request: the application's credential and the
	// user's (a session, or a v4 token, sent as the Bearer token), at least
	// one of them.
	roleUser
	numRoles
)

// openRole is the role of the open doors (Do and HTTPClient).
func openRole(api API) role {
	if api == APITMDb {
		return roleUser
	}
	return roleIfAny
}

// maxRedirects bounds the same-origin redirects one request follows.
const maxRedirects = 10

// maxResponseHeaderBytes caps the header section of an answer, 1xx answers
// included, on the transport the client builds (net/http's default is 10
// MiB).
const maxResponseHeaderBytes = 64 << 10

// engine is one API's pipeline below the credentials, shared by every
// handle of that API derived from one New: the origin, the rate limiter,
// the retry stage and what is below it.
type engine struct {
	api  API
	s    *shared
	base string // base URL without a trailing slash; "" when unset
	// baseURL is base parsed, nil when unset or when its path has escapes.
	baseURL  *url.URL
	basePath string // the base URL's path
	// paths are the full URL paths of the API's endpoints, made once, by
	// each endpoint's own path.
	paths      map[string]string
	origin     origin
	originText string
	lower      http.RoundTripper // rate limit → retry → observe → base
	redirect   func(*http.Request, []*http.Request) error
	jar        http.CookieJar
}

// originLock is the first stage: a request for another origin than the
// API's is refused before anything is sent, with no credential.
type originLock struct {
	api    API
	origin origin
	text   string // the origin as text, for errors
	next   http.RoundTripper
}

// RoundTrip refuses a request for another origin and passes the rest on.
func (s *originLock) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL == nil || originKey(req.URL) != s.origin {
		closeBody(req)
		return nil, fmt.Errorf("mediaauth: %s: %w: %s is not %s", s.api.name(), ErrOriginMismatch, urlForError(req.URL), s.text)
	}
	return s.next.RoundTrip(req)
}

// credentialStage is the stage that puts a handle's credentials on a request:
// the application's and then the user's, as the door's role asks. A
// credential renewed by a source is renewed here when the server refuses
// it as expired (see renewal).
type credentialStage struct {
	api   API
	role  role
	creds *credentialSet
	// owned is set on the doors of the requests the engine builds itself
	// (the typed calls and Do), which nobody else holds: they get the
	// credentials in place. A caller's request (HTTPClient) is never
	// changed: the credentials go on a copy.
	owned bool
	// param and header are the role's credentials, worked out once by
	// prepare: the query parameters of all of them as one, and the one
	// that sets the Authorization header (the user's when both would).
	param, header authorizer
	// shared are the secrets of the credentials given to New.
	shared []string
	next   http.RoundTripper
}

// prepare works out param and header from the credentials and the role.
func (s *credentialStage) prepare() {
	var query string
	for _, a := range [...]*attachment{s.creds.app, s.creds.user} {
		if a == nil || s.role == roleNone || (a.user && s.role != roleUser) {
			continue
		}
		if p, ok := a.auth.(queryParam); ok {
			query = joinQuery(query, string(p))
		} else {
			s.header = a.auth
		}
	}
	if query != "" {
		s.param = queryParam(query)
	}
}

// RoundTrip sends req, or a copy of it, with the credentials.
func (s *credentialStage) RoundTrip(req *http.Request) (*http.Response, error) {
	if s.creds.err != nil {
		closeBody(req)
		return nil, s.creds.err
	}
	query := req.URL.RawQuery
	out, sent, err := s.authorized(req)
	if err != nil {
		closeBody(req)
		return nil, fmt.Errorf("mediaauth: %s %s %s: %w", s.api, req.Method, req.URL.Path, scrubError(err, s.creds.secrets()))
	}
	resp, err := s.next.RoundTrip(out)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode >= 300 && resp.StatusCode <= 399 {
		cleanLocation(out, resp, requestSecrets(out), s.creds.secrets(), s.shared)
	}
	if sent == "" {
		return resp, nil
	}
	return s.renewal(req, query, resp, sent)
}

// authorized returns req with the credentials of the stage's role, and
// the bearer a token source gave, if any. The engine's own requests get
// them in place (lockedRedirect keeps them out of a redirect's Referer); a
// caller's request is copied, with a URL of its own for a query parameter
// and headers of its own for a header (the header values, which net/http
// only reads, are shared).
func (s *credentialStage) authorized(req *http.Request) (*http.Request, string, error) {
	app, user := s.creds.app, s.creds.user
	switch {
	case s.role == roleRequired && app == nil, s.role == roleUser && app == nil && user == nil:
		return nil, "", fmt.Errorf("%w: %s", ErrMissingCredentials, missingHint(s.api))
	case s.param == nil && s.header == nil:
		return req, "", nil
	}
	out := req
	if !s.owned {
		// The copy and its URL in one allocation.
		c := &requestCopy{req: *req}
		out = &c.req
		if s.param != nil {
			c.url = *req.URL
			out.URL = &c.url
		}
		if s.header != nil {
			out.Header = make(http.Header, len(req.Header)+1)
			for k, v := range req.Header {
				out.Header[k] = v
			}
		}
	}
	if s.param != nil {
		_, _ = s.param.authorize(out) // a query parameter: no error
	}
	if s.header == nil {
		return out, "", nil
	}
	sent, err := s.header.authorize(out)
	if err != nil {
		return nil, "", err
	}
	return out, sent, nil
}

// requestCopy is a copy of a caller's request with room for a copy of
// its URL.
type requestCopy struct {
	req http.Request
	url url.URL
}

// renewal handles the answer to a request whose bearer a token source
// gave (sent): when the server refuses it as expired, the source is told
// (if it caches) and asked for a new token once; a request that is safe to
// repeat (GET, PUT, ...) is then sent again with it, and any other request
// returns the refusal, the next one carrying the new token. query is
// req's query as it came, before the stage added credentials to it.
func (s *credentialStage) renewal(req *http.Request, query string, resp *http.Response, sent string) (*http.Response, error) {
	if resp.StatusCode != http.StatusUnauthorized {
		return resp, nil
	}
	data := peekBody(resp, maxErrorBody)
	if !tokenExpired(resp.Header.Get("WWW-Authenticate"), movieErrorCode(data)) {
		return resp, nil
	}
	r, ok := s.creds.app.auth.(renewer)
	if !ok {
		return resp, nil
	}
	if err := r.renew(req.Context(), sent); err != nil {
		drainClose(resp.Body)
		return nil, fmt.Errorf("mediaauth: %s %s %s: renewing the Movies token: %w", s.api, req.Method, req.URL.Path, scrubError(err, appendSecret(nil, sent)))
	}
	again := *req
	if !idempotentMethod(req.Method) || !rewind(&again) {
		return resp, nil
	}
	if s.owned && req.URL.RawQuery != query {
		// Authorized in place: the credentials go on the URL as it came.
		u := *req.URL
		u.RawQuery = query
		again.URL = &u
	}
	drainClose(resp.Body)
	out, _, err := s.authorized(&again)
	if err != nil {
		closeBody(req)
		return nil, fmt.Errorf("mediaauth: %s %s %s: %w", s.api, req.Method, req.URL.Path, scrubError(err, s.creds.secrets()))
	}
	return s.next.RoundTrip(out)
}

// peekBody reads up to limit bytes of resp's body and puts them back in
// front of the rest, so that whoever reads the body next sees all of it.
func peekBody(resp *http.Response, limit int64) []byte {
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit))
	resp.Body = &prefixedBody{Reader: io.MultiReader(bytes.NewReader(data), errReader{err}, resp.Body), closer: resp.Body}
	return data
}

// prefixedBody is a body whose first bytes were read ahead.
type prefixedBody struct {
	io.Reader
	closer io.Closer
}

// Close closes the original body.
func (b *prefixedBody) Close() error { return b.closer.Close() }

// errReader returns err (io.EOF when nil) from Read.
type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	return 0, io.EOF
}

// rewind gives req (a copy of the request sent) a fresh body for a
// second sending, if it has one.
func rewind(req *http.Request) bool {
	if req.Body == nil || req.Body == http.NoBody {
		return true
	}
	if req.GetBody == nil {
		return false
	}
	body, err := req.GetBody()
	if err != nil {
		return false
	}
	req.Body = body
	return true
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

// missingHint says which credential an API needs.
func missingHint(api API) string {
	switch api {
	case APIMovies:
		return "no Movies access token or API key: give one to New or to With"
	case APITVmaze:
		return "no TVmaze username and API key: give them to New or to With"
	}
	return "no TMDb API key or read access token: give one to New or to With"
}

// RateLimiter is a client-side rate limit: Wait blocks until one more
// request may be sent, or returns an error when ctx ends first (or when the
// wait would pass ctx's deadline). *rate.Limiter satisfies it; a limiter
// backed by a shared store lets several processes spend one budget.
type RateLimiter interface {
	Wait(ctx context.Context) error
}

// limit is the stage that waits on the API's rate limiter, which every
// client derived from the same New shares.
type limit struct {
	api     API
	limiter RateLimiter
	obs     Observer // nil: no observation
	next    http.RoundTripper
}

// RoundTrip waits for the limiter, then passes req on.
func (s *limit) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := waitObserved(req.Context(), s.limiter, s.obs, s.api); err != nil {
		closeBody(req)
		return nil, err
	}
	return s.next.RoundTrip(req)
}

// observe is the stage below the retries: each attempt is logged at debug
// level and a failure's text is scrubbed of the credentials the request
// carried (its Authorization header and TMDb query parameters), whoever
// wrote the text. Paths are logged without their query.
type observe struct {
	api    API
	logger *slog.Logger
	// secrets are those of the credentials given to New.
	secrets []string
	next    http.RoundTripper
}

// secretsKey is the context key of the secret inputs of the call a request
// belongs to (a password, a single-use token), which the stages scrub too.
type secretsKey struct{}

// secretLister lists a call's secrets, in every form they may take.
type secretLister interface{ secretForms() []string }

// contextSecrets returns the secrets of the call ctx belongs to, if any.
func contextSecrets(ctx context.Context) []string {
	if l, ok := ctx.Value(secretsKey{}).(secretLister); ok {
		return l.secretForms()
	}
	return nil
}

// RoundTrip sends one attempt and reports it.
func (s *observe) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	logging := s.logger != nil && s.logger.Enabled(ctx, slog.LevelDebug)
	var start time.Time
	if logging {
		start = time.Now()
	}
	resp, err := s.next.RoundTrip(req)
	if err != nil {
		secrets := [][]string{requestSecrets(req), contextSecrets(ctx), s.secrets}
		path := strings.ToValidUTF8(scrub(req.URL.Path, secrets...), "\uFFFD")
		// No complete answer: the same *NetworkError through every door,
		// HTTPClient's too (inside net/http's *url.Error).
		err = &NetworkError{API: s.api, Method: req.Method, Path: path, Err: scrubError(stripURL(err), secrets...)}
		if logging {
			s.logger.LogAttrs(ctx, slog.LevelDebug, "mediaauth: request failed",
				slog.String("api", string(s.api)), slog.String("method", req.Method),
				slog.String("path", path), slog.String("error", err.Error()))
		}
		return nil, err
	}
	if logging {
		s.logger.LogAttrs(ctx, slog.LevelDebug, "mediaauth: request",
			slog.String("api", string(s.api)), slog.String("method", req.Method),
			slog.String("path", scrub(req.URL.Path, requestSecrets(req), contextSecrets(ctx), s.secrets)), slog.Int("status", resp.StatusCode),
			slog.Duration("duration", time.Since(start)))
	}
	return resp, nil
}

// base is the last stage: the caller's (or the client's own) transport,
// with the per-attempt timeout applied through the request's context. It
// has no CloseIdleConnections: go-retryablehttp closes idle connections
// after every call that fails, which on a shared transport would close the
// pooled connections of every other call.
type base struct {
	rt      http.RoundTripper
	timeout time.Duration
}

// RoundTrip sends req within the per-attempt timeout; a context whose
// deadline comes first needs no timer of its own.
func (s *base) RoundTrip(req *http.Request) (*http.Response, error) {
	if s.timeout <= 0 || deadlineWithin(req.Context(), s.timeout) {
		resp, err := s.rt.RoundTrip(req)
		if err != nil {
			return nil, err
		}
		dropBadLocation(req, resp)
		return resp, nil
	}
	ctx, cancel := context.WithTimeout(req.Context(), s.timeout)
	resp, err := s.rt.RoundTrip(req.WithContext(ctx))
	if err != nil {
		cancel()
		return nil, err
	}
	dropBadLocation(req, resp)
	resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
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

// stripURL removes the *url.Error layer, whose text holds the full URL and
// so the TMDb api_key query parameter.
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}

// requestSecrets lists the credentials a request carried (its
// Authorization header and the TMDb query parameters), so that text that
// echoes them can be scrubbed.
func requestSecrets(req *http.Request) []string {
	if req == nil {
		return nil
	}
	var list []string
	if auth := req.Header.Get("Authorization"); auth != "" {
		_, cred, _ := strings.Cut(auth, " ")
		list = appendSecret(list, cred)
		if user, key, ok := req.BasicAuth(); ok {
			list = appendSecret(appendSecret(list, key), user+":"+key)
		}
	}
	if req.URL != nil && req.URL.RawQuery != "" {
		q := req.URL.Query()
		for _, name := range credentialParams {
			list = appendSecret(list, q.Get(name))
		}
	}
	return list
}

// closeBody closes the body of a request that is not sent, as a
// RoundTripper must.
func closeBody(req *http.Request) {
	if req.Body != nil {
		_ = req.Body.Close()
	}
}

// drainClose reads what is left of a body, up to maxDrain, so that the
// connection can be reused, and closes it.
func drainClose(body io.ReadCloser) {
	_, _ = io.Copy(io.Discard, io.LimitReader(body, maxDrain))
	_ = body.Close()
}

// door is one *http.Client of a handle with its first two stages.
type door struct {
	client http.Client
	lock   originLock
	auth   credentialStage
}

// doorSet holds a handle's doors in one allocation: one per role for the
// requests the engine builds itself (the typed calls and Do), whose
// credential stage adds to the request in place; and the open door for
// the requests of HTTPClient's callers, whose credential stage works on a
// copy.
type doorSet struct {
	own  [numRoles]door
	open door
	// creds are the credentials the doors put on requests.
	creds credentialSet
}
