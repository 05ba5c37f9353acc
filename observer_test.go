package mediaauth_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mediaauth/mediaauth"
	"github.com/mediaauth/mediaauth/mediaauthtest"
)

// What an Observer is told, in order, through every door: calls, attempts,
// rate-limit waits, retries, renewals and polls, each with the context of
// the call and attempt it belongs to.

// opKey and attemptKey are the context keys observerLog puts in the contexts
// it returns, as a tracer would put its spans.
type (
	opKey      struct{}
	attemptKey struct{}
)

// seenEvent is an Event with the operation and attempt its context held.
type seenEvent struct {
	mediaauth.Event
	op      string // the innermost operation whose context the event has
	attempt int
}

// observerLog is an Observer that records what it is told.
type observerLog struct {
	mu     sync.Mutex
	events []seenEvent
}

func (l *observerLog) Observe(ctx context.Context, ev mediaauth.Event) context.Context {
	op, _ := ctx.Value(opKey{}).(string)
	n, _ := ctx.Value(attemptKey{}).(int)
	l.mu.Lock()
	l.events = append(l.events, seenEvent{Event: ev, op: op, attempt: n})
	l.mu.Unlock()
	switch ev.Kind {
	case mediaauth.EventCallStart:
		return context.WithValue(ctx, opKey{}, ev.Operation)
	case mediaauth.EventAttemptStart:
		return context.WithValue(ctx, attemptKey{}, ev.Attempt)
	}
	return ctx
}

// all returns the events so far.
func (l *observerLog) all() []seenEvent {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]seenEvent(nil), l.events...)
}

// kinds lists the events as "kind op" lines, with the fields that say
// what happened.
func (l *observerLog) kinds() []string {
	var out []string
	for _, ev := range l.all() {
		line := ev.Kind.String() + " " + ev.op
		switch ev.Kind {
		case mediaauth.EventCallStart:
			line += " -> " + ev.Operation
		case mediaauth.EventCallEnd:
			line += fmt.Sprintf(" %s %d %s", ev.Outcome, ev.StatusCode, ev.ErrorType)
		case mediaauth.EventAttemptStart:
			line += fmt.Sprintf(" #%d", ev.Attempt)
		case mediaauth.EventAttemptEnd:
			line += fmt.Sprintf(" #%d %d", ev.Attempt, ev.StatusCode)
		case mediaauth.EventRetry:
			line += fmt.Sprintf(" #%d %s", ev.Attempt, ev.Reason)
		case mediaauth.EventRenewal:
			line += " " + ev.Reason + " " + ev.Outcome
		case mediaauth.EventPoll:
			line += fmt.Sprintf(" #%d %s", ev.Attempt, ev.Outcome)
		}
		out = append(out, line)
	}
	return out
}

func TestObserverRetriedCall(t *testing.T) {
	t.Parallel()
	log := &observerLog{}
	c, mt := unitClient(t, mediaauth.WithRetry(2, time.Millisecond, time.Millisecond), mediaauth.WithObserver(log),
		mediaauth.WithCredentials(mediaauth.Token{AccessToken: "observer-secret-token"}))
	var seen []string
	answers := []int{503, 200}
	mt.RegisterResponder(http.MethodGet, unitBase+"/user/profile", func(req *http.Request) (*http.Response, error) {
		op, _ := req.Context().Value(opKey{}).(string)
		n, _ := req.Context().Value(attemptKey{}).(int)
		seen = append(seen, fmt.Sprintf("%s #%d", op, n))
		status := answers[0]
		answers = answers[1:]
		if status != 200 {
			return httpmock.NewStringResponse(status, `{"error":"unavailable","message":"try later"}`), nil
		}
		resp := httpmock.NewStringResponse(200, unitUserJSON)
		resp.Header.Set("Content-Type", "application/json")
		return resp, nil
	})

	_, err := c.Movies.Profile(context.Background())
	require.NoError(t, err)
	assert.Equal(t, []string{"Movies.Profile #1", "Movies.Profile #2"}, seen,
		"each attempt is sent with the contexts the Observer gave for the call and the attempt")
	assert.Equal(t, []string{
		"call_start  -> Movies.Profile",
		"rate_limit_wait Movies.Profile",
		"attempt_start Movies.Profile #1",
		"attempt_end Movies.Profile #1 503",
		"retry Movies.Profile #2 unavailable",
		"rate_limit_wait Movies.Profile",
		"attempt_start Movies.Profile #2",
		"attempt_end Movies.Profile #2 200",
		"call_end Movies.Profile ok 200 ",
	}, log.kinds())
	for _, ev := range log.all() {
		assert.Equal(t, mediaauth.APIMovies, ev.API, "%s", ev.Kind)
		switch ev.Kind {
		case mediaauth.EventAttemptStart, mediaauth.EventAttemptEnd:
			assert.Equal(t, unitBase+"/user/profile", ev.URL)
			assert.Equal(t, http.MethodGet, ev.Method)
		case mediaauth.EventRetry:
			assert.Equal(t, time.Millisecond, ev.Wait)
			assert.Equal(t, 503, ev.StatusCode)
		case mediaauth.EventCallEnd:
			assert.Positive(t, ev.Duration)
			assert.NoError(t, ev.Err)
		}
	}
}

