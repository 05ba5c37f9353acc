package mediaauthotel

import (
	"errors"

	"go.opentelemetry.io/otel/metric"
)

// instruments are the Observer's metrics (see the package documentation).
type instruments struct {
	duration      metric.Float64Histogram
	attempts      metric.Int64Counter
	retries       metric.Int64Counter
	rateLimitWait metric.Float64Histogram
	polls         metric.Int64Counter
	renewals      metric.Int64Counter
	httpDuration  metric.Float64Histogram
}

// durationBuckets are the semantic conventions' advice for durations in
// seconds, which http.client.request.duration uses.
var durationBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10}

// init makes the instruments with m.
func (in *instruments) init(m metric.Meter) error {
	var errs [7]error
	in.duration, errs[0] = m.Float64Histogram("mediaauth.client.operation.duration", metric.WithUnit("s"),
		metric.WithDescription("Duration of SDK operations, by API, operation and outcome."),
		metric.WithExplicitBucketBoundaries(durationBuckets...))
	in.attempts, errs[1] = m.Int64Counter("mediaauth.client.attempts", metric.WithUnit("{attempt}"),
		metric.WithDescription("HTTP attempts, the first of a request and each retry."))
	in.retries, errs[2] = m.Int64Counter("mediaauth.client.retries", metric.WithUnit("{retry}"),
		metric.WithDescription("Requests sent again, by reason."))
	in.rateLimitWait, errs[3] = m.Float64Histogram("mediaauth.client.rate_limit.wait", metric.WithUnit("s"),
		metric.WithDescription("Time requests waited on the client-side rate limiter."),
		metric.WithExplicitBucketBoundaries(append([]float64{0, 0.001}, durationBuckets...)...))
	in.polls, errs[4] = m.Int64Counter("mediaauth.client.poll.attempts", metric.WithUnit("{poll}"),
		metric.WithDescription("Attempts of the waits for a person's approval, by answer."))
	in.renewals, errs[5] = m.Int64Counter("mediaauth.client.renewals", metric.WithUnit("{renewal}"),
		metric.WithDescription("Renewals of a Movies API token, by outcome and reason."))
	in.httpDuration, errs[6] = m.Float64Histogram("http.client.request.duration", metric.WithUnit("s"),
		metric.WithDescription("Duration of HTTP client requests."),
		metric.WithExplicitBucketBoundaries(durationBuckets...))
	return errors.Join(errs[:]...)
}
