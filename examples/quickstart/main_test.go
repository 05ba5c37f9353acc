package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mediaauth/mediaauth"
	"github.com/mediaauth/mediaauth/mediaauthtest"
)

// TestMain lets the tests run main() in a child process to check its exit
// status and output.
func TestMain(m *testing.M) {
	if os.Getenv("QUICKSTART_TEST_MAIN") == "1" {
		os.Args = append([]string{"quickstart"}, strings.Fields(os.Getenv("QUICKSTART_TEST_ARGS"))...)
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// fastTVmaze is the TVmaze walk-through's poll interval in the tests that
// run it in-process: 50 ms instead of its demo pace of 500 ms.
const fastTVmaze = 50 * time.Millisecond

// moviesSteps are the step titles the Movies flow prints, in order.
var moviesSteps = []string{
	"register", "verify email", "JSON login (POST /login)", "form login (/auth/login)",
	"read profile", "profile through Do", "update profile", "generate API key", "call with the API key",
	"rotate API key", "old API key rejected", "call with the new API key",
	"request password reset", "confirm password reset", "old password refused",
	"old access token revoked", "login with new password",
}

// requireSteps checks that out shows every step, numbered, in order.
func requireSteps(t *testing.T, out string, steps []string) {
	t.Helper()
	rest := out
	for i, step := range steps {
		want := fmt.Sprintf("%2d. %s ", i+1, step)
		idx := strings.Index(rest, want)
		require.GreaterOrEqual(t, idx, 0, "step %q missing or out of order in:\n%s", want, out)
		rest = rest[idx+len(want):]
	}
}

func TestRunAgainstFake(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	require.NoError(t, run(t.Context(), &out, config{tvmazeInterval: fastTVmaze}))
	s := out.String()
	assert.Contains(t, s, "Running against the in-process fake server at http://127.0.0.1:")
	assert.Contains(t, s, "== Movies API")
	requireSteps(t, s, moviesSteps)
	assert.Contains(t, s, "every 50ms (the fake confirms after 75ms)")
	assert.Contains(t, s, "HTTP 200, confirmed")
	assert.Contains(t, s, `created user "moviefan"`)
	assert.Contains(t, s, "from the fake's outbox")
	assert.Contains(t, s, `name "Movie Fan"`)
	assert.Contains(t, s, "errors.Is(err, mediaauth.ErrUnauthorized) = true")
	assert.Contains(t, s, `Code: "invalid_token"`)
	assert.Contains(t, s, "errors.Is(err, mediaauth.ErrInvalidCredentials) = true")
	for _, f := range flows {
		assert.Contains(t, s, f.name+": all steps passed")
	}
	assert.True(t, strings.HasSuffix(s, "Done.\n"))
}

// collector is a recorder that keeps everything.
type collector struct {
	mu      sync.Mutex
	values  []any
	secrets map[string]bool
}

func (c *collector) value(v any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.values = append(c.values, v)
}

func (c *collector) secret(s string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.secrets == nil {
		c.secrets = map[string]bool{}
	}
	c.secrets[s] = true
}

// allSecrets returns the secrets the flows reported, the fake's demo
// credentials, and the secrets of the typed values the flows got back.
func (c *collector) allSecrets() map[string]bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	all := map[string]bool{}
	add := func(ss ...string) {
		for _, s := range ss {
			if s != "" {
				all[s] = true
			}
		}
	}
	for s := range c.secrets {
		add(s)
	}
	add(mediaauthtest.DemoTMDbAPIKey, mediaauthtest.DemoTMDbReadAccessToken, mediaauthtest.DemoTMDbPassword, mediaauthtest.DemoTVmazeAPIKey)
	for _, v := range c.values {
		switch v := v.(type) {
		case *mediaauth.Token:
			add(v.AccessToken)
		case *mediaauth.APIKey:
			add(v.Key)
		case mediaauth.RegisterRequest:
			add(v.Password)
		case mediaauthtest.Email:
			add(v.Token)
		case *mediaauth.AuthRequest:
			add(v.Token)
		case *mediaauth.TVmazeCredentials:
			add(v.APIKey)
		case *mediaauth.RequestToken:
			add(v.Token)
		case *mediaauth.Session:
			add(v.ID)
		case *mediaauth.GuestSession:
			add(v.ID)
		case *mediaauth.TMDbV4RequestToken:
			add(v.Token)
		case *mediaauth.TMDbAccessToken:
			add(v.AccessToken)
		}
	}
	return all
}

// TestSecretsNeverLeak runs the whole quickstart with debug logging and
// checks that no password, access token, API key, verification or reset
// token, poll token, request token or session id appears in the output,
// the logs, any error, or the printed form (%v, %+v, %#v, slog) of any
// value the flows got back.
func TestSecretsNeverLeak(t *testing.T) {
	t.Parallel()
	handlers := map[string]func(io.Writer) slog.Handler{
		"text": func(w io.Writer) slog.Handler {
			return slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug})
		},
		"json": func(w io.Writer) slog.Handler {
			return slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug})
		},
	}
	for name, handler := range handlers {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var out, logs bytes.Buffer
			logger := slog.New(handler(&logs))
			rec := &collector{}
			cfg := config{
				username:    "leaktest",
				email:       "leaktest@example.com",
				password:    "first-Passw0rd-" + name,
				newPassword: "second-Passw0rd-" + name,
				options:     []mediaauth.Option{mediaauth.WithLogger(logger)},
				recorder:    rec,
				// The TVmaze key and poll token are among the secrets.
				tvmazeInterval: fastTVmaze,
			}
			require.NoError(t, run(t.Context(), &out, cfg))
			requireSteps(t, out.String(), moviesSteps)

			var printed strings.Builder
			printed.WriteString(out.String())
			printed.WriteString(fmt.Sprintf("%v %+v %#v %s", cfg, cfg, cfg, cfg))
			errCount := 0
			for _, v := range rec.values {
				fmt.Fprintf(&printed, "%v %+v %#v\n", v, v, v)
				if err, ok := v.(error); ok && err != nil {
					errCount++
					printed.WriteString(err.Error())
				}
				logger.Debug("value", "v", v, slog.Any("any", v))
			}
			logger.Debug("config", "cfg", cfg)
			printed.WriteString(logs.String())
			haystack := printed.String()

			secrets := rec.allSecrets()
			for _, s := range []string{cfg.password, cfg.newPassword} {
				require.True(t, secrets[s], "the flow reported the password")
			}
			// Movies: 2 passwords, 3 access tokens, 2 API keys, a verification
			// and a reset token; TVmaze: a poll token and the API key; TMDb: the
			// application's 2 credentials and the demo password, a request
			// token, 4 sessions, a guest session, 2 v4 request tokens and 2
			// access tokens.
			require.GreaterOrEqual(t, len(secrets), 24, "secrets seen")
			// Movies 3, TVmaze 1, TMDb v3 5, TMDb v4 3.
			assert.GreaterOrEqual(t, errCount, 12, "the refusals shown are among the values")
			assert.Contains(t, haystack, "[REDACTED]")
			assert.Contains(t, haystack, "/user/profile", "requests were logged")
			assert.Contains(t, haystack, "leaktest@example.com")
			for s := range secrets {
				require.Greater(t, len(s), 8)
				assert.NotContains(t, haystack, s, "a secret leaked")
			}
		})
	}
}