func TestObserverFailedTMDbCall(t *testing.T) {
	t.Parallel()
	log := &observerLog{}
	c, mt := tmdbUnitClient(t, mediaauth.WithObserver(log), mediaauth.WithCredentials(mediaauth.TMDbAPIKey(tmdbUnitKey)))
	mt.RegisterResponder(http.MethodGet, tmdbUnitBase+"/authentication/token/new",
		(&recorder{}).respondTMDb(401, `{"status_code":7,"status_message":"Invalid API key `+tmdbUnitKey+`","success":false}`))

	_, err := c.TMDb.CreateRequestToken(context.Background())
	require.ErrorIs(t, err, mediaauth.ErrInvalidAPIKey)
	evs := log.all()
	require.Len(t, evs, 5, "%v", log.kinds())
	start, end := evs[2], evs[3]
	assert.Equal(t, tmdbUnitBase+"/authentication/token/new", start.URL, "the URL has no query, where the API key goes")
	assert.Equal(t, 401, end.StatusCode)
	last := evs[4]
	assert.Equal(t, mediaauth.EventCallEnd, last.Kind)
	assert.Equal(t, "TMDb.CreateRequestToken", last.Operation)
	assert.Equal(t, mediaauth.OutcomeAPIError, last.Outcome)
	assert.Equal(t, 401, last.StatusCode)
	assert.Equal(t, 7, last.TMDbCode)
	assert.Equal(t, "invalid_api_key", last.ErrorType)
	assert.NotContains(t, last.Err.Error(), tmdbUnitKey)
}

func TestObserverDoorsAndOutcomes(t *testing.T) {
	t.Parallel()
	log := &observerLog{}
	c, mt := unitClient(t, mediaauth.WithObserver(log))
	mt.RegisterResponder(http.MethodGet, unitBase+"/movies/1", (&recorder{}).respond(200, `{"id":1}`))
	mt.RegisterResponder(http.MethodGet, unitBase+"/drop", httpmock.NewErrorResponder(fmt.Errorf("connection reset")))

	var out map[string]any
	require.NoError(t, c.Movies.Do(context.Background(), http.MethodGet, "/movies/1?secret=x", nil, &out))
	req, err := http.NewRequest(http.MethodGet, unitBase+"/movies/1", nil)
	require.NoError(t, err)
	resp, err := c.Movies.HTTPClient().Do(req)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	err = c.Movies.Do(context.Background(), http.MethodGet, "/drop", nil, nil)
	require.ErrorIs(t, err, mediaauth.ErrNetwork)
	_, err = c.Movies.Profile(context.Background())
	require.ErrorIs(t, err, mediaauth.ErrMissingCredentials)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = c.Movies.Do(ctx, http.MethodGet, "/movies/1", nil, nil)
	require.ErrorIs(t, err, context.Canceled)

	assert.Equal(t, []string{
		"call_start  -> Movies.Do", "rate_limit_wait Movies.Do", "attempt_start Movies.Do #1",
		"attempt_end Movies.Do #1 200", "call_end Movies.Do ok 200 ",
		// HTTPClient's requests are not operations: their attempts are told.
		"rate_limit_wait ", "attempt_start  #1", "attempt_end  #1 200",
		"call_start  -> Movies.Do", "rate_limit_wait Movies.Do", "attempt_start Movies.Do #1",
		"attempt_end Movies.Do #1 0", "call_end Movies.Do network_error 0 network",
		"call_start  -> Movies.Profile", "call_end Movies.Profile not_sent 0 missing_credentials",
		"call_start  -> Movies.Do", "rate_limit_wait Movies.Do", "call_end Movies.Do canceled 0 canceled",
	}, log.kinds())
	for _, ev := range log.all() {
		assert.NotContains(t, ev.URL, "secret", "no query in %s", ev.Kind)
		if ev.Kind == mediaauth.EventAttemptEnd && ev.Err != nil {
			assert.Equal(t, "network", ev.ErrorType)
		}
	}
}

