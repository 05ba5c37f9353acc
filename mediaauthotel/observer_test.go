package mediaauthotel_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"golang.org/x/time/rate"

	"github.com/mediaauth/mediaauth"
	"github.com/mediaauth/mediaauth/mediaauthotel"
	"github.com/mediaauth/mediaauth/mediaauthtest"
)

// The spans and metrics of the SDK's calls against the loopback fake,
// read back with the OpenTelemetry SDK's in-memory span recorder and a
// manual metric reader.

// telemetry is an Observer on an SDK TracerProvider and MeterProvider
// whose spans and metrics a test reads.
type telemetry struct {
	spans  *tracetest.SpanRecorder
	reader *sdkmetric.ManualReader
	obs    *mediaauthotel.Observer
}

func newTelemetry(t testing.TB) *telemetry {
	tm := &telemetry{spans: tracetest.NewSpanRecorder(), reader: sdkmetric.NewManualReader()}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tm.spans))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(tm.reader))
	var err error
	tm.obs, err = mediaauthotel.New(mediaauthotel.WithTracerProvider(tp), mediaauthotel.WithMeterProvider(mp))
	require.NoError(t, err)
	return tm
}

// ended returns the ended spans named name.
func (tm *telemetry) ended(name string) []sdktrace.ReadOnlySpan {
	var out []sdktrace.ReadOnlySpan
	for _, s := range tm.spans.Ended() {
		if s.Name() == name {
			out = append(out, s)
		}
	}
	return out
}

// one returns the one ended span named name.
func (tm *telemetry) one(t *testing.T, name string) sdktrace.ReadOnlySpan {
	t.Helper()
	spans := tm.ended(name)
	require.Len(t, spans, 1, "spans named %q", name)
	return spans[0]
}

// children returns the ended spans whose parent is s.
func (tm *telemetry) children(s sdktrace.ReadOnlySpan) []sdktrace.ReadOnlySpan {
	var out []sdktrace.ReadOnlySpan
	for _, c := range tm.spans.Ended() {
		if c.Parent().SpanID() == s.SpanContext().SpanID() {
			out = append(out, c)
		}
	}
	return out
}

// metrics collects the metrics so far.
func (tm *telemetry) metrics(t testing.TB) []metricdata.Metrics {
	var rm metricdata.ResourceMetrics
	require.NoError(t, tm.reader.Collect(context.Background(), &rm))
	var out []metricdata.Metrics
	for _, sm := range rm.ScopeMetrics {
		out = append(out, sm.Metrics...)
	}
	return out
}

// attrs is a set of attributes as "key=value" strings, for comparisons.
func attrs(set attribute.Set) map[string]string {
	m := map[string]string{}
	for _, kv := range set.ToSlice() {
		m[string(kv.Key)] = kv.Value.Emit()
	}
	return m
}

// spanAttrs is attrs of a span's attributes.
func spanAttrs(s sdktrace.ReadOnlySpan) map[string]string {
	return attrs(attribute.NewSet(s.Attributes()...))
}

// matches reports whether every key=value of want is in got.
func matches(got, want map[string]string) bool {
	for k, v := range want {
		if got[k] != v {
			return false
		}
	}
	return true
}

// counts returns, for a counter or histogram named name, the sum of the
// counter's points (or the count of the histogram's) whose attributes
// hold want, and the sum of the histogram's values.
func (tm *telemetry) counts(t testing.TB, name string, want map[string]string) (n int64, sum float64) {
	for _, m := range tm.metrics(t) {
		if m.Name != name {
			continue
		}
		switch data := m.Data.(type) {
		case metricdata.Sum[int64]:
			for _, p := range data.DataPoints {
				if matches(attrs(p.Attributes), want) {
					n += p.Value
				}
			}
		case metricdata.Histogram[float64]:
			for _, p := range data.DataPoints {
				if matches(attrs(p.Attributes), want) {
					n += int64(p.Count)
					sum += p.Sum
				}
			}
		}
	}
	return n, sum
}

// fake starts the loopback fake with opts, closed when t ends, and returns
// it with a client observed by tm.
func fake(t *testing.T, tm *telemetry, opts ...mediaauth.Option) (*mediaauthtest.Server, *mediaauth.Client) {
	srv := mediaauthtest.NewServer()
	t.Cleanup(srv.Close)
	c, err := srv.Client(append([]mediaauth.Option{mediaauth.WithObserver(tm.obs)}, opts...)...)
	require.NoError(t, err)
	return srv, c
}

