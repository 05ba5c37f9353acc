package mediaauth

import (
	"testing"
	"time"

	"golang.org/x/time/rate"
)

// White-box tests of options.go.

// TestDefaultRateLimits checks the arithmetic of the default limiters: at
// most burst + rate×window requests fit in any window.
func TestDefaultRateLimits(t *testing.T) {
	cfg := defaultConfig()
	within := func(api API, window time.Duration) float64 {
		l := cfg.api(api)
		return float64(l.burst) + float64(l.limit)*window.Seconds()
	}
	if n := within(APITVmaze, 10*time.Second); n > 20 {
		t.Errorf("TVmaze: %v requests fit in 10 s, TVmaze allows 20", n)
	}
	if n := within(APITMDb, time.Second); n >= 40 {
		t.Errorf("TMDb: %v requests fit in 1 s, want under 40", n)
	}
	if l := cfg.movies.limit; l != rate.Inf {
		t.Errorf("Movies API: default limit %v, want none", l)
	}
}
