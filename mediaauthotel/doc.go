// Package mediaauthotel turns what a mediaauth.Client does into
// OpenTelemetry traces and metrics. It is a module of its own, so that
// package mediaauth does not depend on OpenTelemetry: [New] returns an
// [Observer], a [mediaauth.Observer] to give to [mediaauth.WithObserver]:
//
//	obs, err := mediaauthotel.New() // the global TracerProvider and MeterProvider
//	if err != nil { ... }
//	client, err := mediaauth.New(mediaauth.WithObserver(obs), ...)
//
// # Traces
//
// Each SDK operation (a typed call such as Movies.Login, a handle's Do,
// TVmaze.PollUntilConfirmed) is a span of kind internal named after it
// ("Movies.Login", "TMDb.Do"), a child of the span in the caller's
// context. Its attributes say the API (mediaauth.api), the operation
// (mediaauth.operation), the outcome (mediaauth.outcome: ok, api_error,
// network_error, canceled, not_sent), the last HTTP status
// (http.response.status_code), TMDb's status_code
// (mediaauth.tmdb.status_code), the attempts sent (mediaauth.attempts),
// the retries (mediaauth.retries), the time spent waiting on the
// client-side rate limiter (mediaauth.rate_limit.wait, in seconds), the
// outcome of a credential renewal during the call
// (mediaauth.renewal.outcome) and, on failure, error.type. Events mark
// each retry, rate-limit wait, renewal and attempt of a wait for approval.
//
// Each HTTP attempt (the first and every retry) is a child span of kind
// client, named and described as go.opentelemetry.io/contrib's otelhttp
// names and describes its client spans, by the OpenTelemetry semantic
// conventions for HTTP: named after the method ("GET"), with
// http.request.method, url.full (without the query), server.address,
// server.port, http.response.status_code, http.request.resend_count on a
// retry, and error.type; a status of 400 or more is an error. A login
// that renews a token during a call is an operation within it, so its
// spans nest under the call's. Requests sent through a handle's
// HTTPClient are not operations: their attempts are spans of their own,
// children of the span in the request's context.
//
// The SDK does not send trace context to the APIs, which are other
// parties' services. [PropagatingTransport] does, as otelhttp's transport
// would, for an API that takes part in the trace (a Movies API of your
// own): give it to [mediaauth.WithHTTPClient].
//
// # Metrics
//
//   - mediaauth.client.operation.duration (histogram, s): each operation,
//     by mediaauth.api, mediaauth.operation and mediaauth.outcome;
//   - mediaauth.client.attempts (counter): each HTTP attempt, by
//     mediaauth.api, mediaauth.operation, http.response.status_code and
//     error.type;
//   - mediaauth.client.retries (counter): each retry, by mediaauth.api,
//     mediaauth.operation and mediaauth.retry.reason (rate_limited,
//     unavailable, server_error, network);
//   - mediaauth.client.rate_limit.wait (histogram, s): each wait on the
//     client-side rate limiter, by mediaauth.api;
//   - mediaauth.client.poll.attempts (counter): each attempt of a wait
//     for a person's approval (TVmaze.PollUntilConfirmed,
//     TMDb.PollUntilApproved, TMDb.PollUntilApprovedV4), by mediaauth.api,
//     mediaauth.operation and mediaauth.poll.outcome (confirmed, pending,
//     rate_limited, not_found, failed, canceled);
//   - mediaauth.client.renewals (counter): each renewal of a Movies token,
//     by mediaauth.renewal.outcome (renewed, stored, backoff, failed) and
//     mediaauth.renewal.reason (expiring, refused);
//   - http.client.request.duration (histogram, s): each HTTP attempt, as
//     otelhttp records it, by http.request.method, server.address,
//     server.port, http.response.status_code and error.type.
//
// # No secrets
//
// No span name, attribute, event, status or metric attribute holds a
// secret: URLs come without their query (where TMDb credentials go) and
// through the SDK's scrubber, and every other value is from a small fixed
// set, which keeps the metrics' cardinality low too. The text of an error
// is never recorded, only its kind (error.type, also the span status's
// description): a server may echo a secret the client cannot know to be
// one, and so may a caller's own error (a password prompt's, say).
package mediaauthotel
