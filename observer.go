package mediaauth

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Observer is told what a [Client] does, so that traces and metrics can be
// made of it without this package depending on a telemetry library: the
// module github.com/mediaauth/mediaauth/mediaauthotel turns it into
// OpenTelemetry spans and metrics. Give one to [New] with [WithObserver].
//
// Observe receives one [Event] at a time, on the goroutine of the call
// the event belongs to. For [EventCallStart] and [EventAttemptStart] it
// returns the context the call or the attempt goes on with: ctx itself,
// or a context derived from it that holds, say, a span, which the events
// of that call or attempt then receive. What it returns for other kinds
// is ignored, and so is a nil context. An Observer must be safe for
// concurrent use and quick: the call waits for it.
//
// No event holds a secret the client knows: URLs have no query and have
// passed through the scrubber that keeps credentials out of errors and
// logs, and every other string is from a small fixed set. Err is the
// error the caller gets (see [Event]).
type Observer interface {
	Observe(ctx context.Context, ev Event) context.Context
}

// ObserverFunc adapts a function to [Observer].
type ObserverFunc func(ctx context.Context, ev Event) context.Context

// Observe calls f.
func (f ObserverFunc) Observe(ctx context.Context, ev Event) context.Context { return f(ctx, ev) }

// EventKind says what an [Event] reports.
type EventKind uint8

// The kinds of [Event], and the fields each one sets besides Kind and API.
const (
	// EventCallStart: an SDK operation begins: a typed call, Do, or
	// TVmaze's PollUntilConfirmed (whose polls are calls of their own).
	// Operation and Method are set. Requests sent through a handle's
	// HTTPClient are not operations: only their attempts are reported.
	EventCallStart EventKind = iota + 1
	// EventCallEnd: the operation ended. Operation, Method, Duration and
	// Outcome are set; StatusCode is the last answer's status (0 when
	// there was none), TMDbCode TMDb's status_code, and Err the error the
	// call returns, with ErrorType naming its kind.
	EventCallEnd
	// EventAttemptStart: one HTTP request is about to be sent, the first
	// or a retry. Method, URL and Attempt (from 1, when known) are set.
	EventAttemptStart
	// EventAttemptEnd: the attempt got an answer (StatusCode) or failed
	// (Err, ErrorType). Method, URL, Attempt and Duration are set.
	EventAttemptEnd
	// EventRateLimitWait: a request waited on the API's client-side rate
	// limiter, before its first attempt or a retry. Wait is how long; Err
	// is set when the wait failed (the context ended, or a shared
	// limiter could not be reached) and the request was not sent.
	EventRateLimitWait
	// EventRetry: the engine is about to send a request again. Attempt is
	// the number of the attempt to come (2 for the first retry), Reason
	// why (see [RetryReasonRateLimited] and the others), and Wait the
	// back-off before it.
	EventRetry
	// EventRenewal: a Movies token source renewed the token (see
	// [ReuseMoviesTokenSource] and [StoredMoviesTokenSource]). Outcome is
	// one of [RenewalRenewed], [RenewalStored], [RenewalBackoff] and
	// [RenewalFailed]; Reason is [RenewalExpiring] or [RenewalRefused];
	// Duration is how long it took, lock waits included; Err is set when
	// it failed, and with RenewalRenewed when the store could not keep the
	// new token (which the source still returns).
	EventRenewal
	// EventPoll: one attempt of a wait for a person's approval
	// ([TVmaze.PollUntilConfirmed], [TMDb.PollUntilApproved],
	// [TMDb.PollUntilApprovedV4]) was answered. Attempt counts them from 1, StatusCode is the answer's status,
	// Outcome one of [PollConfirmed], [PollPending] and the others, Wait
	// the wait before the next poll (0 when polling ended), and Err the
	// poll's error.
	EventPoll
)

// String names the kind: "call_start", "call_end", ...
func (k EventKind) String() string {
	switch k {
	case EventCallStart:
		return "call_start"
	case EventCallEnd:
		return "call_end"
	case EventAttemptStart:
		return "attempt_start"
	case EventAttemptEnd:
		return "attempt_end"
	case EventRateLimitWait:
		return "rate_limit_wait"
	case EventRetry:
		return "retry"
	case EventRenewal:
		return "renewal"
	case EventPoll:
		return "poll"
	}
	return fmt.Sprintf("EventKind(%d)", uint8(k))
}