// TestObserverNilContext: an Observer that returns nil leaves the context
// as it was.
func TestObserverNilContext(t *testing.T) {
	t.Parallel()
	var n int
	var mu sync.Mutex
	obs := mediaauth.ObserverFunc(func(context.Context, mediaauth.Event) context.Context {
		mu.Lock()
		n++
		mu.Unlock()
		return nil
	})
	c, mt := unitClient(t, mediaauth.WithObserver(obs))
	mt.RegisterResponder(http.MethodGet, unitBase+"/movies/1", (&recorder{}).respond(200, `{"id":1}`))
	require.NoError(t, c.Movies.Do(context.Background(), http.MethodGet, "/movies/1", nil, nil))
	assert.Equal(t, 5, n)
}

// TestObserverPollUntilConfirmed: a poll answered 429 (too fast for the
// fake), then pending, then confirmed; each poll is a TVmaze.PollAuth call
// within the PollUntilConfirmed operation.
func TestObserverPollUntilConfirmed(t *testing.T) {
	t.Parallel()
	srv := mediaauthtest.NewServer(mediaauthtest.WithTVmazeMinPollInterval(time.Millisecond))
	t.Cleanup(srv.Close)
	ctx := context.Background()
	log := &observerLog{}
	var req *mediaauth.AuthRequest
	var polls int
	c := fakeClient(t, srv, mediaauth.WithObserver(log))
	wait := []mediaauth.WaitOption{mediaauth.WithPollInterval(20 * time.Millisecond),
		mediaauth.WithWaitObserver(func(mediaauth.WaitEvent) {
			// The user confirms after the second poll.
			if polls++; polls == 2 {
				assert.NoError(t, srv.TVmaze.Confirm(req.Token))
			}
		})}
	req, err := c.TVmaze.StartAuth(ctx, mediaauthtest.DemoTVmazeEmail, mediaauth.WithoutEmailConfirmation())
	require.NoError(t, err)
	srv.InjectFault(mediaauthtest.TVmazePrefix+"/auth/poll", mediaauthtest.Fault{Status: http.StatusTooManyRequests})
	creds, err := c.TVmaze.PollUntilConfirmed(ctx, *req, wait...)
	require.NoError(t, err)
	assert.Equal(t, mediaauthtest.DemoTVmazeUsername, creds.Username)

	var got []string
	for _, line := range log.kinds() {
		if !strings.HasPrefix(line, "rate_limit_wait") {
			got = append(got, line)
		}
	}
	assert.Equal(t, []string{
		"call_start  -> TVmaze.StartAuth", "attempt_start TVmaze.StartAuth #1", "attempt_end TVmaze.StartAuth #1 200",
		"call_end TVmaze.StartAuth ok 200 ",
		"call_start  -> TVmaze.PollUntilConfirmed",
		"call_start TVmaze.PollUntilConfirmed -> TVmaze.PollAuth", "attempt_start TVmaze.PollAuth #1",
		"attempt_end TVmaze.PollAuth #1 429", "call_end TVmaze.PollAuth api_error 429 rate_limited",
		"poll TVmaze.PollUntilConfirmed #1 rate_limited",
		"call_start TVmaze.PollUntilConfirmed -> TVmaze.PollAuth", "attempt_start TVmaze.PollAuth #1",
		"attempt_end TVmaze.PollAuth #1 403", "call_end TVmaze.PollAuth api_error 403 authorization_pending",
		"poll TVmaze.PollUntilConfirmed #2 pending",
		"call_start TVmaze.PollUntilConfirmed -> TVmaze.PollAuth", "attempt_start TVmaze.PollAuth #1",
		"attempt_end TVmaze.PollAuth #1 200", "call_end TVmaze.PollAuth ok 200 ",
		"poll TVmaze.PollUntilConfirmed #3 confirmed",
		"call_end TVmaze.PollUntilConfirmed ok 200 ",
	}, got)
	for _, ev := range log.all() {
		if ev.Kind == mediaauth.EventPoll && ev.Outcome == mediaauth.PollRateLimited {
			assert.Equal(t, 40*time.Millisecond, ev.Wait, "the wait doubles after a 429")
		}
		if ev.Err != nil {
			assert.NotContains(t, ev.Err.Error(), req.Token)
		}
	}
}

