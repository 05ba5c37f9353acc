package mediaauthotel

import (
	"context"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/mediaauth/mediaauth"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	semconv "go.opentelemetry.io/otel/semconv/v1.39.0"
	"go.opentelemetry.io/otel/trace"
)

// ScopeName is the instrumentation scope of the tracer and meter.
const ScopeName = "github.com/mediaauth/mediaauth/mediaauthotel"

// The attributes this package adds to the semantic conventions'.
const (
	AttrAPI            = attribute.Key("mediaauth.api")
	AttrOperation      = attribute.Key("mediaauth.operation")
	AttrOutcome        = attribute.Key("mediaauth.outcome")
	AttrTMDbCode       = attribute.Key("mediaauth.tmdb.status_code")
	AttrAttempts       = attribute.Key("mediaauth.attempts")
	AttrRetries        = attribute.Key("mediaauth.retries")
	AttrRateLimitWait  = attribute.Key("mediaauth.rate_limit.wait")
	AttrRetryReason    = attribute.Key("mediaauth.retry.reason")
	AttrRenewalOutcome = attribute.Key("mediaauth.renewal.outcome")
	AttrRenewalReason  = attribute.Key("mediaauth.renewal.reason")
	AttrPollOutcome    = attribute.Key("mediaauth.poll.outcome")
	AttrAttempt        = attribute.Key("mediaauth.attempt")
	AttrWait           = attribute.Key("mediaauth.wait")
)

// Observer records the events of a mediaauth.Client as spans and metrics;
// see the package documentation. Build it with [New]; it is safe for
// concurrent use, and one Observer may serve several clients.
type Observer struct {
	tracer trace.Tracer
	inst   instruments
}

var _ mediaauth.Observer = (*Observer)(nil)

// Option configures [New].
type Option func(*config)

type config struct {
	tp trace.TracerProvider
	mp metric.MeterProvider
}

// WithTracerProvider makes the Observer's spans with tp instead of the
// global TracerProvider (otel.GetTracerProvider).
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(c *config) { c.tp = tp }
}

// WithMeterProvider records the Observer's metrics with mp instead of the
// global MeterProvider (otel.GetMeterProvider).
func WithMeterProvider(mp metric.MeterProvider) Option {
	return func(c *config) { c.mp = mp }
}

// New returns an Observer for [mediaauth.WithObserver]. It fails only if
// the MeterProvider refuses to make an instrument.
func New(opts ...Option) (*Observer, error) {
	var c config
	for _, opt := range opts {
		if opt != nil {
			opt(&c)
		}
	}
	if c.tp == nil {
		c.tp = otel.GetTracerProvider()
	}
	if c.mp == nil {
		c.mp = otel.GetMeterProvider()
	}
	o := &Observer{tracer: c.tp.Tracer(ScopeName)}
	if err := o.inst.init(c.mp.Meter(ScopeName)); err != nil {
		return nil, err
	}
	return o, nil
}

// callKey is the context key of the *call of an operation.
type callKey struct{}

// call is what an operation's span gathers from its events.
type call struct {
	span trace.Span
	api  attribute.KeyValue
	op   attribute.KeyValue

	mu       sync.Mutex
	attempts int
	retries  int
	waited   time.Duration
	renewal  string
}

// callOf returns the operation ctx belongs to, or nil.
func callOf(ctx context.Context) *call {
	c, _ := ctx.Value(callKey{}).(*call)
	return c
}

// Observe records ev; see [mediaauth.Observer].
func (o *Observer) Observe(ctx context.Context, ev mediaauth.Event) context.Context {
	switch ev.Kind {
	case mediaauth.EventCallStart:
		return o.callStart(ctx, ev)
	case mediaauth.EventCallEnd:
		o.callEnd(ctx, ev)
	case mediaauth.EventAttemptStart:
		return o.attemptStart(ctx, ev)
	case mediaauth.EventAttemptEnd:
		o.attemptEnd(ctx, ev)
	case mediaauth.EventRateLimitWait:
		o.rateLimitWait(ctx, ev)
	case mediaauth.EventRetry:
		o.retry(ctx, ev)
	case mediaauth.EventRenewal:
		o.renewal(ctx, ev)
	case mediaauth.EventPoll:
		o.poll(ctx, ev)
	}
	return ctx
}

