package main

import (
	"context"

	"github.com/mediaauth/mediaauth/internal/otlptrace"
)

// The command's traces: when OTEL_EXPORTER_OTLP_ENDPOINT (or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set, every call a command makes
// is a span, as the mediaauthotel module makes them, and the spans are
// sent to that OpenTelemetry collector over OTLP/HTTP (JSON) when the
// command ends. See otlptrace.FromEnv for the variables read.

// startTraces starts recording the command's spans when the environment
// asks for traces, and returns the function that sends them, which run
// calls when the command is done. A mistake in the variables, or a
// collector that cannot be reached, is a warning on stderr: the command's
// own outcome does not change.
func (a *app) startTraces() (flush func()) {
	tr, err := otlptrace.FromEnv(a.sys.getenv, "")
	if err != nil {
		a.errorLine("warning: no traces: " + err.Error())
		return func() {}
	}
	if tr == nil {
		return func() {}
	}
	a.tracer = tr
	return func() {
		if err := tr.Flush(context.Background()); err != nil {
			a.errorLine("warning: traces: " + err.Error())
		}
	}
}