// TestTypedCallOfEachAPI: a typed call of each API is a span of kind
// internal, named after the call, whose attempt is a client span named and
// described as otelhttp would; each is measured.
func TestTypedCallOfEachAPI(t *testing.T) {
	tm := newTelemetry(t)
	srv, c := fake(t, tm)
	ctx := context.Background()
	_, err := c.Movies.Login(ctx, mediaauthtest.DemoMoviesUsername, mediaauthtest.DemoMoviesPassword)
	require.NoError(t, err)
	_, err = c.TVmaze.With(mediaauth.TVmazeCredentials{Username: mediaauthtest.DemoTVmazeUsername, APIKey: mediaauthtest.DemoTVmazeAPIKey}).Validate(ctx)
	require.NoError(t, err)
	_, err = c.TMDb.CreateRequestToken(ctx)
	require.NoError(t, err)

	u, err := url.Parse(srv.URL)
	require.NoError(t, err)
	for _, tc := range []struct{ api, op, method, path string }{
		{"movies", "Movies.Login", "POST", mediaauthtest.MoviesPrefix + "/login"},
		{"tvmaze", "TVmaze.Validate", "GET", mediaauthtest.TVmazePrefix + "/auth/validate"},
		{"tmdb", "TMDb.CreateRequestToken", "GET", "/3/authentication/token/new"},
	} {
		call := tm.one(t, tc.op)
		assert.Equal(t, trace.SpanKindInternal, call.SpanKind())
		assert.Equal(t, map[string]string{
			"mediaauth.api": tc.api, "mediaauth.operation": tc.op, "mediaauth.outcome": "ok",
			"http.response.status_code": "200", "mediaauth.attempts": "1", "mediaauth.retries": "0",
			"mediaauth.rate_limit.wait": spanAttrs(call)["mediaauth.rate_limit.wait"],
		}, spanAttrs(call))
		kids := tm.children(call)
		require.Len(t, kids, 1, "%s: one attempt", tc.op)
		attempt := kids[0]
		assert.Equal(t, tc.method, attempt.Name())
		assert.Equal(t, trace.SpanKindClient, attempt.SpanKind())
		assert.Equal(t, map[string]string{
			"http.request.method": tc.method, "url.full": srv.URL + tc.path,
			"server.address": u.Hostname(), "server.port": u.Port(), "http.response.status_code": "200",
			"mediaauth.api": tc.api, "mediaauth.attempt": "1",
		}, spanAttrs(attempt))
		n, _ := tm.counts(t, "mediaauth.client.operation.duration", map[string]string{
			"mediaauth.api": tc.api, "mediaauth.operation": tc.op, "mediaauth.outcome": "ok"})
		assert.Equal(t, int64(1), n, "%s: duration measured", tc.op)
		n, _ = tm.counts(t, "mediaauth.client.attempts", map[string]string{
			"mediaauth.api": tc.api, "mediaauth.operation": tc.op, "http.response.status_code": "200"})
		assert.Equal(t, int64(1), n)
		n, _ = tm.counts(t, "http.client.request.duration", map[string]string{
			"http.request.method": tc.method, "server.address": u.Hostname(), "server.port": u.Port(), "http.response.status_code": "200"})
		assert.GreaterOrEqual(t, n, int64(1))
	}
	n, _ := tm.counts(t, "http.client.request.duration", nil)
	assert.Equal(t, int64(3), n)
}

// TestRetriedCall: a call answered 503 and then 200 is one span with two
// attempts, the retry an event of the call and a count by reason.
func TestRetriedCall(t *testing.T) {
	tm := newTelemetry(t)
	srv, c := fake(t, tm)
	ctx := context.Background()
	tok, err := c.Movies.Login(ctx, mediaauthtest.DemoMoviesUsername, mediaauthtest.DemoMoviesPassword)
	require.NoError(t, err)
	srv.InjectFault(mediaauthtest.MoviesPrefix+"/user/profile", mediaauthtest.Fault{Status: 503})
	_, err = c.Movies.With(tok).Profile(ctx)
	require.NoError(t, err)

	call := tm.one(t, "Movies.Profile")
	a := spanAttrs(call)
	assert.Equal(t, "2", a["mediaauth.attempts"])
	assert.Equal(t, "1", a["mediaauth.retries"])
	assert.Equal(t, "ok", a["mediaauth.outcome"])
	require.Len(t, call.Events(), 1)
	ev := call.Events()[0]
	assert.Equal(t, "retry", ev.Name)
	assert.Equal(t, "unavailable", attrs(attribute.NewSet(ev.Attributes...))["mediaauth.retry.reason"])
	kids := tm.children(call)
	require.Len(t, kids, 2)
	first, second := kids[0], kids[1]
	assert.Equal(t, "503", spanAttrs(first)["error.type"])
	assert.Equal(t, "Error", first.Status().Code.String())
	assert.Equal(t, "1", spanAttrs(second)["http.request.resend_count"])
	assert.NotContains(t, spanAttrs(second), "error.type")
	n, _ := tm.counts(t, "mediaauth.client.retries", map[string]string{
		"mediaauth.api": "movies", "mediaauth.operation": "Movies.Profile", "mediaauth.retry.reason": "unavailable"})
	assert.Equal(t, int64(1), n)
	n, _ = tm.counts(t, "mediaauth.client.attempts", map[string]string{"mediaauth.operation": "Movies.Profile", "error.type": "503"})
	assert.Equal(t, int64(1), n)
}