// Event is what an [Observer] is told. Which fields are set depends on
// Kind (see [EventKind]); the others are zero. Every string is from a
// small fixed set, except URL and Err, whose texts have passed through the
// scrubber.
type Event struct {
	// Kind says what happened.
	Kind EventKind
	// API is the API concerned.
	API API
	// Operation names the operation: "Movies.Login", "TMDb.Do",
	// "TVmaze.PollUntilConfirmed", ...; "" for a request sent through
	// HTTPClient.
	Operation string
	// Method is the HTTP method of the operation or attempt.
	Method string
	// URL is the attempt's URL without its query: scheme, host, port and
	// path.
	URL string
	// Attempt numbers an attempt or a poll, from 1; 0 when unknown.
	Attempt int
	// StatusCode is the HTTP status of the answer, 0 when there was none.
	StatusCode int
	// TMDbCode is TMDb's status_code of a failed call's answer, 0 when
	// there was none.
	TMDbCode int
	// Outcome is how a call, renewal or poll ended (see [OutcomeOK] and
	// the others).
	Outcome string
	// ErrorType names the kind of Err in a few lowercase words joined by
	// underscores ("token_expired", "rate_limited", "network", ...), and
	// is "" when Err is nil.
	ErrorType string
	// Reason is why a retry happens, or what triggered a renewal.
	Reason string
	// Wait is a rate-limit wait, the back-off before a retry, or the wait
	// before the next poll.
	Wait time.Duration
	// Duration is how long a call, attempt or renewal took.
	Duration time.Duration
	// Err is the error of a failed call, attempt, wait, renewal or poll,
	// as the caller gets it. Its text is scrubbed of the secrets the
	// client knows, but may quote what a server echoed or a caller's own
	// error: telemetry should record ErrorType rather than the text.
	Err error
}

// The outcomes of an [EventCallEnd].
const (
	// OutcomeOK: the call succeeded.
	OutcomeOK = "ok"
	// OutcomeAPIError: the server answered with an error, or with a body
	// the client could not accept (an *[APIError]).
	OutcomeAPIError = "api_error"
	// OutcomeNetworkError: no complete answer (a *[NetworkError]).
	OutcomeNetworkError = "network_error"
	// OutcomeCanceled: the caller's context ended.
	OutcomeCanceled = "canceled"
	// OutcomeNotSent: the call failed before anything was sent (an
	// invalid argument, a missing credential, a renewal that failed, a
	// rate-limit wait that would pass the deadline).
	OutcomeNotSent = "not_sent"
)

// The reasons of an [EventRetry].
const (
	// RetryReasonRateLimited: the server answered 429.
	RetryReasonRateLimited = "rate_limited"
	// RetryReasonUnavailable: the server answered 503.
	RetryReasonUnavailable = "unavailable"
	// RetryReasonServerError: the server answered another 5xx.
	RetryReasonServerError = "server_error"
	// RetryReasonNetwork: no answer (a refused, dropped or timed-out
	// connection).
	RetryReasonNetwork = "network"
)

// The outcomes and reasons of an [EventRenewal].
const (
	// RenewalRenewed: the renewing source gave a new token (a login).
	RenewalRenewed = "renewed"
	// RenewalStored: another process or caller had already stored a
	// fresh token, which was taken instead of logging in.
	RenewalStored = "stored"
	// RenewalBackoff: a renewal failed a moment ago, and its error was
	// returned again instead of trying (see [DefaultRenewalBackoff]).
	RenewalBackoff = "backoff"
	// RenewalFailed: the renewal was tried and failed.
	RenewalFailed = "failed"

	// RenewalExpiring: the token was about to expire, or there was none.
	RenewalExpiring = "expiring"
	// RenewalRefused: the server refused the token as expired.
	RenewalRefused = "refused"
)

