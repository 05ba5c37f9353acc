package mediaauth_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mediaauth/mediaauth"
)

// Tests of the lock that orders the writers of a FileStore's file: across
// processes, across goroutines and FileStores of one process, and while
// the context ends.

// Environment of TestFileStoreHelperProcess.
const (
	helperEnv       = "MEDIAAUTH_FILESTORE_HELPER"
	helperPathEnv   = "MEDIAAUTH_FILESTORE_HELPER_PATH"
	helperPrefixEnv = "MEDIAAUTH_FILESTORE_HELPER_PREFIX"
	helperCountEnv  = "MEDIAAUTH_FILESTORE_HELPER_COUNT"
	helperStartEnv  = "MEDIAAUTH_FILESTORE_HELPER_START"
)

// TestFileStoreHelperProcess is not a test of its own: it is the child
// process TestFileStoreTwoProcesses starts. It waits for the start file to
// exist, then saves COUNT entries with profiles PREFIX-00, PREFIX-01, ...
func TestFileStoreHelperProcess(t *testing.T) {
	if os.Getenv(helperEnv) != "1" {
		t.Skip("the child process of TestFileStoreTwoProcesses")
	}
	n, err := strconv.Atoi(os.Getenv(helperCountEnv))
	require.NoError(t, err)
	s, err := mediaauth.NewFileStore(os.Getenv(helperPathEnv))
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for {
		if _, err := os.Stat(os.Getenv(helperStartEnv)); err == nil {
			break
		}
		require.NoError(t, ctx.Err(), "no start file")
		time.Sleep(time.Millisecond)
	}
	for i := range n {
		profile := fmt.Sprintf("%s-%02d", os.Getenv(helperPrefixEnv), i)
		require.NoError(t, s.Save(ctx, apiKeyEntry(profile, "key-of-"+profile)))
	}
}

func TestFileStoreTwoProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	const perProcess = 20
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s := newTestStore(t)
	start := filepath.Join(t.TempDir(), "start")

	prefixes := []string{"proc-a", "proc-b"}
	cmds := make([]*exec.Cmd, len(prefixes))
	outs := make([]strings.Builder, len(prefixes))
	for i, prefix := range prefixes {
		cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestFileStoreHelperProcess$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(),
			helperEnv+"=1",
			helperPathEnv+"="+s.Path(),
			helperPrefixEnv+"="+prefix,
			helperCountEnv+"="+strconv.Itoa(perProcess),
			helperStartEnv+"="+start,
		)
		cmd.Stdout, cmd.Stderr = &outs[i], &outs[i]
		require.NoError(t, cmd.Start())
		cmds[i] = cmd
	}
	// Both processes are up and polling: let them save at once.
	require.NoError(t, os.WriteFile(start, nil, 0o600))
	for i, cmd := range cmds {
		require.NoError(t, cmd.Wait(), "process %s:\n%s", prefixes[i], outs[i].String())
		require.Contains(t, outs[i].String(), "--- PASS: TestFileStoreHelperProcess", "the child did not run the helper")
	}

	list, err := s.List(ctx)
	require.NoError(t, err)
	var profiles []string
	for _, e := range list {
		profiles = append(profiles, e.Profile)
		assert.Equal(t, "key-of-"+e.Profile, e.MoviesAPIKey.Key)
	}
	var want []string
	for _, prefix := range prefixes {
		for i := range perProcess {
			want = append(want, fmt.Sprintf("%s-%02d", prefix, i))
		}
	}
	assert.Equal(t, want, profiles, "every save of both processes is kept")
}

func TestFileStoreConcurrentGoroutines(t *testing.T) {
	const goroutines, perGoroutine = 8, 10
	ctx := context.Background()
	s := newTestStore(t)
	// A second FileStore on the same file: its writers are ordered with
	// those of s by the lock file alone.
	s2, err := mediaauth.NewFileStore(s.Path())
	require.NoError(t, err)

	var wg sync.WaitGroup
	errs := make(chan error, goroutines*perGoroutine*3)
	for g := range goroutines {
		store := []*mediaauth.FileStore{s, s2}[g%2]
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perGoroutine {
				profile := fmt.Sprintf("g%d-%02d", g, i)
				errs <- store.Save(ctx, apiKeyEntry(profile, "k"))
				if _, err := store.Load(ctx, mediaauth.APIMovies, profile); err != nil {
					errs <- fmt.Errorf("load of a saved entry: %w", err)
				}
				if _, err := store.List(ctx); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	list, err := s.List(ctx)
	require.NoError(t, err)
	assert.Len(t, list, goroutines*perGoroutine)
}

// TestFileStoreLockHonoursContext: a writer waiting for the lock another
// writer holds gives up when its context ends, and goes through once the
// lock is free.
func TestFileStoreLockHonoursContext(t *testing.T) {
	ctx := context.Background()
	holder := newTestStore(t)
	waiter, err := mediaauth.NewFileStore(holder.Path())
	require.NoError(t, err)

	holding, release := make(chan struct{}), make(chan struct{})
	mediaauth.SetBeforeRename(holder, func() error {
		close(holding)
		<-release
		return nil
	})
	done := make(chan error, 1)
	go func() { done <- holder.Save(ctx, apiKeyEntry("holder", "k")) }()
	<-holding

	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	begin := time.Now()
	err = waiter.Save(short, apiKeyEntry("waiter", "k"))
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(begin), 5*time.Second)
	short, cancel = context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, waiter.CheckSave(short, mediaauth.APIMovies, "waiter"), context.DeadlineExceeded, "CheckSave takes the lock too")

	close(release)
	require.NoError(t, <-done)
	require.NoError(t, waiter.Save(ctx, apiKeyEntry("waiter", "k")))
	list, err := waiter.List(ctx)
	require.NoError(t, err)
	assert.Len(t, list, 2)
}
