package mediaauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

// White-box tests of observer_stages.go.

// TestNilObserverAllocs: with no Observer, every hook the engine calls
// costs no allocation (BenchmarkObserver/none measures a whole call).
func TestNilObserverAllocs(t *testing.T) {
	c, err := New(WithMoviesBaseURL("https://movies.test"))
	if err != nil {
		t.Fatal(err)
	}
	h := &c.Movies.h
	ctx := context.Background()
	lim := rate.NewLimiter(rate.Inf, 0)
	failed := errors.New("failed")
	p := poller{api: APITVmaze, method: "TVmaze.PollUntilConfirmed", cfg: &waitConfig{}, pending: ErrAuthorizationPending}
	hooks := map[string]func(){
		"call": func() {
			cctx, ob := h.observeCall(ctx, "Movies.Profile", http.MethodGet)
			ob.end(200, failed)
			_ = cctx
		},
		"rate limit wait": func() { _ = waitObserved(ctx, lim, nil, APIMovies) },
		"attempt number":  func() { _ = nextAttempt(ctx) },
		"renewal":         func() { reportRenewal(ctx, RenewalExpiring, RenewalRenewed, time.Time{}, failed) },
		"poll":            func() { p.observe(ctx, WaitEvent{API: APITVmaze, Attempt: 1, Err: failed}) },
		"observer lookup": func() { _ = observerFrom(ctx) },
	}
	for name, hook := range hooks {
		if n := testing.AllocsPerRun(100, hook); n != 0 {
			t.Errorf("%s: %v allocations with no Observer, want 0", name, n)
		}
	}
}

// TestObserverStagesOnlyWithObserver: the attempt and renewal stages are
// in the engine only when the client has an Observer.
func TestObserverStagesOnlyWithObserver(t *testing.T) {
	next := http.DefaultTransport
	none := &shared{}
	if observeAttempts(APIMovies, none, next) != next || observeRenewals(none, &credentialSet{}, next) != next {
		t.Error("with no Observer, a stage was added")
	}
	with := &shared{observer: ObserverFunc(func(ctx context.Context, _ Event) context.Context { return ctx })}
	if _, ok := observeAttempts(APIMovies, with, next).(*attemptStage); !ok {
		t.Error("with an Observer, no attempt stage")
	}
	if _, ok := observeRenewals(with, &credentialSet{}, next).(*renewalStage); !ok {
		t.Error("with an Observer, no renewal stage")
	}
}

func TestErrorTypeAndOutcome(t *testing.T) {
	ctx := context.Background()
	ended, cancel := context.WithCancel(ctx)
	cancel()
	apiErr := &APIError{API: APIMovies, StatusCode: 401, kind: ErrTokenExpired}
	tests := []struct {
		err          error
		ctx          context.Context
		typ, outcome string
	}{
		{nil, ctx, "", OutcomeOK},
		{apiErr, ctx, "token_expired", OutcomeAPIError},
		{&APIError{StatusCode: 503}, ctx, "server_error", OutcomeAPIError},
		{&NetworkError{Err: errors.New("reset")}, ctx, "network", OutcomeNetworkError},
		{context.Canceled, ended, "canceled", OutcomeCanceled},
		{context.Canceled, ctx, "canceled", OutcomeNotSent},
		{ErrMissingCredentials, ctx, "missing_credentials", OutcomeNotSent},
		{fmt.Errorf("x: %w: %w", ErrRenewalBackoff, ErrInvalidCredentials), ctx, "renewal_backoff", OutcomeNotSent},
		{errors.New("something else"), ctx, "other", OutcomeNotSent},
	}
	for _, tt := range tests {
		if got := errorType(tt.err); got != tt.typ {
			t.Errorf("errorType(%v) = %q, want %q", tt.err, got, tt.typ)
		}
		if got := callOutcome(tt.ctx, tt.err); got != tt.outcome {
			t.Errorf("callOutcome(%v) = %q, want %q", tt.err, got, tt.outcome)
		}
	}
	for status, want := range map[int]string{0: RetryReasonNetwork, 429: RetryReasonRateLimited, 503: RetryReasonUnavailable, 500: RetryReasonServerError} {
		if got := retryReason(status); got != want {
			t.Errorf("retryReason(%d) = %q, want %q", status, got, want)
		}
	}
	for k := EventCallStart; k <= EventPoll; k++ {
		if s := k.String(); s == "" || s[0] == 'E' {
			t.Errorf("EventKind(%d).String() = %q", k, s)
		}
	}
}
