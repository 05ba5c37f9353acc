package mediaauth

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// API names one of the services a [Client] talks to.
type API string

// The APIs a [Client] talks to.
const (
	APIMovies API = "movies"
	APITVmaze API = "tvmaze"
	APITMDb   API = "tmdb"
)

func (a API) valid() bool { return a == APIMovies || a == APITVmaze || a == APITMDb }

func (a API) name() string {
	switch a {
	case APIMovies:
		return "Movies API"
	case APITVmaze:
		return "TVmaze"
	case APITMDb:
		return "TMDb"
	}
	return string(a)
}

// sentinel is the type of every exported sentinel error. Sentinels are
// compared by identity with errors.Is.
type sentinel struct{ msg string }

// Error returns the sentinel's message.
func (s *sentinel) Error() string { return s.msg }

func newSentinel(msg string) error { return &sentinel{msg: msg} }

// Error classes, one for each HTTP status family the APIs document. Every
// *[APIError] with an error status unwraps to exactly one of them, so
// errors.Is(err, ErrUnauthorized) works whatever the endpoint.
var (
	// ErrBadRequest matches HTTP 400 answers: the server found the request
	// invalid. Checks made before sending are [ErrInvalidArgument].
	ErrBadRequest = newSentinel("bad request")
	// ErrUnauthorized matches HTTP 401 answers: credentials missing, invalid or expired.
	ErrUnauthorized = newSentinel("unauthorized")
	// ErrForbidden matches HTTP 403 answers.
	ErrForbidden = newSentinel("forbidden")
	// ErrNotFound matches HTTP 404 answers, and TMDb codes 6, 34 and 37.
	ErrNotFound = newSentinel("not found")
	// ErrConflict matches HTTP 409 answers: the username or email is taken.
	ErrConflict = newSentinel("conflict")
	// ErrUnprocessable matches HTTP 422 answers.
	ErrUnprocessable = newSentinel("unprocessable entity")
	// ErrRateLimited matches HTTP 429 answers and TMDb code 25.
	ErrRateLimited = newSentinel("rate limited")
	// ErrServer matches every HTTP 5xx answer.
	ErrServer = newSentinel("server error")
)