// The outcomes of an [EventPoll].
const (
	// PollConfirmed: the user confirmed; the poll got their credentials.
	PollConfirmed = "confirmed"
	// PollPending: not confirmed yet.
	PollPending = "pending"
	// PollRateLimited: TVmaze answered 429; the wait grows.
	PollRateLimited = "rate_limited"
	// PollNotFound: the request is unknown, expired or already used.
	PollNotFound = "not_found"
	// PollFailed: a network error or 5xx answer, tried again up to a
	// limit; or any other error, which ends polling.
	PollFailed = "failed"
	// PollCanceled: the caller's context ended.
	PollCanceled = "canceled"
)

// observerKey is the context key of the Observer that a token source
// reports its renewals to; the credential stage sets it.
type observerKey struct{}

// withObserver returns ctx carrying o for the token sources below.
func withObserver(ctx context.Context, o Observer) context.Context {
	return context.WithValue(ctx, observerKey{}, o)
}

// observerFrom returns the Observer ctx carries, or nil.
func observerFrom(ctx context.Context) Observer {
	if ctx == nil {
		return nil
	}
	o, _ := ctx.Value(observerKey{}).(Observer)
	return o
}

// errorTypes maps sentinels to the names ErrorType reports, the most
// specific first.
var errorTypes = []struct {
	err  error
	name string
}{
	{ErrRenewalBackoff, "renewal_backoff"}, {ErrLockLost, "lock_lost"},
	{ErrInvalidCredentials, "invalid_credentials"}, {ErrTokenExpired, "token_expired"},
	{ErrEmailNotVerified, "email_not_verified"}, {ErrEmailNotConfirmed, "email_not_confirmed"},
	{ErrEmailNotFound, "email_not_found"}, {ErrAuthorizationPending, "authorization_pending"},
	{ErrAuthRequestNotFound, "auth_request_not_found"}, {ErrInvalidAPIKey, "invalid_api_key"},
	{ErrInvalidRequestToken, "invalid_request_token"}, {ErrRequestTokenNotApproved, "request_token_not_approved"},
	{ErrSessionDenied, "session_denied"}, {ErrInvalidAccessToken, "invalid_access_token"},
	{ErrResponseTooLarge, "response_too_large"}, {ErrMalformedResponse, "malformed_response"},
	{ErrRedirect, "redirect"}, {ErrOriginMismatch, "origin_mismatch"},
	{ErrInsecureTransport, "insecure_transport"}, {ErrMissingCredentials, "missing_credentials"},
	{ErrInvalidArgument, "invalid_argument"}, {ErrCredentialNotFound, "credential_not_found"},
	{ErrBadRequest, "bad_request"}, {ErrUnauthorized, "unauthorized"}, {ErrForbidden, "forbidden"},
	{ErrNotFound, "not_found"}, {ErrConflict, "conflict"}, {ErrUnprocessable, "unprocessable"},
	{ErrRateLimited, "rate_limited"}, {ErrServer, "server_error"}, {ErrNetwork, "network"},
	{context.DeadlineExceeded, "deadline_exceeded"}, {context.Canceled, "canceled"},
}

// errorType names the kind of err for Event.ErrorType: "" for nil,
// "other" for an error of no known kind.
func errorType(err error) string {
	if err == nil {
		return ""
	}
	for _, t := range errorTypes {
		if errors.Is(err, t.err) {
			return t.name
		}
	}
	return "other"
}

// callOutcome is the Outcome of a call that ended with err.
func callOutcome(ctx context.Context, err error) string {
	var apiErr *APIError
	switch {
	case err == nil:
		return OutcomeOK
	case errors.As(err, &apiErr):
		return OutcomeAPIError
	case ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)):
		return OutcomeCanceled
	case errors.Is(err, ErrNetwork):
		return OutcomeNetworkError
	}
	return OutcomeNotSent
}

// retryReason is why the engine resends after resp (nil: no answer).
func retryReason(statusCode int) string {
	switch {
	case statusCode == 0:
		return RetryReasonNetwork
	case statusCode == 429:
		return RetryReasonRateLimited
	case statusCode == 503:
		return RetryReasonUnavailable
	}
	return RetryReasonServerError
}
