package mediaauthotel

import (
	"net/http"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
)

// PropagatingTransport returns a transport that sends each request with
// base (http.DefaultTransport when nil) after putting the trace context
// of the request's context in a copy of its headers, with p (the global
// propagator, otel.GetTextMapPropagator, when nil), as otelhttp's
// transport does. Under a client with an [Observer], a request's context
// holds its attempt's span, so the server sees the attempt as its
// parent. Give it to [mediaauth.WithHTTPClient] for an API that takes part
// in your traces; the client sends trace context to every API it talks
// to, so build a client of its own for that API.
func PropagatingTransport(base http.RoundTripper, p propagation.TextMapPropagator) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &propagating{base: base, p: p}
}

// propagating is the transport of PropagatingTransport.
type propagating struct {
	base http.RoundTripper
	p    propagation.TextMapPropagator
}

// RoundTrip sends a copy of req that carries its trace context.
func (t *propagating) RoundTrip(req *http.Request) (*http.Response, error) {
	p := t.p
	if p == nil {
		p = otel.GetTextMapPropagator()
	}
	out := req.Clone(req.Context())
	p.Inject(req.Context(), propagation.HeaderCarrier(out.Header))
	return t.base.RoundTrip(out)
}

// CloseIdleConnections closes the idle connections of the base transport,
// when it can.
func (t *propagating) CloseIdleConnections() {
	if c, ok := t.base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}
