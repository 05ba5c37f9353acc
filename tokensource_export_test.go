package mediaauth

import (
	"context"
	"time"
)

// Hooks into the token sources for the tests of package mediaauth_test;
// like export_test.go, this file is part of the package only when it is
// tested.

// ReuseMoviesTokenSourceAt is ReuseMoviesTokenSource reading the time from
// now, so that a test moves the clock past a token's expiry instead of
// waiting for it.
func ReuseMoviesTokenSourceAt(tok *Token, src MoviesTokenSource, now func() time.Time, opts ...TokenSourceOption) MoviesTokenSource {
	return newReuseMoviesTokenSource(tok, src, now, opts...)
}

// WithObserverContext returns ctx carrying o, as the credential stage
// gives it to a token source, so that a test of a source alone sees the
// renewals it reports.
func WithObserverContext(ctx context.Context, o Observer) context.Context {
	return withObserver(ctx, o)
}