// lines answers prompts one line at a time, each computed when asked for.
type lines []func() string

func (l *lines) Read(p []byte) (int, error) {
	if len(*l) == 0 {
		return 0, io.EOF
	}
	line := (*l)[0]() + "\n"
	*l = (*l)[1:]
	return copy(p, line), nil
}

// realServer is a fake that the quickstart treats as a real server.
func realServer(t *testing.T) *mediaauthtest.Server {
	t.Helper()
	srv := mediaauthtest.NewServer()
	t.Cleanup(srv.Close)
	return srv
}

func TestRunAgainstServerWithPrompts(t *testing.T) {
	t.Parallel()
	srv := realServer(t)
	const email = "remote@example.com"
	stdin := &lines{
		func() string { tok, _ := srv.Movies.VerificationToken(email); return tok },
		func() string { tok, _ := srv.Movies.ResetToken(email); return tok },
	}
	var out bytes.Buffer
	err := run(t.Context(), &out, config{
		moviesBaseURL: srv.Movies.URL(), username: "remote", email: email,
		password: "remote-Passw0rd", newPassword: "remote-Passw0rd-2", stdin: stdin,
	})
	require.NoError(t, err, out.String())
	s := out.String()
	assert.Contains(t, s, "Running against the Movies API at "+srv.Movies.URL())
	requireSteps(t, s, moviesSteps)
	assert.Contains(t, s, "Paste the token from the verification email")
	assert.Contains(t, s, "Paste the token from the password-reset email")
	assert.Contains(t, s, "as pasted")
	assert.Empty(t, *stdin, "both questions asked")

	// The account keeps the new password.
	c, err := srv.Client()
	require.NoError(t, err)
	_, err = c.Movies.Login(t.Context(), "remote", "remote-Passw0rd-2")
	require.NoError(t, err)
}

