package mediaauthotel_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/mediaauth/mediaauth"
	"github.com/mediaauth/mediaauth/mediaauthotel"
	"github.com/mediaauth/mediaauth/mediaauthtest"
)

// TestPropagatingTransport: each attempt reaches the server with the
// trace context of its own span, as otelhttp's transport sends it; a
// client without it sends none.
func TestPropagatingTransport(t *testing.T) {
	tm := newTelemetry(t)
	srv := mediaauthtest.NewServer()
	t.Cleanup(srv.Close)
	hc := &http.Client{Transport: mediaauthotel.PropagatingTransport(nil, propagation.TraceContext{})}
	c, err := srv.Client(mediaauth.WithObserver(tm.obs), mediaauth.WithHTTPClient(hc))
	require.NoError(t, err)
	ctx := context.Background()
	srv.InjectFault("/3/authentication/token/new", mediaauthtest.Fault{Status: 503})
	_, err = c.TMDb.CreateRequestToken(ctx)
	require.NoError(t, err)

	attempts := tm.children(tm.one(t, "TMDb.CreateRequestToken"))
	require.Len(t, attempts, 2)
	var sent []string
	for _, r := range srv.Requests() {
		if r.Path == "/3/authentication/token/new" {
			sent = append(sent, r.Header.Get("Traceparent"))
		}
	}
	require.Len(t, sent, 2)
	for i, a := range attempts {
		assert.Equal(t, traceparent(a), sent[i], "attempt %d", i+1)
	}

	plain, err := srv.Client(mediaauth.WithObserver(tm.obs))
	require.NoError(t, err)
	_, err = plain.TMDb.CreateGuestSession(ctx)
	require.NoError(t, err)
	for _, r := range srv.Requests() {
		if r.Path == "/3/authentication/guest_session/new" {
			assert.Empty(t, r.Header.Get("Traceparent"), "no trace context to other parties by default")
		}
	}
}

// traceparent is the W3C traceparent header of s.
func traceparent(s sdktrace.ReadOnlySpan) string {
	sc := s.SpanContext()
	return "00-" + sc.TraceID().String() + "-" + sc.SpanID().String() + "-" + sc.TraceFlags().String()
}
