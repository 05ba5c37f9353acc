//go:build unix

package mediaauth_test

import (
	"context"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mediaauth/mediaauth"
)

// TestFileStoreRenewalFailureRecordNotAFile: a FIFO where the failure
// record belongs is refused at once with an error that names it; opening
// it would block every renewal of the host.
func TestFileStoreRenewalFailureRecordNotAFile(t *testing.T) {
	t.Parallel()
	store := newTestStore(t)
	storedToken(t, store, "old-token-inside-the-margin", 5*time.Second)
	record := filepath.Join(filepath.Dir(store.Path()), ".credentials.json.renew-movies-default.failed")
	require.NoError(t, syscall.Mkfifo(record, 0o600))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	_, err := mediaauth.StoredMoviesTokenSource(store, mediaauth.DefaultProfile, &countingSource{}).Token(ctx)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "is not a regular file")
	assert.Less(t, time.Since(start), 4*time.Second, "no wait on the FIFO")
}
