package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/mediaauth/mediaauth"
	"github.com/mediaauth/mediaauth/mediaauthtest"
)

// env is what a flow runs with, and the helpers that print its steps.
type env struct {
	out io.Writer
	cfg config
	// client talks to the fake, or to the real Movies API.
	client *mediaauth.Client
	// fake plays the services' users; nil against a real server.
	fake fake
	// tvmazeInterval is the TVmaze walk-through's poll interval.
	tvmazeInterval time.Duration

	in    *bufio.Reader // nil when there is no stdin
	rec   recorder      // nil when nothing records
	steps int           // the current flow's steps so far
	title string        // the step check ended, for report
}

// recorder sees, for tests, every value and error the flows get back and
// every secret they handle. The quickstart itself records nothing.
type recorder interface {
	value(v any)
	secret(s string)
}

// newEnv builds the env of cfg: the in-process fake, a running one
// (-fake-url), or a real Movies API (-base-url). closeFake stops the
// in-process fake.
func newEnv(out io.Writer, cfg config) (e *env, closeFake func(), err error) {
	e = &env{out: out, cfg: cfg, rec: cfg.recorder, tvmazeInterval: cfg.tvmazeInterval}
	if cfg.stdin != nil {
		e.in = bufio.NewReader(cfg.stdin)
	}
	closeFake = func() {}
	switch {
	case cfg.fakeURL != "":
		if e.tvmazeInterval == 0 {
			e.tvmazeInterval = mediaauth.DefaultPollInterval // the fake's own rule
		}
		remote := newRemoteFake(cfg.fakeURL)
		e.fake = remote
		fmt.Fprintf(out, "Running against the fake server at %s (mediaauth fake)\n", remote.url)
	case cfg.moviesBaseURL == "":
		if e.tvmazeInterval == 0 {
			e.tvmazeInterval = 500 * time.Millisecond
		}
		local := newLocalFake(e.tvmazeInterval)
		e.fake, closeFake = local, local.srv.Close
		fmt.Fprintf(out, "Running against the in-process fake server at %s\n", local.srv.URL)
	default:
		e.client, err = mediaauth.New(append([]mediaauth.Option{mediaauth.WithMoviesBaseURL(cfg.moviesBaseURL)}, cfg.options...)...)
		fmt.Fprintf(out, "Running against the Movies API at %s\n", cfg.moviesBaseURL)
	}
	if e.fake != nil {
		e.client, err = e.fake.client(cfg.options...)
	}
	if err != nil {
		closeFake()
		return nil, nil, err
	}
	e.keep(e.client)
	return e, closeFake, nil
}

// check ends the call of a step: it hands what the call got back to the
// recorder, and returns err, if any, wrapped with the step's title.
func (e *env) check(title string, err error, got ...any) error {
	e.keep(append(got, err)...)
	e.title = title
	if err != nil {
		return fmt.Errorf("%s: %w", title, err)
	}
	return nil
}

// report prints the line of the step check ended.
func (e *env) report(format string, args ...any) {
	e.steps++
	fmt.Fprintf(e.out, "  %2d. %-26s %s\n", e.steps, e.title, fmt.Sprintf(format, args...))
}

// stepf prints a step that made no call.
func (e *env) stepf(title, format string, args ...any) {
	e.title = title
	e.report(format, args...)
}

// refused ends a step that shows a refusal: err must match want.
func (e *env) refused(title string, err, want error) error {
	e.keep(err)
	switch {
	case err == nil:
		return fmt.Errorf("%s: no error, want %s", title, sentinels[want])
	case !errors.Is(err, want):
		return fmt.Errorf("%s: want %s, got %w", title, sentinels[want], err)
	}
	e.stepf(title, "%s", describe(err, want))
	return nil
}

// sentinels names the errors the flows show.
var sentinels = map[error]string{
	mediaauth.ErrUnauthorized:            "ErrUnauthorized",
	mediaauth.ErrNotFound:                "ErrNotFound",
	mediaauth.ErrInvalidCredentials:      "ErrInvalidCredentials",
	mediaauth.ErrAuthRequestNotFound:     "ErrAuthRequestNotFound",
	mediaauth.ErrRequestTokenNotApproved: "ErrRequestTokenNotApproved",
	mediaauth.ErrInvalidRequestToken:     "ErrInvalidRequestToken",
	mediaauth.ErrInvalidAPIKey:           "ErrInvalidAPIKey",
	mediaauth.ErrInvalidAccessToken:      "ErrInvalidAccessToken",
}

// describe shows a typed error the way a program would inspect it.
func describe(err, want error) string {
	is := "errors.Is(err, mediaauth." + sentinels[want] + ") = true"
	var apiErr *mediaauth.APIError
	switch {
	case !errors.As(err, &apiErr):
		return is + ": " + err.Error()
	case apiErr.TMDbCode != 0:
		return fmt.Sprintf("%s (TMDb code %d)", is, apiErr.TMDbCode)
	}
	return fmt.Sprintf("%s; *APIError{StatusCode: %d, Code: %q}: %v", is, apiErr.StatusCode, apiErr.Code, err)
}

// keep hands values the flow got back (results, errors, request values,
// clients) to the recorder.
func (e *env) keep(vs ...any) {
	for _, v := range vs {
		if e.rec != nil {
			e.rec.value(v)
		}
	}
}

// secret tells the recorder about a secret the flow handles as a string.
func (e *env) secret(s string) {
	if e.rec != nil && s != "" {
		e.rec.secret(s)
	}
}

// ask prints question and reads one line from stdin; "" when there is no
// stdin or the line is empty.
func (e *env) ask(question string) (string, error) {
	if e.in == nil {
		return "", nil
	}
	fmt.Fprintf(e.out, "      %s: ", question)
	line, err := e.in.ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("reading stdin: %w", err)
	}
	fmt.Fprintln(e.out)
	return strings.TrimSpace(line), nil
}

// emailToken returns the token of the newest email of kind
// (mediaauthtest.EmailVerify or EmailReset) sent to address, and where it
// came from: the fake's outbox or, against a real server, the flag or
// stdin ("" when nobody answers).
func (e *env) emailToken(kind, address string) (token, source string, err error) {
	if e.fake != nil {
		mail, ok := e.fake.lastEmail(address)
		e.keep(mail)
		if !ok || mail.Kind != kind {
			return "", "", fmt.Errorf("the fake sent no %s email", kind)
		}
		return mail.Token, "from the fake's outbox", nil
	}
	token, source, question := e.cfg.verifyToken, "from -verify-token", "Paste the token from the verification email (empty to skip)"
	if kind == mediaauthtest.EmailReset {
		token, source, question = e.cfg.resetToken, "from -reset-token", "Paste the token from the password-reset email"
	}
	if token == "" {
		source = "as pasted"
		token, err = e.ask(question)
	}
	e.secret(token)
	return token, source, err
}

// preview shows enough of a secret to tell two apart, never all of it.
func preview(s string) string {
	if len(s) <= 12 {
		return "[REDACTED]"
	}
	return s[:4] + "…"
}