// TestObserverRenewal: a token source that logs in reports its renewals,
// the first because there is no token, the next because the server
// refused the token as expired; each login is a call within the call that
// needed the token.
func TestObserverRenewal(t *testing.T) {
	t.Parallel()
	srv := mediaauthtest.NewServer()
	t.Cleanup(srv.Close)
	log := &observerLog{}
	c := fakeClient(t, srv, mediaauth.WithObserver(log))
	password := func(context.Context) (string, error) { return mediaauthtest.DemoMoviesPassword, nil }
	src := mediaauth.ReuseMoviesTokenSource(nil, c.Movies.LoginTokenSource(mediaauthtest.DemoMoviesUsername, password))
	me := c.Movies.With(mediaauth.RenewingMoviesToken(src))
	ctx := context.Background()
	_, err := me.Profile(ctx)
	require.NoError(t, err)
	srv.Movies.ExpireTokens()
	_, err = me.Profile(ctx)
	require.NoError(t, err)

	var got []string
	for _, line := range log.kinds() {
		if !strings.HasPrefix(line, "rate_limit_wait") && !strings.HasPrefix(line, "attempt_") {
			got = append(got, line)
		}
	}
	assert.Equal(t, []string{
		"call_start  -> Movies.Profile",
		"call_start Movies.Profile -> Movies.Login", "call_end Movies.Login ok 200 ",
		"renewal Movies.Profile expiring renewed",
		"call_end Movies.Profile ok 200 ",
		"call_start  -> Movies.Profile",
		"call_start Movies.Profile -> Movies.Login", "call_end Movies.Login ok 200 ",
		"renewal Movies.Profile refused renewed",
		"call_end Movies.Profile ok 200 ",
	}, got)
}

// profileTransport answers every request with the golden profile body,
// in memory.
type profileTransport struct{}

func (profileTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_ = req.Body.Close()
	}
	return &http.Response{
		StatusCode: 200, Request: req, ContentLength: int64(len(unitUserJSON)),
		Header: http.Header{"Content-Type": {"application/json"}},
		Body:   io.NopCloser(strings.NewReader(unitUserJSON)),
	}, nil
}

// BenchmarkObserver is a typed call (Movies.Profile, answered in memory)
// with no Observer, which the hooks skip at no cost, and with an Observer
// that does nothing, which shows what the engine's own part of observing
// costs. The cost with OpenTelemetry is measured by the mediaauthotel
// module's BenchmarkObserver.
func BenchmarkObserver(b *testing.B) {
	for _, bc := range []struct {
		name string
		opts []mediaauth.Option
	}{
		{"none", nil},
		{"noop", []mediaauth.Option{mediaauth.WithObserver(mediaauth.ObserverFunc(
			func(ctx context.Context, _ mediaauth.Event) context.Context { return ctx }))}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			c := benchClient(b, append([]mediaauth.Option{
				mediaauth.WithMoviesBaseURL(unitBase),
				mediaauth.WithHTTPClient(&http.Client{Transport: profileTransport{}}),
				mediaauth.WithCredentials(mediaauth.Token{AccessToken: "bench-access-token"}),
			}, bc.opts...)...)
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

// An Observer sees each call, attempt and wait; here one that prints them.
// The mediaauthotel module has one that makes OpenTelemetry spans and
// metrics of them.
func ExampleWithObserver() {
	srv := mediaauthtest.NewServer() // a fake of the APIs, for the example
	defer srv.Close()
	printer := mediaauth.ObserverFunc(func(ctx context.Context, ev mediaauth.Event) context.Context {
		switch ev.Kind {
		case mediaauth.EventCallEnd:
			fmt.Println(ev.Kind, ev.Operation, ev.Outcome, ev.StatusCode, ev.ErrorType)
		case mediaauth.EventAttemptEnd:
			fmt.Println(ev.Kind, ev.Method, ev.URL == srv.Movies.URL()+"/login", ev.StatusCode)
		case mediaauth.EventCallStart:
			fmt.Println(ev.Kind, ev.Operation)
		default:
			fmt.Println(ev.Kind)
		}
		return ctx
	})
	client, err := mediaauth.New(mediaauth.WithMoviesBaseURL(srv.Movies.URL()), mediaauth.WithObserver(printer))
	if err != nil {
		fmt.Println(err)
		return
	}
	_, err = client.Movies.Login(context.Background(), mediaauthtest.DemoMoviesUsername, "not the password")
	fmt.Println(errors.Is(err, mediaauth.ErrInvalidCredentials))
	// Output:
	// call_start Movies.Login
	// rate_limit_wait
	// attempt_start
	// attempt_end POST true 401
	// call_end Movies.Login api_error 401 invalid_credentials
	// true
}