// callStart starts the span of an operation.
func (o *Observer) callStart(ctx context.Context, ev mediaauth.Event) context.Context {
	c := &call{api: AttrAPI.String(string(ev.API)), op: AttrOperation.String(ev.Operation)}
	ctx, c.span = o.tracer.Start(ctx, ev.Operation, trace.WithSpanKind(trace.SpanKindInternal),
		trace.WithAttributes(c.api, c.op))
	return context.WithValue(ctx, callKey{}, c)
}

// callEnd ends the span of an operation and records its duration.
func (o *Observer) callEnd(ctx context.Context, ev mediaauth.Event) {
	c := callOf(ctx)
	if c == nil {
		return
	}
	c.mu.Lock()
	attrs := []attribute.KeyValue{AttrOutcome.String(ev.Outcome), AttrAttempts.Int(c.attempts),
		AttrRetries.Int(c.retries), AttrRateLimitWait.Float64(c.waited.Seconds())}
	if c.renewal != "" {
		attrs = append(attrs, AttrRenewalOutcome.String(c.renewal))
	}
	c.mu.Unlock()
	if ev.StatusCode > 0 {
		attrs = append(attrs, semconv.HTTPResponseStatusCode(ev.StatusCode))
	}
	if ev.TMDbCode != 0 {
		attrs = append(attrs, AttrTMDbCode.Int(ev.TMDbCode))
	}
	if ev.Err != nil {
		attrs = append(attrs, semconv.ErrorTypeKey.String(ev.ErrorType))
		// Not the error's text: it may quote what a server echoed, or a
		// caller's error, which the SDK cannot tell from a secret.
		c.span.SetStatus(codes.Error, ev.ErrorType)
	}
	c.span.SetAttributes(attrs...)
	c.span.End()
	o.inst.duration.Record(ctx, ev.Duration.Seconds(),
		metric.WithAttributes(c.api, c.op, AttrOutcome.String(ev.Outcome)))
}

// attemptKey is the context key of the server attributes of an attempt.
type attemptKey struct{}

