// Package otlptrace is the mediaauth command's trace exporter: a
// mediaauth.Observer that makes the spans the module
// github.com/mediaauth/mediaauth/mediaauthotel makes (an internal span
// per operation, a client span per HTTP attempt), and sends them to an
// OpenTelemetry collector over OTLP/HTTP in its JSON encoding, with the
// standard library alone, so that the root module depends on no
// telemetry library. Programs that use the SDK use mediaauthotel with the
// OpenTelemetry SDK and its exporters instead.
package otlptrace

import (
	"context"
	"crypto/rand"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/mediaauth/mediaauth"
)

// The span kinds of OTLP.
const (
	kindInternal = 1
	kindClient   = 3
)

// statusError is OTLP's STATUS_CODE_ERROR.
const statusError = 2

// maxSpans bounds the spans kept until the next Flush; more are dropped
// (a command makes a few dozen).
const maxSpans = 4096

// Tracer is a mediaauth.Observer that keeps the spans of the calls it is
// told of until Flush sends them. It is safe for concurrent use.
type Tracer struct {
	exp *exporter

	mu      sync.Mutex
	spans   []*span
	dropped int
}

var _ mediaauth.Observer = (*Tracer)(nil)

// span is one span being recorded or ended.
type span struct {
	traceID  [16]byte
	spanID   [8]byte
	parentID [8]byte // zero for a root
	name     string
	kind     int
	start    time.Time
	end      time.Time
	attrs    []attr
	status   int
	message  string
}

// attr is an attribute: a string or an int.
type attr struct {
	key   string
	str   string
	num   int64
	isNum bool
}

func str(k, v string) attr { return attr{key: k, str: v} }
func num(k string, v int) attr {
	return attr{key: k, num: int64(v), isNum: true}
}

// spanKey is the context key of the span in progress.
type spanKey struct{}

// start begins a span, a child of the one in ctx, and returns ctx with it.
func (t *Tracer) start(ctx context.Context, name string, kind int, attrs []attr) context.Context {
	s := &span{name: name, kind: kind, start: time.Now(), attrs: attrs}
	_, _ = rand.Read(s.spanID[:])
	if parent, ok := ctx.Value(spanKey{}).(*span); ok {
		s.traceID, s.parentID = parent.traceID, parent.spanID
	} else {
		_, _ = rand.Read(s.traceID[:])
	}
	return context.WithValue(ctx, spanKey{}, s)
}

// end ends the span of ctx and keeps it for Flush.
func (t *Tracer) end(ctx context.Context, attrs []attr, errType string) {
	s, ok := ctx.Value(spanKey{}).(*span)
	if !ok {
		return
	}
	s.end = time.Now()
	s.attrs = append(s.attrs, attrs...)
	if errType != "" {
		s.attrs = append(s.attrs, str("error.type", errType))
		s.status, s.message = statusError, errType
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.spans) >= maxSpans {
		t.dropped++
		return
	}
	t.spans = append(t.spans, s)
}

// Observe records the calls and attempts ev reports; see
// [mediaauth.Observer]. Like mediaauthotel, it records an error's kind,
// never its text.
func (t *Tracer) Observe(ctx context.Context, ev mediaauth.Event) context.Context {
	switch ev.Kind {
	case mediaauth.EventCallStart:
		return t.start(ctx, ev.Operation, kindInternal,
			[]attr{str("mediaauth.api", string(ev.API)), str("mediaauth.operation", ev.Operation)})
	case mediaauth.EventCallEnd:
		attrs := []attr{str("mediaauth.outcome", ev.Outcome)}
		if ev.StatusCode > 0 {
			attrs = append(attrs, num("http.response.status_code", ev.StatusCode))
		}
		if ev.TMDbCode != 0 {
			attrs = append(attrs, num("mediaauth.tmdb.status_code", ev.TMDbCode))
		}
		t.end(ctx, attrs, ev.ErrorType)
	case mediaauth.EventAttemptStart:
		return t.start(ctx, ev.Method, kindClient, attemptAttrs(ev))
	case mediaauth.EventAttemptEnd:
		var attrs []attr
		errType := ev.ErrorType
		if ev.StatusCode > 0 {
			attrs = append(attrs, num("http.response.status_code", ev.StatusCode))
			if ev.StatusCode >= 400 && errType == "" {
				errType = strconv.Itoa(ev.StatusCode)
			}
		}
		t.end(ctx, attrs, errType)
	}
	return ctx
}

// attemptAttrs are the attributes of an attempt's span, as otelhttp's.
func attemptAttrs(ev mediaauth.Event) []attr {
	attrs := []attr{str("http.request.method", ev.Method), str("url.full", ev.URL), str("mediaauth.api", string(ev.API))}
	if u, err := url.Parse(ev.URL); err == nil {
		attrs = append(attrs, str("server.address", u.Hostname()))
		if p, err := strconv.Atoi(u.Port()); err == nil {
			attrs = append(attrs, num("server.port", p))
		}
	}
	if ev.Attempt > 1 {
		attrs = append(attrs, num("http.request.resend_count", ev.Attempt-1))
	}
	return attrs
}

// take returns the spans kept so far, and how many were dropped, and
// forgets them.
func (t *Tracer) take() ([]*span, int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	spans, dropped := t.spans, t.dropped
	t.spans, t.dropped = nil, 0
	return spans, dropped
}
