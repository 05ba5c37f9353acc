package mediaauthotel_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/mediaauth/mediaauth"
	"github.com/mediaauth/mediaauth/internal/otlptrace"
	"github.com/mediaauth/mediaauth/mediaauthtest"
)

// TestCommandTracesAreOTLP: what the mediaauth command sends a collector
// (it cannot depend on OpenTelemetry, being in the root module: it has
// an exporter of its own) is read by the OpenTelemetry Collector's own
// OTLP/JSON decoder, and holds the spans this package makes of the same
// calls: the same names, kinds, parents and attribute keys.
func TestCommandTracesAreOTLP(t *testing.T) {
	var body []byte
	col := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ = io.ReadAll(r.Body)
	}))
	t.Cleanup(col.Close)
	tr, err := otlptrace.FromEnv(func(k string) string {
		return map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": col.URL}[k]
	}, "v0.0.0-test")
	require.NoError(t, err)
	tm := newTelemetry(t)
	srv := mediaauthtest.NewServer()
	t.Cleanup(srv.Close)
	srv.InjectFault("/3/authentication/token/new", mediaauthtest.Fault{Status: 503})
	for _, obs := range []mediaauth.Observer{tr, tm.obs} {
		c, err := srv.Client(mediaauth.WithObserver(obs))
		require.NoError(t, err)
		_, err = c.TMDb.CreateRequestToken(context.Background())
		require.NoError(t, err)
		srv.InjectFault("/3/authentication/token/new", mediaauthtest.Fault{Status: 503})
	}
	require.NoError(t, tr.Flush(context.Background()))

	traces, err := (&ptrace.JSONUnmarshaler{}).UnmarshalTraces(body)
	require.NoError(t, err, "the Collector reads it")
	require.Equal(t, 1, traces.ResourceSpans().Len())
	rs := traces.ResourceSpans().At(0)
	name, _ := rs.Resource().Attributes().Get("service.name")
	assert.Equal(t, "mediaauth", name.Str())
	ss := rs.ScopeSpans().At(0)
	assert.Equal(t, otlptrace.ScopeName, ss.Scope().Name())
	got := map[string][]string{}
	ids := map[string]string{}
	for i := range ss.Spans().Len() {
		s := ss.Spans().At(i)
		ids[s.SpanID().String()] = s.Name()
		var keys []string
		s.Attributes().Range(func(k string, _ pcommon.Value) bool { keys = append(keys, k); return true })
		sort.Strings(keys)
		got[s.Name()+" "+s.Kind().String()] = append(got[s.Name()+" "+s.Kind().String()], keys...)
	}
	for i := range ss.Spans().Len() {
		if s := ss.Spans().At(i); s.Kind() == ptrace.SpanKindClient {
			assert.Equal(t, "TMDb.CreateRequestToken", ids[s.ParentSpanID().String()], "an attempt's parent is its call")
		}
	}

	want := map[string][]string{}
	for _, s := range tm.spans.Ended() {
		var keys []string
		for _, kv := range s.Attributes() {
			keys = append(keys, string(kv.Key))
		}
		sort.Strings(keys)
		kind := map[string]string{"internal": "Internal", "client": "Client"}[s.SpanKind().String()]
		want[s.Name()+" "+kind] = append(want[s.Name()+" "+kind], keys...)
	}
	assert.Equal(t, []string{"GET Client", "TMDb.CreateRequestToken Internal"}, sortedKeys(got))
	for k, keys := range got {
		assert.Subset(t, want[k], keys, "%s: the command's attributes are the package's", k)
	}
}

// sortedKeys lists the keys of m in order.
func sortedKeys(m map[string][]string) []string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
