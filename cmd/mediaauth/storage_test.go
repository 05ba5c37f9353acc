package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zalando/go-keyring"

	"github.com/mediaauth/mediaauth"
	"github.com/mediaauth/mediaauth/mediaauthtest"
)

// TestLoginKeepsSecretsInTheKeychain: with a keychain, a login keeps its
// credentials there (not in the file), status says so, token reads them
// and logout removes them.
func TestLoginKeepsSecretsInTheKeychain(t *testing.T) {
	t.Parallel()
	srv := tvmazeFake(t, mediaauthtest.WithTVmazeAutoConfirm(30*time.Millisecond))
	env := fakeEnv(t, srv)
	delete(env, envInsecureStorage)
	kc := &memoryKeychain{}
	useKeychain(t, env, kc)
}

// useKeychain logs in to TVmaze with env and the keychain kc and checks
// where the credentials went.
func useKeychain(t *testing.T, env map[string]string, kc keychainStore) {
	t.Helper()
	ctx := t.Context()
	run := func(args ...string) *testSys {
		ts := newSys(t, env)
		ts.keychain = kc
		ts.run(ctx, args...)
		return ts
	}
	ts := run("login", "tvmaze", "--email", mediaauthtest.DemoTVmazeEmail, "--poll-interval", "20ms")
	assert.Regexp(t, `Saved in the OS keychain \(profile default\)\.\n$`, ts.stdout.String())
	assert.NotContains(t, ts.stderr.String(), "not in an OS keychain")
	saved, err := kc.Load(ctx, mediaauth.APITVmaze, mediaauth.DefaultProfile)
	require.NoError(t, err)
	assert.Equal(t, mediaauthtest.DemoTVmazeAPIKey, saved.TVmaze.APIKey)
	_, err = storeOf(t, env).Load(ctx, mediaauth.APITVmaze, mediaauth.DefaultProfile)
	assert.ErrorIs(t, err, mediaauth.ErrCredentialNotFound, "not in the file")

	ts = run("status")
	assert.Contains(t, ts.stdout.String(), "tvmaze (profile default): valid\n  API key: valid, account demo, premium Bronze\n  saved ")
	assert.Contains(t, ts.stdout.String(), ", in the OS keychain\n")
	ts = run("token", "tvmaze")
	assert.Equal(t, mediaauthtest.DemoTVmazeAPIKey+"\n", ts.stdout.String())
	ts = run("logout", "tvmaze")
	assert.Contains(t, ts.stdout.String(), "Logged out of TVmaze")
	_, err = kc.Load(ctx, mediaauth.APITVmaze, mediaauth.DefaultProfile)
	assert.ErrorIs(t, err, mediaauth.ErrCredentialNotFound)
}

// TestLoginWithoutAKeychain: without a keychain the file keeps the
// credentials and the login says so, once; --insecure-storage keeps them
// there without a word, even when a keychain answers.
func TestLoginWithoutAKeychain(t *testing.T) {
	t.Parallel()
	srv := tvmazeFake(t, mediaauthtest.WithTVmazeAutoConfirm(30*time.Millisecond), mediaauthtest.WithTVmazeStartInterval(time.Millisecond))
	env := fakeEnv(t, srv)
	delete(env, envInsecureStorage)
	ts := newSys(t, env)
	require.Equal(t, exitOK, ts.run(t.Context(), "login", "tvmaze", "--email", mediaauthtest.DemoTVmazeEmail, "--poll-interval", "20ms"), ts.stderr.String())
	note := "The credentials are kept in " + filepath.Join(env[envConfigDir], credentialsFile) +
		" (mode 0600), not in an OS keychain (no OS keychain on this system). --insecure-storage keeps them there without this note.\n"
	assert.Equal(t, 1, strings.Count(ts.stderr.String(), note), ts.stderr.String())
	assert.Regexp(t, `Saved to .*credentials\.json \(profile default\)\.\n$`, ts.stdout.String())

	kc := &memoryKeychain{}
	ts = newSys(t, env)
	ts.keychain = kc
	require.Equal(t, exitOK, ts.run(t.Context(), "--insecure-storage", "login", "tvmaze", "--email", mediaauthtest.DemoTVmazeEmail, "--poll-interval", "20ms"))
	assert.NotContains(t, ts.stderr.String(), "keychain")
	list, err := kc.List(t.Context())
	require.NoError(t, err)
	assert.Empty(t, list)
}

// TestKeychainOS runs a login, status, token and logout against the OS
// keychain: a Secret Service in CI (see .ci/run).
func TestKeychainOS(t *testing.T) {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	service := "mediaauth-cmd-test-" + hex.EncodeToString(b)
	kc, err := mediaauth.NewKeychainStore(service)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := kc.Available(ctx); err != nil {
		if os.Getenv("MEDIAAUTH_TEST_KEYCHAIN") == "1" {
			t.Fatalf("MEDIAAUTH_TEST_KEYCHAIN=1 but the OS keychain does not answer: %v", err)
		}
		t.Skipf("no OS keychain answers (%v): run under a Secret Service with MEDIAAUTH_TEST_KEYCHAIN=1, as .ci/run does", err)
	}
	t.Cleanup(func() { _ = keyring.DeleteAll(service) })
	srv := tvmazeFake(t, mediaauthtest.WithTVmazeAutoConfirm(30*time.Millisecond))
	env := fakeEnv(t, srv)
	delete(env, envInsecureStorage)
	useKeychain(t, env, kc)
}

// TestKeychainUnreachable runs the built command where no D-Bus session
// answers: the keychain is not reachable, the credentials file keeps the
// credentials, and the login says so.
func TestKeychainUnreachable(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the Secret Service is reached over D-Bus on Linux only")
	}
	t.Parallel()
	srv := tvmazeFake(t, mediaauthtest.WithTVmazeAutoConfirm(30*time.Millisecond))
	env := fakeEnv(t, srv)
	delete(env, envInsecureStorage)
	env["DBUS_SESSION_BUS_ADDRESS"] = "unix:path=" + filepath.Join(t.TempDir(), "no-bus")
	cmd := exec.CommandContext(t.Context(), builtCommand(t), "login", "tvmaze", "--email", mediaauthtest.DemoTVmazeEmail, "--poll-interval", "20ms")
	cmd.Env = childEnv(env)
	var stdout, stderr syncBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	require.NoError(t, cmd.Run(), stderr.String())
	assert.Less(t, time.Since(start), 5*time.Second)
	assert.Contains(t, stderr.String(), "(mode 0600), not in an OS keychain (no OS keychain answers: ")
	assert.Regexp(t, `Saved to .*credentials\.json \(profile default\)\.\n$`, stdout.String())
	saved, err := storeOf(t, env).Load(t.Context(), mediaauth.APITVmaze, mediaauth.DefaultProfile)
	require.NoError(t, err)
	assert.Equal(t, mediaauthtest.DemoTVmazeAPIKey, saved.TVmaze.APIKey)
}

// childEnv is this process's environment without the command's variables,
// then env: what a process of the built command runs with.
func childEnv(env map[string]string) []string {
	var out []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "MEDIAAUTH_") || strings.HasPrefix(k, "TMDB_") || k == envBrowser || env[k] != "" {
			continue
		}
		out = append(out, kv)
	}
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	return out
}