// attemptStart starts the client span of one HTTP attempt.
func (o *Observer) attemptStart(ctx context.Context, ev mediaauth.Event) context.Context {
	server := serverAttributes(ev)
	attrs := append(server[:len(server):len(server)], semconv.URLFull(ev.URL), AttrAPI.String(string(ev.API)))
	if ev.Attempt > 1 {
		attrs = append(attrs, semconv.HTTPRequestResendCount(ev.Attempt-1))
	}
	if ev.Attempt > 0 {
		attrs = append(attrs, AttrAttempt.Int(ev.Attempt))
	}
	if c := callOf(ctx); c != nil {
		c.mu.Lock()
		c.attempts++
		c.mu.Unlock()
	}
	ctx, _ = o.tracer.Start(ctx, ev.Method, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
	return context.WithValue(ctx, attemptKey{}, server)
}

// serverAttributes are the semantic conventions' attributes of an
// attempt's method and server, which its metrics have too.
func serverAttributes(ev mediaauth.Event) []attribute.KeyValue {
	attrs := make([]attribute.KeyValue, 0, 8)
	attrs = append(attrs, semconv.HTTPRequestMethodKey.String(ev.Method))
	if u, err := url.Parse(ev.URL); err == nil {
		attrs = append(attrs, semconv.ServerAddress(u.Hostname()))
		port := u.Port()
		if port == "" {
			port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
		}
		if p, err := strconv.Atoi(port); err == nil {
			attrs = append(attrs, semconv.ServerPort(p))
		}
	}
	return attrs
}

// attemptEnd ends the span of an attempt and records it.
func (o *Observer) attemptEnd(ctx context.Context, ev mediaauth.Event) {
	span := trace.SpanFromContext(ctx)
	var attrs []attribute.KeyValue
	errType := ""
	switch {
	case ev.Err != nil:
		errType = ev.ErrorType
		span.SetStatus(codes.Error, errType)
	case ev.StatusCode >= 400:
		errType = strconv.Itoa(ev.StatusCode)
		span.SetStatus(codes.Error, "")
	}
	if ev.StatusCode > 0 {
		attrs = append(attrs, semconv.HTTPResponseStatusCode(ev.StatusCode))
	}
	if errType != "" {
		attrs = append(attrs, semconv.ErrorTypeKey.String(errType))
	}
	span.SetAttributes(attrs...)
	span.End()
	server, ok := ctx.Value(attemptKey{}).([]attribute.KeyValue)
	if !ok {
		server = serverAttributes(ev)
	}
	o.inst.httpDuration.Record(ctx, ev.Duration.Seconds(), metric.WithAttributes(append(server, attrs...)...))
	counted := append([]attribute.KeyValue{AttrAPI.String(string(ev.API))}, attrs...)
	if c := callOf(ctx); c != nil {
		counted = append(counted, c.op)
	}
	o.inst.attempts.Add(ctx, 1, metric.WithAttributes(counted...))
}

// rateLimitWait records a wait on the client-side rate limiter.
func (o *Observer) rateLimitWait(ctx context.Context, ev mediaauth.Event) {
	api := AttrAPI.String(string(ev.API))
	o.inst.rateLimitWait.Record(ctx, ev.Wait.Seconds(), metric.WithAttributes(api))
	c := callOf(ctx)
	if c == nil {
		return
	}
	c.mu.Lock()
	c.waited += ev.Wait
	c.mu.Unlock()
	if ev.Wait >= time.Millisecond {
		c.span.AddEvent("rate_limit_wait", trace.WithAttributes(AttrWait.Float64(ev.Wait.Seconds())))
	}
}

// retry records a retry.
func (o *Observer) retry(ctx context.Context, ev mediaauth.Event) {
	attrs := []attribute.KeyValue{AttrAPI.String(string(ev.API)), AttrRetryReason.String(ev.Reason)}
	c := callOf(ctx)
	if c != nil {
		attrs = append(attrs, c.op)
		c.mu.Lock()
		c.retries++
		c.mu.Unlock()
		c.span.AddEvent("retry", trace.WithAttributes(AttrRetryReason.String(ev.Reason),
			AttrAttempt.Int(ev.Attempt), AttrWait.Float64(ev.Wait.Seconds())))
	}
	o.inst.retries.Add(ctx, 1, metric.WithAttributes(attrs...))
}

// renewal records a renewal of a Movies token.
func (o *Observer) renewal(ctx context.Context, ev mediaauth.Event) {
	attrs := []attribute.KeyValue{AttrAPI.String(string(ev.API)),
		AttrRenewalOutcome.String(ev.Outcome), AttrRenewalReason.String(ev.Reason)}
	o.inst.renewals.Add(ctx, 1, metric.WithAttributes(attrs...))
	if c := callOf(ctx); c != nil {
		c.mu.Lock()
		c.renewal = ev.Outcome
		c.mu.Unlock()
		c.span.AddEvent("renewal", trace.WithAttributes(append(attrs[1:], AttrWait.Float64(ev.Duration.Seconds()))...))
	}
}

// poll records an attempt of a wait for a person's approval
// (TVmaze.PollUntilConfirmed, TMDb.PollUntilApproved, ...).
func (o *Observer) poll(ctx context.Context, ev mediaauth.Event) {
	outcome := AttrPollOutcome.String(ev.Outcome)
	o.inst.polls.Add(ctx, 1, metric.WithAttributes(AttrAPI.String(string(ev.API)), AttrOperation.String(ev.Operation), outcome))
	if c := callOf(ctx); c != nil {
		attrs := []attribute.KeyValue{outcome, AttrAttempt.Int(ev.Attempt), AttrWait.Float64(ev.Wait.Seconds())}
		if ev.StatusCode > 0 {
			attrs = append(attrs, semconv.HTTPResponseStatusCode(ev.StatusCode))
		}
		c.span.AddEvent("poll", trace.WithAttributes(attrs...))
	}
}
