package mediaauth

import (
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Helpers of this package's own tests that the tests of package
// mediaauth_test use too: a _test.go file of package mediaauth is part of
// the package only when it is tested, so these are not part of its API.

// ClosedAddr returns a loopback address where nothing listens.
func ClosedAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return addr
}

// WithPollMaxWait replaces the 5-minute cap on a wait's back-off after a
// 429, so that a test of a server asking for Retry-After: 10 need not wait
// ten seconds to see the client slow down.
func WithPollMaxWait(d time.Duration) WaitOption {
	return func(c *waitConfig) error {
		c.maxWait = d
		return nil
	}
}

// SetClock makes c, and the clients derived from it, read the time from
// now: a Retry-After date then asks for a wait of a length the test picks
// to the millisecond, where the real clock would round it to seconds.
func SetClock(c *Client, now func() time.Time) { c.Movies.h.e.s.now = now }