func TestRunAgainstServerExistingAccount(t *testing.T) {
	t.Parallel()
	srv := realServer(t)
	_, err := srv.Movies.AddUser(mediaauthtest.MoviesUser{Username: "old", Email: "old@example.com", Password: "old-Passw0rd", Unverified: true})
	require.NoError(t, err)
	vt, ok := srv.Movies.VerificationToken("old@example.com")
	require.True(t, ok)

	var out bytes.Buffer
	err = run(t.Context(), &out, config{
		moviesBaseURL: srv.Movies.URL(), username: "old", email: "old@example.com",
		password: "old-Passw0rd", verifyToken: vt,
	})
	require.NoError(t, err, out.String())
	s := out.String()
	assert.Contains(t, s, `"old" is already registered: going on with it`)
	assert.Contains(t, s, "from -verify-token: address verified")
	assert.Contains(t, s, "password reset             skipped: give -new-password")
	requireSteps(t, s, moviesSteps[:11])
	assert.Equal(t, 0, srv.RequestCount(http.MethodPost, "/password/reset"))
}

func TestRunAgainstServerWithoutVerification(t *testing.T) {
	t.Parallel()
	srv := realServer(t)
	var out bytes.Buffer
	err := run(t.Context(), &out, config{
		moviesBaseURL: srv.Movies.URL(), username: "lazy", email: "lazy@example.com",
		password: "lazy-Passw0rd", stdin: strings.NewReader("\n"),
	})
	require.Error(t, err)
	assert.Contains(t, out.String(), "verify email               skipped: no token given")
	assert.ErrorIs(t, err, mediaauth.ErrEmailNotVerified)
	assert.Contains(t, err.Error(), "Movies API: JSON login (POST /login):")
}

func TestRunFailureNamesTheStep(t *testing.T) {
	t.Parallel()
	srv := realServer(t)
	srv.InjectFault("/register", mediaauthtest.Fault{Status: http.StatusInternalServerError})
	var out bytes.Buffer
	err := run(t.Context(), &out, config{
		moviesBaseURL: srv.Movies.URL(), username: "x", email: "x@example.com", password: "x-Passw0rd",
	})
	require.Error(t, err)
	assert.ErrorIs(t, err, mediaauth.ErrServer)
	assert.Contains(t, err.Error(), "Movies API: register:")
	assert.Equal(t, 1, srv.RequestCount(http.MethodPost, "/register"), "register is not retried after a 500")
}