// TestRateLimitedCall: calls that wait on the client-side limiter say how
// long on their span and in the wait histogram; one the server answers
// 429 is retried for that reason.
func TestRateLimitedCall(t *testing.T) {
	tm := newTelemetry(t)
	srv, c := fake(t, tm, mediaauth.WithRateLimit(mediaauth.APITMDb, rate.Every(50*time.Millisecond), 1))
	ctx := context.Background()
	for range 3 {
		_, err := c.TMDb.CreateRequestToken(ctx)
		require.NoError(t, err)
	}
	var waited float64
	for _, s := range tm.ended("TMDb.CreateRequestToken") {
		w, err := strconv.ParseFloat(spanAttrs(s)["mediaauth.rate_limit.wait"], 64)
		require.NoError(t, err)
		waited += w
	}
	assert.Greater(t, waited, 0.06, "two calls waited about 50 ms each")
	n, sum := tm.counts(t, "mediaauth.client.rate_limit.wait", map[string]string{"mediaauth.api": "tmdb"})
	assert.Equal(t, int64(3), n)
	assert.InDelta(t, waited, sum, 1e-9)

	srv.InjectFault("/3/authentication/guest_session/new", mediaauthtest.Fault{Status: 429, Header: http.Header{"Retry-After": {"0"}}})
	_, err := c.TMDb.CreateGuestSession(ctx)
	require.NoError(t, err)
	call := tm.one(t, "TMDb.CreateGuestSession")
	assert.Equal(t, "2", spanAttrs(call)["mediaauth.attempts"])
	n, _ = tm.counts(t, "mediaauth.client.retries", map[string]string{"mediaauth.retry.reason": "rate_limited"})
	assert.Equal(t, int64(1), n)
}

// TestPollUntilConfirmedWith429: PollUntilConfirmed is a span whose polls
// are PollAuth calls within it and events of it; the polls are counted by
// answer.
func TestPollUntilConfirmedWith429(t *testing.T) {
	tm := newTelemetry(t)
	srv := mediaauthtest.NewServer(mediaauthtest.WithTVmazeMinPollInterval(time.Millisecond))
	t.Cleanup(srv.Close)
	var req *mediaauth.AuthRequest
	polls := 0
	c, err := srv.Client(mediaauth.WithObserver(tm.obs))
	require.NoError(t, err)
	wait := []mediaauth.WaitOption{mediaauth.WithPollInterval(20 * time.Millisecond),
		mediaauth.WithWaitObserver(func(mediaauth.WaitEvent) {
			if polls++; polls == 2 {
				assert.NoError(t, srv.TVmaze.Confirm(req.Token))
			}
		})}
	ctx := context.Background()
	req, err = c.TVmaze.StartAuth(ctx, mediaauthtest.DemoTVmazeEmail, mediaauth.WithoutEmailConfirmation())
	require.NoError(t, err)
	srv.InjectFault(mediaauthtest.TVmazePrefix+"/auth/poll", mediaauthtest.Fault{Status: 429})
	_, err = c.TVmaze.PollUntilConfirmed(ctx, *req, wait...)
	require.NoError(t, err)

	poll := tm.one(t, "TVmaze.PollUntilConfirmed")
	assert.Equal(t, "ok", spanAttrs(poll)["mediaauth.outcome"])
	var answers []string
	for _, ev := range poll.Events() {
		if ev.Name == "poll" {
			answers = append(answers, attrs(attribute.NewSet(ev.Attributes...))["mediaauth.poll.outcome"])
		}
	}
	assert.Equal(t, []string{"rate_limited", "pending", "confirmed"}, answers)
	kids := tm.children(poll)
	require.Len(t, kids, 3)
	var outcomes []string
	for _, k := range kids {
		assert.Equal(t, "TVmaze.PollAuth", k.Name())
		outcomes = append(outcomes, spanAttrs(k)["mediaauth.outcome"]+" "+spanAttrs(k)["http.response.status_code"])
		require.Len(t, tm.children(k), 1, "each poll is one attempt")
	}
	assert.Equal(t, []string{"api_error 429", "api_error 403", "ok 200"}, outcomes)
	for outcome, want := range map[string]int64{"rate_limited": 1, "pending": 1, "confirmed": 1} {
		n, _ := tm.counts(t, "mediaauth.client.poll.attempts", map[string]string{"mediaauth.api": "tvmaze", "mediaauth.operation": "TVmaze.PollUntilConfirmed", "mediaauth.poll.outcome": outcome})
		assert.Equal(t, want, n, outcome)
	}
}

