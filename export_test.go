package mediaauth

import (
	"net"
	"testing"

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