// Endpoint-specific errors. An *[APIError] that unwraps to one of these also
// unwraps to the class of its HTTP status.
var (
	// ErrInvalidCredentials: a login was refused (Movies login 401, TMDb code 30).
	ErrInvalidCredentials = newSentinel("invalid username or password")
	// ErrTokenExpired: the access token has expired (401 with an RFC 6750
	// invalid_token challenge that says so, or error code token_expired).
	ErrTokenExpired = newSentinel("access token expired")
	// ErrEmailNotVerified: the account's email address is not verified yet
	// (Movies 403, TMDb code 32).
	ErrEmailNotVerified = newSentinel("email address not verified")
	// ErrEmailNotConfirmed: TVmaze knows the email address but it is not
	// confirmed (TVmaze start 401).
	ErrEmailNotConfirmed = newSentinel("email address not confirmed")
	// ErrEmailNotFound: TVmaze has no account with that email (TVmaze start 404).
	ErrEmailNotFound = newSentinel("email address not found")
	// ErrAuthorizationPending: the user has not confirmed the TVmaze authentication
	// request yet (TVmaze poll 403); keep polling.
	ErrAuthorizationPending = newSentinel("authentication request not confirmed yet")
	// ErrAuthRequestNotFound: the TVmaze authentication request is unknown,
	// expired, or its key was already handed out (TVmaze poll 404); start again.
	ErrAuthRequestNotFound = newSentinel("authentication request not found, expired or already used: start a new one")
	// ErrInvalidAPIKey: TMDb refused the API key or read access token (codes 7, 10).
	ErrInvalidAPIKey = newSentinel("invalid API key")
	// ErrInvalidRequestToken: the TMDb request token is invalid or expired (code 33).
	ErrInvalidRequestToken = newSentinel("invalid or expired request token")
	// ErrRequestTokenNotApproved: the user has not approved the TMDb request
	// token yet (code 41).
	ErrRequestTokenNotApproved = newSentinel("request token not approved")
	// ErrSessionDenied: TMDb denied the session (code 17).
	ErrSessionDenied = newSentinel("session denied")
	// ErrInvalidAccessToken: TMDb refused a user's v4 access token: unknown,
	// or logged out with [TMDb.DeleteV4AccessToken] (code 35).
	ErrInvalidAccessToken = newSentinel("invalid or logged out access token")
	// ErrResponseTooLarge: the response body was larger than the client accepts.
	ErrResponseTooLarge = newSentinel("response body too large")
	// ErrMalformedResponse: the response body was not what the contract promises
	// (not JSON, wrong content type, empty, or missing a required field).
	ErrMalformedResponse = newSentinel("malformed response")
	// ErrInsecureTransport: credentials would be sent over plain http to a host
	// that is not loopback; use https or [WithInsecureHTTP].
	ErrInsecureTransport = newSentinel("refusing to send credentials over plain http")
	// ErrMissingCredentials: the call needs credentials the handle does not
	// carry (see [Credential]). It is returned before any request is sent.
	ErrMissingCredentials = newSentinel("missing credentials")
	// ErrInvalidArgument: an argument or option failed a check the client
	// makes before sending (empty or non-UTF-8 strings, credentials that
	// cannot go into a header, out-of-range options); nothing was sent.
	// Unlike [ErrBadRequest], it never comes from a server.
	ErrInvalidArgument = newSentinel("invalid argument")
	// ErrRedirect: the server answered with a redirect that the client did
	// not follow: to another origin (scheme, host or port), or of a request
	// with a body, or past the redirect limit. Credentials and bodies never
	// follow a redirect to another origin.
	ErrRedirect = newSentinel("redirect not followed")
	// ErrOriginMismatch: a request given to a handle's HTTPClient
	// ([Movies.HTTPClient], [TVmaze.HTTPClient], [TMDb.HTTPClient]) was for
	// another origin than the API's; it was not sent and got no credential.
	ErrOriginMismatch = newSentinel("request for another origin")
	// ErrApprovalDenied: the person refused the login on the approval page
	// (TMDb's Deny button), so a wait for their approval ended without a
	// credential. It is never an HTTP status of its own: the answer that
	// said so is wrapped beside it when there was one.
	ErrApprovalDenied = newSentinel("the person denied the login")
	// ErrCallbackRefused: a browser login's loopback server got a request
	// that was not the callback of its login (another Host, state or
	// request token): it answered 400 and went on waiting. Only
	// [WaitEvent.Err] carries it.
	ErrCallbackRefused = newSentinel("callback refused: not for this login")
)

// Errors of keeping and renewing credentials.
var (
	// ErrCredentialNotFound is what a [CredentialStore] returns from Load and
	// Delete when it keeps nothing for that API and profile.
	ErrCredentialNotFound = newSentinel("credential not found")

	// ErrRenewalBackoff is what a token source returns while it backs off
	// after a failed renewal (see [DefaultRenewalBackoff]): the error says
	// when the last renewal failed, why, and when the next may be tried. In
	// the process where the renewal failed, it also wraps that renewal's
	// error, so that errors.Is finds its sentinel ([ErrInvalidCredentials],
	// say).
	ErrRenewalBackoff = newSentinel("renewal backing off after a failure")

	// ErrLockLost is what a [RenewalLock] returns from a write made after its
	// lock expired: the write was not made, since another process may hold
	// the lock by now.
	ErrLockLost = newSentinel("renewal lock lost")
)

// NetworkError is returned when a request could not be sent or its answer
// could not be read completely: refused or dropped connections, timeouts,
// truncated bodies. It unwraps to [ErrNetwork] and to the underlying error.
// Method and Path are those of [APIError].
type NetworkError struct {
	// API, Method and Path (without query) describe the request.
	API    API
	Method string
	Path   string
	// Err is the underlying error, stripped of the request URL and with
	// its text scrubbed of secrets.
	Err error
}

// ErrNetwork matches every *[NetworkError].
var ErrNetwork = newSentinel("network error")

// Error describes the failure without the request URL's query string.
func (e *NetworkError) Error() string {
	return fmt.Sprintf("mediaauth: %s %s %s: network error: %v", e.API, e.Method, e.Path, e.Err)
}

// Unwrap returns [ErrNetwork] and the underlying error.
func (e *NetworkError) Unwrap() []error { return []error{ErrNetwork, e.Err} }

