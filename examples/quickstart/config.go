package main

import (
	"cmp"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/mediaauth/mediaauth"
)

// config is what the flags and environment say.
type config struct {
	// moviesBaseURL is a real Movies API; "" runs against the fake.
	moviesBaseURL string
	// fakeURL is a running "mediaauth fake"; "" starts one in-process.
	fakeURL string
	// tvmazeInterval, when above 0, replaces the TVmaze walk-through's
	// poll interval (500 ms in-process, 10 s against -fake-url).
	tvmazeInterval time.Duration

	// The Movies account; the fake makes one up when they are empty.
	username, email, password string
	// newPassword is set by the password-reset steps; against a real
	// server they run only when it is given.
	newPassword string
	// verifyToken and resetToken answer, against a real server, what the
	// fake reads from its outbox; when empty the quickstart asks on stdin.
	verifyToken, resetToken string

	// stdin answers those questions; nil means there is nobody to ask.
	stdin io.Reader
	// options are added to the client's options (tests add a logger).
	options []mediaauth.Option
	// recorder, when set, sees every value and secret the flows handle.
	recorder recorder
}

// String describes the configuration without its secrets.
func (c config) String() string {
	return fmt.Sprintf("config{moviesBaseURL:%q fakeURL:%q username:%q email:%q password:%s newPassword:%s verifyToken:%s resetToken:%s}",
		c.moviesBaseURL, c.fakeURL, c.username, c.email, hidden(c.password), hidden(c.newPassword), hidden(c.verifyToken), hidden(c.resetToken))
}

// Format prints the configuration like String for every verb.
func (c config) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, c.String()) }

// LogValue keeps the secrets out of slog output.
func (c config) LogValue() slog.Value { return slog.StringValue(c.String()) }

// hidden marks whether a secret is set, for printed configuration.
func hidden(s string) string {
	if s == "" {
		return `""`
	}
	return "[REDACTED]"
}

const usageHeader = `Usage: go run ./examples/quickstart [flags]

Walks through the mediaauth flows step by step and prints each one. With no
flags it runs against an in-process fake server (package mediaauthtest):
nothing to set up, no network.

To run every flow against a fake you started with "mediaauth fake" (so that
a program of yours can watch the same server), give -fake-url with its
address, and -tvmaze-interval with its --tvmaze-poll-interval.

To run the Movies API flow against a real server, give -base-url (or
MOVIES_BASE_URL) and the account's -username, -email and -password. The
quickstart registers the account (an existing one is fine), verifies the
email address with the token from -verify-token or, without it, the token
you paste when asked, logs in, updates the profile's name and bio,
generates an API key and then REPLACES it with a new one. With
-new-password it also resets the password (token from -reset-token or
asked for) and the account keeps the new password afterwards.

Flags (each also read from the environment variable named in brackets):
`

// parseConfig reads flags, with environment variables as defaults.
func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	var cfg config
	fs := flag.NewFlagSet("quickstart", flag.ContinueOnError)
	fs.SetOutput(stderr)
	str := func(p *string, name, envVar, usage string) {
		fs.StringVar(p, name, getenv(envVar), usage+" ["+envVar+"]")
	}
	str(&cfg.moviesBaseURL, "base-url", "MOVIES_BASE_URL", "Movies API base URL, e.g. https://api.example.com; empty runs against the in-process fake")
	str(&cfg.fakeURL, "fake-url", "MEDIAAUTH_FAKE_URL", `a running "mediaauth fake", e.g. http://127.0.0.1:8787, instead of the in-process fake`)
	fs.DurationVar(&cfg.tvmazeInterval, "tvmaze-interval", 0, "with -fake-url: the TVmaze poll interval, the fake's --tvmaze-poll-interval (default 10s)")
	str(&cfg.username, "username", "MOVIES_USERNAME", "account username")
	str(&cfg.email, "email", "MOVIES_EMAIL", "account email address")
	str(&cfg.password, "password", "MOVIES_PASSWORD", "account password")
	str(&cfg.newPassword, "new-password", "MOVIES_NEW_PASSWORD", "password to set with the password-reset steps; without it they are skipped against a real server")
	str(&cfg.verifyToken, "verify-token", "MOVIES_VERIFY_TOKEN", "token from the verification email; asked for on stdin when empty (empty answer: skip)")
	str(&cfg.resetToken, "reset-token", "MOVIES_RESET_TOKEN", "token from the password-reset email; asked for on stdin when empty")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usageHeader)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	switch {
	case fs.NArg() > 0:
		return config{}, fmt.Errorf("unexpected arguments %q (see -h)", fs.Args())
	case cfg.fakeURL != "" && cfg.moviesBaseURL != "":
		return config{}, errors.New("-fake-url and -base-url do not go together")
	case cfg.tvmazeInterval < 0:
		return config{}, errors.New("negative -tvmaze-interval")
	case cfg.moviesBaseURL != "" && (cfg.username == "" || cfg.email == "" || cfg.password == ""):
		return config{}, errors.New("-base-url needs -username, -email and -password (or MOVIES_USERNAME, MOVIES_EMAIL, MOVIES_PASSWORD)")
	}
	return cfg, nil
}

// moviesAccount is who the Movies API flow runs as.
type moviesAccount struct {
	username, email, password, newPassword string
}

// moviesAccount returns the configured account, or a fresh one for the
// fake (a running fake may have met the quickstart before).
func (e *env) moviesAccount() moviesAccount {
	a := moviesAccount{username: e.cfg.username, email: e.cfg.email, password: e.cfg.password, newPassword: e.cfg.newPassword}
	if _, remote := e.fake.(*remoteFake); remote && a.username == "" {
		a.username = "moviefan-" + randomHex(4)
	}
	if e.fake != nil {
		a.username = cmp.Or(a.username, "moviefan")
		a.email = cmp.Or(a.email, a.username+"@example.com")
		a.password = cmp.Or(a.password, "pw-"+randomHex(12))
		a.newPassword = cmp.Or(a.newPassword, "new-pw-"+randomHex(12))
	}
	e.secret(a.password)
	e.secret(a.newPassword)
	return a
}

// randomHex makes n random bytes into hex, for throwaway names and
// passwords.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
