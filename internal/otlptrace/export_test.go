package otlptrace_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mediaauth/mediaauth"
	"github.com/mediaauth/mediaauth/internal/otlptrace"
	"github.com/mediaauth/mediaauth/mediaauthtest"
)

// env is a getenv of the given variables.
func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestFromEnv(t *testing.T) {
	for _, tc := range []struct {
		name    string
		vars    map[string]string
		off     bool
		wantErr string
	}{
		{name: "nothing set", vars: nil, off: true},
		{name: "disabled", vars: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_SDK_DISABLED": "true"}, off: true},
		{name: "exporter none", vars: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_TRACES_EXPORTER": "none"}, off: true},
		{name: "endpoint", vars: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318/"}},
		{name: "traces endpoint", vars: map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "https://c/v1/traces"}},
		{name: "not a URL", vars: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "c:4318"}, wantErr: "want an http or https URL"},
		{name: "grpc", vars: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4317", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, wantErr: "http/json only"},
		{name: "bad headers", vars: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c", "OTEL_EXPORTER_OTLP_HEADERS": "api-key"}, wantErr: "entry 1 is not key=value"},
		{name: "bad timeout", vars: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c", "OTEL_EXPORTER_OTLP_TIMEOUT": "-1"}, wantErr: "milliseconds"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr, err := otlptrace.FromEnv(env(tc.vars), "v1")
			switch {
			case tc.wantErr != "":
				require.ErrorContains(t, err, tc.wantErr)
			case tc.off:
				require.NoError(t, err)
				assert.Nil(t, tr)
			default:
				require.NoError(t, err)
				assert.NotNil(t, tr)
			}
		})
	}
}

// TestEndpointPaths: the general endpoint gets /v1/traces after it, with
// or without a trailing slash; the traces endpoint is used as it is.
func TestEndpointPaths(t *testing.T) {
	col := &collector{}
	cs := httptest.NewServer(col)
	t.Cleanup(cs.Close)
	srv := mediaauthtest.NewServer()
	t.Cleanup(srv.Close)
	ctx := context.Background()
	for vars, want := range map[[2]string]string{
		{"OTEL_EXPORTER_OTLP_ENDPOINT", cs.URL + "/"}:              "/v1/traces",
		{"OTEL_EXPORTER_OTLP_ENDPOINT", cs.URL + "/base"}:          "/base/v1/traces",
		{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", cs.URL + "/custom"}: "/custom",
	} {
		tr, err := otlptrace.FromEnv(env(map[string]string{vars[0]: vars[1]}), "v1")
		require.NoError(t, err)
		c, err := srv.Client(mediaauth.WithObserver(tr))
		require.NoError(t, err)
		_, err = c.TMDb.CreateGuestSession(ctx)
		require.NoError(t, err)
		require.NoError(t, tr.Flush(ctx))
		col.mu.Lock()
		got := col.paths[len(col.paths)-1]
		col.mu.Unlock()
		assert.Equal(t, want, got, vars[1])
	}
}

// collector is an OTLP/HTTP receiver that keeps what it is sent.
type collector struct {
	mu      sync.Mutex
	paths   []string
	headers []http.Header
	bodies  []map[string]any
	status  int
}

func (c *collector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	data, _ := io.ReadAll(r.Body)
	var body map[string]any
	_ = json.Unmarshal(data, &body)
	c.mu.Lock()
	c.paths, c.headers, c.bodies = append(c.paths, r.URL.Path), append(c.headers, r.Header.Clone()), append(c.bodies, body)
	status := c.status
	c.mu.Unlock()
	if status == 0 {
		status = 200
	}
	w.WriteHeader(status)
}

// TestFlushSendsSpans: a call and its attempt reach the collector as an
// internal span and its client child, with the resource and headers the
// environment gives.
func TestFlushSendsSpans(t *testing.T) {
	col := &collector{}
	cs := httptest.NewServer(col)
	t.Cleanup(cs.Close)
	tr, err := otlptrace.FromEnv(env(map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": cs.URL,
		"OTEL_EXPORTER_OTLP_HEADERS": "Authorization=Bearer%20collector-secret", "OTEL_SERVICE_NAME": "ops-cli"}), "v1.2.3")
	require.NoError(t, err)
	srv := mediaauthtest.NewServer()
	t.Cleanup(srv.Close)
	c, err := srv.Client(mediaauth.WithObserver(tr))
	require.NoError(t, err)
	ctx := context.Background()
	require.NoError(t, tr.Flush(ctx), "nothing to send")
	_, err = c.Movies.Login(ctx, mediaauthtest.DemoMoviesUsername, "wrong password")
	require.ErrorIs(t, err, mediaauth.ErrInvalidCredentials)
	require.NoError(t, tr.Flush(ctx))
	require.NoError(t, tr.Flush(ctx), "sent once")

	require.Len(t, col.bodies, 1)
	assert.Equal(t, "/v1/traces", col.paths[0])
	assert.Equal(t, "Bearer collector-secret", col.headers[0].Get("Authorization"))
	assert.Equal(t, "application/json", col.headers[0].Get("Content-Type"))
	rs := col.bodies[0]["resourceSpans"].([]any)[0].(map[string]any)
	assert.Contains(t, jsonText(t, rs["resource"]), `{"key":"service.name","value":{"stringValue":"ops-cli"}}`)
	ss := rs["scopeSpans"].([]any)[0].(map[string]any)
	assert.Equal(t, map[string]any{"name": otlptrace.ScopeName, "version": "v1.2.3"}, ss["scope"])
	spans := ss["spans"].([]any)
	require.Len(t, spans, 2)
	attempt, call := spans[0].(map[string]any), spans[1].(map[string]any)
	assert.Equal(t, "Movies.Login", call["name"])
	assert.EqualValues(t, 1, call["kind"])
	assert.Nil(t, call["parentSpanId"])
	assert.Equal(t, map[string]any{"code": 2.0, "message": "invalid_credentials"}, call["status"])
	assert.Contains(t, jsonText(t, call["attributes"]), `{"key":"http.response.status_code","value":{"intValue":"401"}}`)
	assert.Equal(t, "POST", attempt["name"])
	assert.EqualValues(t, 3, attempt["kind"])
	assert.Equal(t, call["spanId"], attempt["parentSpanId"])
	assert.Equal(t, call["traceId"], attempt["traceId"])
	assert.Len(t, call["traceId"], 32)
	assert.Len(t, call["spanId"], 16)
	assert.Contains(t, jsonText(t, attempt["attributes"]), `{"key":"url.full","value":{"stringValue":"`+srv.Movies.URL()+`/login"}}`)
	assert.NotContains(t, jsonText(t, col.bodies[0]), "wrong password")
}

// TestFlushErrors: a collector that refuses, or none, is an error that
// names the endpoint without its user, query or headers.
func TestFlushErrors(t *testing.T) {
	var nilTracer *otlptrace.Tracer
	require.NoError(t, nilTracer.Flush(context.Background()))
	col := &collector{status: 503}
	cs := httptest.NewServer(col)
	t.Cleanup(cs.Close)
	endpoint := strings.Replace(cs.URL, "http://", "http://user:pass-SECRET@", 1) + "/v1/traces?token=q-SECRET"
	tr, err := otlptrace.FromEnv(env(map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": endpoint,
		"OTEL_EXPORTER_OTLP_HEADERS": "api-key=h-SECRET"}), "")
	require.NoError(t, err)
	ctx := tr.Observe(context.Background(), mediaauth.Event{Kind: mediaauth.EventCallStart, API: mediaauth.APITMDb, Operation: "TMDb.Validate"})
	tr.Observe(ctx, mediaauth.Event{Kind: mediaauth.EventCallEnd, Outcome: mediaauth.OutcomeOK})
	err = tr.Flush(context.Background())
	require.ErrorContains(t, err, "503")
	assert.Contains(t, err.Error(), cs.URL+"/v1/traces")
	assert.NotContains(t, err.Error(), "SECRET")
}

// jsonText is v as JSON.
func jsonText(t *testing.T, v any) string {
	data, err := json.Marshal(v)
	require.NoError(t, err)
	return string(data)
}