// classOf returns the error class of an HTTP status, or nil for statuses
// that are not errors.
func classOf(status int) error {
	switch {
	case status == http.StatusBadRequest:
		return ErrBadRequest
	case status == http.StatusUnauthorized:
		return ErrUnauthorized
	case status == http.StatusForbidden:
		return ErrForbidden
	case status == http.StatusNotFound:
		return ErrNotFound
	case status == http.StatusConflict:
		return ErrConflict
	case status == http.StatusUnprocessableEntity:
		return ErrUnprocessable
	case status == http.StatusTooManyRequests:
		return ErrRateLimited
	case status >= 500 && status <= 599:
		return ErrServer
	}
	return nil
}

// maxMessageLen bounds APIError.Message and maxCodeLen APIError.Code.
const (
	maxMessageLen = 512
	maxCodeLen    = 64
)

// APIError is the error every endpoint returns when the server answered with
// an error status, or with a body the client could not accept: the typed
// calls, the handles' Do, and [CheckResponse] make the same APIError for
// the same answer. Use [errors.As] to read it and [errors.Is] with the
// sentinels to classify it. It never holds a secret: Path has no query
// string, and the secrets the client knows are scrubbed from Message.
type APIError struct {
	// API is the service that answered.
	API API
	// Method and Path describe the request. Path is its URL path, with the
	// base URL's path and without the query string: "/v1/auth/poll" for
	// TVmaze's poll, "/3/authentication/session/new" for a TMDb session.
	Method string
	Path   string
	// StatusCode is the HTTP status of the answer.
	StatusCode int
	// Code is the server's machine-readable error code when it sent one
	// (the Movies API's "error" field, e.g. "email_not_verified").
	Code string
	// TMDbCode is TMDb's status_code when present, else 0.
	TMDbCode int
	// Message is the server's human-readable message, truncated.
	Message string
	// RetryAfter is the wait the server asked for with Retry-After, else 0.
	RetryAfter time.Duration
	// RequestID is the server's request id when it sent one.
	RequestID string

	kind  error // endpoint-specific sentinel, or nil
	cause error // underlying decode error for malformed responses
}

// Error describes the failure with API, method, path, status and the
// server's message.
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("mediaauth: ")
	b.WriteString(string(e.API))
	b.WriteByte(' ')
	b.WriteString(e.Method)
	b.WriteByte(' ')
	b.WriteString(e.Path)
	b.WriteString(": ")
	if e.StatusCode != 0 {
		b.WriteString(strconv.Itoa(e.StatusCode))
		if t := http.StatusText(e.StatusCode); t != "" {
			b.WriteByte(' ')
			b.WriteString(t)
		}
	}
	if e.kind != nil {
		b.WriteString(": ")
		b.WriteString(e.kind.Error())
	}
	if e.TMDbCode != 0 {
		b.WriteString(" (TMDb code ")
		b.WriteString(strconv.Itoa(e.TMDbCode))
		b.WriteByte(')')
	} else if e.Code != "" {
		b.WriteString(" (")
		b.WriteString(e.Code)
		b.WriteByte(')')
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.cause != nil {
		b.WriteString(": ")
		b.WriteString(e.cause.Error())
	}
	return b.String()
}

// Unwrap returns the endpoint-specific sentinel (if any), the class of the
// HTTP status (if an error status), and the decode error (if any).
func (e *APIError) Unwrap() []error {
	errs := make([]error, 0, 3)
	if e.kind != nil {
		errs = append(errs, e.kind)
	}
	if c := classOf(e.StatusCode); c != nil && c != e.kind {
		errs = append(errs, c)
	}
	if e.cause != nil {
		errs = append(errs, e.cause)
	}
	return errs
}

// parseRetryAfter reads a Retry-After header in seconds or as an HTTP date,
// capped at 24 hours.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		if secs > int64(24*time.Hour/time.Second) {
			secs = int64(24 * time.Hour / time.Second)
		}
		return time.Duration(secs) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		d := min(max(t.Sub(now), 0), 24*time.Hour)
		return d, true
	}
	return 0, false
}

// statusTable maps an HTTP status to an endpoint's own sentinel.
type statusTable map[int]error

