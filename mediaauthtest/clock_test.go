package mediaauthtest_test

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mediaauth/mediaauth"
	"github.com/mediaauth/mediaauth/mediaauthtest"
)

func TestClock(t *testing.T) {
	start := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	clock := mediaauthtest.NewClock(start)
	assert.Equal(t, start, clock.Now())
	assert.Equal(t, start, clock.Now(), "it does not move by itself")

	assert.Equal(t, start.Add(time.Hour), clock.Advance(time.Hour))
	assert.Equal(t, start.Add(time.Hour), clock.Now())
	assert.Equal(t, start.Add(30*time.Minute), clock.Advance(-30*time.Minute))

	later := start.Add(48 * time.Hour)
	clock.Set(later)
	assert.Equal(t, later, clock.Now())
}

func TestClockConcurrent(t *testing.T) {
	start := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	clock := mediaauthtest.NewClock(start)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				clock.Advance(time.Second)
				_ = clock.Now()
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, start.Add(800*time.Second), clock.Now())
}

// TestClockDrivesTheFake moves the clock of the fake and of the SDK's
// expiry checks past a TMDb guest session's lifetime.
func TestClockDrivesTheFake(t *testing.T) {
	clock := mediaauthtest.NewClock(time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC))
	srv := mediaauthtest.NewServer(mediaauthtest.WithClock(clock.Now), mediaauthtest.WithTMDbGuestTTL(time.Hour))
	t.Cleanup(srv.Close)
	c, err := srv.Client()
	require.NoError(t, err)
	guest, err := c.TMDb.CreateGuestSession(t.Context())
	require.NoError(t, err)
	assert.Equal(t, clock.Now().Add(time.Hour), guest.ExpiresAt)
	assert.True(t, srv.TMDb.GuestSessionValid(guest.ID))
	assert.False(t, guest.Expired(clock.Now()))
	clock.Advance(time.Hour)
	assert.False(t, srv.TMDb.GuestSessionValid(guest.ID))
	assert.True(t, guest.Expired(clock.Now()), "the SDK's expiry checks read the same clock")
}

// TestServerClock moves the server's own clock, on top of the clock of
// WithClock, and takes the move back with Reset.
func TestServerClock(t *testing.T) {
	clock := mediaauthtest.NewClock(time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC))
	srv := mediaauthtest.NewServer(mediaauthtest.WithClock(clock.Now), mediaauthtest.WithMoviesTokenTTL(time.Hour))
	t.Cleanup(srv.Close)
	assert.Equal(t, clock.Now(), srv.Now())
	c, err := srv.Client()
	require.NoError(t, err)
	tok, err := c.Movies.Login(t.Context(), mediaauthtest.DemoMoviesUsername, mediaauthtest.DemoMoviesPassword)
	require.NoError(t, err)
	user := c.Movies.With(*tok)

	assert.Equal(t, clock.Now().Add(59*time.Minute), srv.AdvanceClock(59*time.Minute))
	_, err = user.Profile(t.Context())
	require.NoError(t, err)
	clock.Advance(time.Minute)
	assert.Equal(t, clock.Now().Add(59*time.Minute), srv.Now(), "the move is kept as the clock runs")
	_, err = user.Profile(t.Context())
	assert.ErrorIs(t, err, mediaauth.ErrTokenExpired)

	at := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	srv.SetClock(at)
	assert.Equal(t, at, srv.Now())
	clock.Advance(time.Second)
	assert.Equal(t, at.Add(time.Second), srv.Now())
	srv.Reset()
	assert.Equal(t, clock.Now(), srv.Now())
}