// TestRenewal: the login that renews a token is a call within the call
// that needed it, and the renewals are counted by outcome and reason.
func TestRenewal(t *testing.T) {
	tm := newTelemetry(t)
	srv, c := fake(t, tm)
	ctx := context.Background()
	password := func(context.Context) (string, error) { return mediaauthtest.DemoMoviesPassword, nil }
	src := mediaauth.ReuseMoviesTokenSource(nil, c.Movies.LoginTokenSource(mediaauthtest.DemoMoviesUsername, password))
	me := c.Movies.With(mediaauth.RenewingMoviesToken(src))
	_, err := me.Profile(ctx)
	require.NoError(t, err)
	srv.Movies.ExpireTokens()
	_, err = me.Profile(ctx)
	require.NoError(t, err)

	profiles := tm.ended("Movies.Profile")
	require.Len(t, profiles, 2)
	for _, p := range profiles {
		assert.Equal(t, "renewed", spanAttrs(p)["mediaauth.renewal.outcome"])
		var names []string
		for _, k := range tm.children(p) {
			names = append(names, k.Name())
		}
		assert.Contains(t, names, "Movies.Login", "the login is within the call")
	}
	assert.Equal(t, "2", spanAttrs(profiles[1])["mediaauth.attempts"], "refused, renewed, sent again")
	for reason, want := range map[string]int64{"expiring": 1, "refused": 1} {
		n, _ := tm.counts(t, "mediaauth.client.renewals", map[string]string{
			"mediaauth.api": "movies", "mediaauth.renewal.outcome": "renewed", "mediaauth.renewal.reason": reason})
		assert.Equal(t, want, n, reason)
	}
}

// TestOperationsAcrossGoroutines: one Observer serves concurrent calls;
// each call's span gets its own attempts.
func TestOperationsAcrossGoroutines(t *testing.T) {
	tm := newTelemetry(t)
	_, c := fake(t, tm)
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.TMDb.CreateRequestToken(context.Background())
			assert.NoError(t, err)
		}()
	}
	wg.Wait()
	spans := tm.ended("TMDb.CreateRequestToken")
	require.Len(t, spans, 20)
	for _, s := range spans {
		assert.Equal(t, "1", spanAttrs(s)["mediaauth.attempts"])
		assert.Len(t, tm.children(s), 1)
	}
}

// inMemory answers every request with the golden profile body, in memory.
type inMemory struct{}

const profileBody = `{"id":"u1","username":"john_doe","email":"john@example.com","name":"John Doe","bio":"Developer","email_verified":true,"created_at":"2024-01-02T03:04:05Z"}`

func (inMemory) RoundTrip(req *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: 200, Request: req, ContentLength: int64(len(profileBody)),
		Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(strings.NewReader(profileBody))}, nil
}

// BenchmarkObserver is a typed call (Movies.Profile, answered in memory)
// without an Observer and with this package's, on the OpenTelemetry SDK
// (every span sampled, batched to an exporter that drops them; metrics
// aggregated for a manual reader): what observing with OpenTelemetry adds
// to a call.
func BenchmarkObserver(b *testing.B) {
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(tracetest.NewNoopExporter()))
	b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	obs, err := mediaauthotel.New(mediaauthotel.WithTracerProvider(tp), mediaauthotel.WithMeterProvider(mp))
	require.NoError(b, err)
	for _, bc := range []struct {
		name string
		opts []mediaauth.Option
	}{{"none", nil}, {"otel", []mediaauth.Option{mediaauth.WithObserver(obs)}}} {
		b.Run(bc.name, func(b *testing.B) {
			c, err := mediaauth.New(append([]mediaauth.Option{
				mediaauth.WithMoviesBaseURL("https://movies.test"),
				mediaauth.WithHTTPClient(&http.Client{Transport: inMemory{}}),
				mediaauth.WithCredentials(mediaauth.Token{AccessToken: "bench-access-token"}),
			}, bc.opts...)...)
			require.NoError(b, err)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.Movies.Profile(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