// Status tables of the Movies API endpoints (specs/movies): the statuses
// not listed map to their class alone.
var (
	moviesLoginStatuses = statusTable{
		http.StatusUnauthorized: ErrInvalidCredentials,
		http.StatusForbidden:    ErrEmailNotVerified,
	}
	moviesStatuses = statusTable{
		http.StatusForbidden: ErrEmailNotVerified,
	}
)

// moviesCodes maps the Movies API's error codes to a sentinel, whatever
// the endpoint.
var moviesCodes = map[string]error{
	"email_not_verified":  ErrEmailNotVerified,
	"invalid_credentials": ErrInvalidCredentials,
}

// Status tables of the TVmaze endpoints (seed 003, specs/tvmaze).
var (
	tvmazeStartStatuses = statusTable{
		http.StatusUnauthorized: ErrEmailNotConfirmed,
		http.StatusNotFound:     ErrEmailNotFound,
	}
	tvmazePollStatuses = statusTable{
		http.StatusForbidden: ErrAuthorizationPending,
		http.StatusNotFound:  ErrAuthRequestNotFound,
	}
)

// tmdbCodes maps TMDb's status_code (https://developer.themoviedb.org/docs/errors)
// to a sentinel; codes not listed map by their HTTP status alone.
var tmdbCodes = map[int]error{
	6:  ErrNotFound,
	7:  ErrInvalidAPIKey,
	10: ErrInvalidAPIKey,
	17: ErrSessionDenied,
	25: ErrRateLimited,
	30: ErrInvalidCredentials,
	32: ErrEmailNotVerified,
	33: ErrInvalidRequestToken,
	34: ErrNotFound,
	35: ErrInvalidAccessToken,
	37: ErrNotFound,
	41: ErrRequestTokenNotApproved,
}

// errorBody is the union of the error bodies the three APIs send: the Movies
// API's {error, message}, TMDb's {status_code, status_message, success},
// TVmaze's {name, message, code, status}, and OAuth's error_description.
type errorBody struct {
	Error            json.RawMessage `json:"error"`
	Message          json.RawMessage `json:"message"`
	ErrorDescription string          `json:"error_description"`
	StatusCode       json.RawMessage `json:"status_code"`
	StatusMessage    string          `json:"status_message"`
	Detail           json.RawMessage `json:"detail"`
	Name             string          `json:"name"`
}

// rawString returns raw as a string when it is a JSON string, else "".
func rawString(raw json.RawMessage) string {
	var s string
	if len(raw) > 0 && raw[0] == '"' && json.Unmarshal(raw, &s) == nil {
		return s
	}
	return ""
}

// newAPIError turns an error answer of an endpoint into an *APIError, with
// the secrets of the lists scrubbed from the server's text.
func newAPIError(api API, method, path string, statuses statusTable, resp *http.Response, data []byte, now time.Time, secrets ...[]string) *APIError {
	e := &APIError{
		API:        api,
		Method:     method,
		Path:       scrub(path, secrets...),
		StatusCode: resp.StatusCode,
		RequestID:  truncate(scrub(resp.Header.Get("X-Request-Id"), secrets...), 128),
	}
	if d, ok := parseRetryAfter(resp.Header.Get("Retry-After"), now); ok {
		e.RetryAfter = d
	}
	var body errorBody
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) > 0 && trimmed[0] == '{' && json.Unmarshal(trimmed, &body) == nil {
		e.Code = truncate(scrub(rawString(body.Error), secrets...), maxCodeLen)
		var n int
		if api == APITMDb && len(body.StatusCode) > 0 && json.Unmarshal(body.StatusCode, &n) == nil {
			e.TMDbCode = n
		}
		msg := body.StatusMessage
		for _, m := range []string{rawString(body.Message), body.ErrorDescription, rawString(body.Detail)} {
			if msg == "" {
				msg = m
			}
		}
		if msg == "" && e.Code == "" {
			msg = body.Name
		}
		e.Message = truncate(scrub(msg, secrets...), maxMessageLen)
	} else if len(trimmed) > 0 {
		e.Message = textMessage(scrub(string(trimmed), secrets...), resp.Header.Get("Content-Type"))
	}

	if api == APITMDb && e.TMDbCode != 0 {
		e.kind = tmdbCodes[e.TMDbCode]
	}
	if e.kind == nil && resp.StatusCode == http.StatusUnauthorized && tokenExpired(resp.Header.Get("WWW-Authenticate"), e.Code) {
		e.kind = ErrTokenExpired
	}
	if e.kind == nil && api == APIMovies {
		e.kind = moviesCodes[e.Code]
	}
	if e.kind == nil {
		e.kind = statuses[resp.StatusCode]
	}
	return e
}