func TestParseConfig(t *testing.T) {
	t.Parallel()
	env := map[string]string{
		"MOVIES_BASE_URL": "https://movies.example.com", "MOVIES_USERNAME": "envuser",
		"MOVIES_EMAIL": "env@example.com", "MOVIES_PASSWORD": "env-pw", "MOVIES_VERIFY_TOKEN": "vt",
	}
	getenv := func(k string) string { return env[k] }
	none := func(string) string { return "" }

	cfg, err := parseConfig(nil, none, io.Discard)
	require.NoError(t, err)
	assert.Empty(t, cfg.moviesBaseURL, "no flags: the fake")

	cfg, err = parseConfig(nil, getenv, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, "https://movies.example.com", cfg.moviesBaseURL)
	assert.Equal(t, "envuser", cfg.username)
	assert.Equal(t, "env-pw", cfg.password)
	assert.Equal(t, "vt", cfg.verifyToken)

	cfg, err = parseConfig([]string{"-username", "flaguser", "-new-password", "np", "-reset-token", "rt"}, getenv, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, "flaguser", cfg.username, "a flag beats the environment")
	assert.Equal(t, "env@example.com", cfg.email)
	assert.Equal(t, "np", cfg.newPassword)
	assert.Equal(t, "rt", cfg.resetToken)
	assert.NotContains(t, fmt.Sprintf("%v %+v %#v", cfg, cfg, cfg), "env-pw")

	_, err = parseConfig([]string{"-base-url", "https://movies.example.com", "-username", "u"}, none, io.Discard)
	require.ErrorContains(t, err, "-base-url needs -username, -email and -password")
	_, err = parseConfig([]string{"extra"}, none, io.Discard)
	require.ErrorContains(t, err, "unexpected arguments")
	_, err = parseConfig([]string{"-nope"}, none, io.Discard)
	require.Error(t, err)

	var usage bytes.Buffer
	_, err = parseConfig([]string{"-h"}, none, &usage)
	require.True(t, errors.Is(err, flag.ErrHelp))
	for _, want := range []string{"-base-url", "MOVIES_BASE_URL", "MOVIES_USERNAME", "MOVIES_EMAIL", "MOVIES_PASSWORD",
		"MOVIES_NEW_PASSWORD", "MOVIES_VERIFY_TOKEN", "MOVIES_RESET_TOKEN", "in-process fake"} {
		assert.Contains(t, usage.String(), want)
	}
}

// runMain runs main() in a child process.
func runMain(t *testing.T, args string, extraEnv ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "QUICKSTART_TEST_MAIN=1", "QUICKSTART_TEST_ARGS="+args,
		"MOVIES_BASE_URL=", "MOVIES_USERNAME=", "MOVIES_EMAIL=", "MOVIES_PASSWORD=")
	cmd.Env = append(cmd.Env, extraEnv...)
	cmd.Stdin = strings.NewReader("")
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		return o.String(), e.String(), exitErr.ExitCode()
	}
	require.NoError(t, err)
	return o.String(), e.String(), 0
}

func TestMainExitStatus(t *testing.T) {
	t.Parallel()
	t.Run("success", func(t *testing.T) {
		t.Parallel()
		out, _, code := runMain(t, "")
		assert.Equal(t, 0, code)
		requireSteps(t, out, moviesSteps)
	})
	t.Run("help", func(t *testing.T) {
		t.Parallel()
		_, errOut, code := runMain(t, "-h")
		assert.Equal(t, 0, code)
		assert.Contains(t, errOut, "MOVIES_BASE_URL")
	})
	t.Run("bad flags", func(t *testing.T) {
		t.Parallel()
		_, errOut, code := runMain(t, "-base-url https://movies.example.com")
		assert.Equal(t, 2, code)
		assert.Contains(t, errOut, "quickstart: -base-url needs")
	})
	t.Run("failure", func(t *testing.T) {
		t.Parallel()
		srv := realServer(t)
		srv.InjectFault("/register", mediaauthtest.Fault{Status: http.StatusInternalServerError, Times: -1})
		_, errOut, code := runMain(t, "-base-url "+srv.Movies.URL()+" -username u -email u@example.com", "MOVIES_PASSWORD=u-Passw0rd")
		assert.Equal(t, 1, code)
		assert.Contains(t, errOut, "quickstart: FAILED: Movies API: register:")
		assert.Contains(t, errOut, "500 Internal Server Error")
		assert.NotContains(t, errOut, "u-Passw0rd")
	})
}
