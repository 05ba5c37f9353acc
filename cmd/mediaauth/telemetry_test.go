package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// otlpCollector keeps the span names and raw bodies of the OTLP/HTTP JSON
// requests it receives.
type otlpCollector struct {
	mu     sync.Mutex
	names  []string
	bodies []string
}

func (c *otlpCollector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	data, _ := io.ReadAll(r.Body)
	var req struct {
		ResourceSpans []struct {
			ScopeSpans []struct {
				Spans []struct {
					Name string `json:"name"`
				} `json:"spans"`
			} `json:"scopeSpans"`
		} `json:"resourceSpans"`
	}
	_ = json.Unmarshal(data, &req)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.bodies = append(c.bodies, string(data))
	for _, rs := range req.ResourceSpans {
		for _, ss := range rs.ScopeSpans {
			for _, s := range ss.Spans {
				c.names = append(c.names, s.Name)
			}
		}
	}
}

// TestStatusExportsTraces: with OTEL_EXPORTER_OTLP_ENDPOINT set, the calls
// of a command reach the collector as spans, once, when it ends; no secret
// goes with them.
func TestStatusExportsTraces(t *testing.T) {
	t.Parallel()
	col := &otlpCollector{}
	cs := httptest.NewServer(col)
	t.Cleanup(cs.Close)
	_, env, secrets := loggedIn(t)
	env["OTEL_EXPORTER_OTLP_ENDPOINT"] = cs.URL
	ts := newSys(t, env)
	require.Equal(t, exitOK, ts.run(t.Context(), "status"), ts.stdout.String()+ts.stderr.String())
	assert.Empty(t, ts.stderr.String())

	col.mu.Lock()
	defer col.mu.Unlock()
	require.Len(t, col.bodies, 1, "one export when the command ends")
	for _, want := range []string{"Movies.Profile", "TVmaze.Validate", "TMDb.Do", "GET"} {
		assert.Contains(t, col.names, want)
	}
	for _, s := range secrets {
		assert.NotContains(t, col.bodies[0], s)
	}
}

// TestTracesMisconfigured: a mistake in the variables, or a collector
// that is down, is a warning; the command's outcome is its own.
func TestTracesMisconfigured(t *testing.T) {
	t.Parallel()
	for name, vars := range map[string]map[string]string{
		"grpc":        {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4317", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"},
		"unreachable": {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1", "OTEL_EXPORTER_OTLP_HEADERS": "api-key=h-SECRET"},
	} {
		t.Run(name, func(t *testing.T) {
			_, env, _ := loggedIn(t)
			for k, v := range vars {
				env[k] = v
			}
			ts := newSys(t, env)
			require.Equal(t, exitOK, ts.run(t.Context(), "status"), ts.stdout.String()+ts.stderr.String())
			stderr := ts.stderr.String()
			assert.True(t, strings.HasPrefix(stderr, "mediaauth: warning: "), stderr)
			assert.NotContains(t, stderr, "SECRET")
		})
	}
}