// textMessage makes a short message from a body that is not JSON: the
// title of an HTML page, or the text itself. Bytes that are not UTF-8 are
// replaced first, and the markup is found by an ASCII case-insensitive
// search in that same string, so that every offset indexes the string it
// was found in: case folding (which changes byte lengths: "İ" lowers to
// three bytes, the Kelvin sign to one) is never applied to the text.
func textMessage(body, contentType string) string {
	body = strings.ToValidUTF8(body, "\uFFFD")
	if indexFoldASCII(contentType, "html") < 0 && !hasPrefixFoldASCII(body, "<!doctype") && !hasPrefixFoldASCII(body, "<html") {
		return truncate(body, maxMessageLen)
	}
	const open, closing = "<title>", "</title>"
	if i := indexFoldASCII(body, open); i >= 0 {
		title := body[i+len(open):]
		if j := indexFoldASCII(title, closing); j >= 0 {
			if t := truncate(title[:j], maxMessageLen-len("HTML page: ")); t != "" {
				return "HTML page: " + t
			}
		}
	}
	return "HTML page"
}

// indexFoldASCII returns the index in s of the first instance of substr,
// an ASCII string, matching ASCII letters without regard to case, or -1.
// Other bytes must match exactly, so the index is one of s's own.
func indexFoldASCII(s, substr string) int {
	for i := 0; i+len(substr) <= len(s); i++ {
		if hasPrefixFoldASCII(s[i:], substr) {
			return i
		}
	}
	return -1
}

// hasPrefixFoldASCII reports whether s begins with prefix, an ASCII
// string, matching ASCII letters without regard to case.
func hasPrefixFoldASCII(s, prefix string) bool {
	if len(s) < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		if lowerASCII(s[i]) != lowerASCII(prefix[i]) {
			return false
		}
	}
	return true
}

func lowerASCII(b byte) byte {
	if 'A' <= b && b <= 'Z' {
		return b + ('a' - 'A')
	}
	return b
}

// movieErrorCode returns the error code of a Movies API error body
// ({"error": "token_expired", ...}), or "".
func movieErrorCode(data []byte) string {
	var body struct {
		Error json.RawMessage `json:"error"`
	}
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 || trimmed[0] != '{' || json.Unmarshal(trimmed, &body) != nil {
		return ""
	}
	return rawString(body.Error)
}

// tokenExpired reads an RFC 6750 challenge (and the Movies API's error
// code) for an expired access token.
func tokenExpired(challenge, code string) bool {
	if code == "token_expired" {
		return true
	}
	params := authParams(challenge)
	return params["error"] == "invalid_token" && strings.Contains(strings.ToLower(params["error_description"]), "expired")
}

// authParams parses the auth-params of a WWW-Authenticate challenge such as
// `Bearer realm="x", error="invalid_token"`.
func authParams(challenge string) map[string]string {
	params := map[string]string{}
	s := strings.TrimSpace(challenge)
	if i := strings.IndexByte(s, ' '); i >= 0 && !strings.Contains(s[:i], "=") {
		s = s[i+1:]
	}
	for s != "" {
		s = strings.TrimLeft(s, " ,")
		eq := strings.IndexByte(s, '=')
		if eq <= 0 {
			break
		}
		key := strings.ToLower(strings.TrimSpace(s[:eq]))
		s = strings.TrimLeft(s[eq+1:], " ")
		var val string
		if strings.HasPrefix(s, `"`) {
			var b strings.Builder
			i := 1
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) {
					i++
				}
				b.WriteByte(s[i])
			}
			val = b.String()
			if i < len(s) {
				i++
			}
			s = s[i:]
		} else {
			end := strings.IndexByte(s, ',')
			if end < 0 {
				end = len(s)
			}
			val = strings.TrimSpace(s[:end])
			s = s[end:]
		}
		params[key] = val
	}
	return params
}
