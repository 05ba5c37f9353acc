package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"

	"github.com/mediaauth/mediaauth"
)

// The command's words for the library's errors: what the user can act on,
// without the wire details they cannot.

// explained is an error with the command's message that still unwraps to
// the library's error, for errors.Is.
type explained struct {
	msg string
	err error
}

func (e *explained) Error() string { return e.msg }
func (e *explained) Unwrap() error { return e.err }

// fail says that doing what failed with err, against api, in plain words.
func fail(what string, api mediaauth.API, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, errInterrupted) {
		return err
	}
	return &explained{msg: what + ": " + plain(api, err), err: err}
}

// plain describes an error of a call to api.
func plain(api mediaauth.API, err error) string {
	var netErr *mediaauth.NetworkError
	var apiErr *mediaauth.APIError
	switch {
	case errors.As(err, &netErr):
		return "cannot reach " + apiName(api) + ": " + netReason(netErr.Err)
	case errors.Is(err, mediaauth.ErrApprovalDenied):
		return "the login was denied on " + apiName(api) + "'s page; nothing was stored"
	case errors.Is(err, mediaauth.ErrInvalidCredentials):
		return "wrong username or password"
	case errors.Is(err, mediaauth.ErrEmailNotFound):
		return "TVmaze has no account with that email address"
	case errors.Is(err, mediaauth.ErrEmailNotConfirmed):
		return "the TVmaze account's email address is not confirmed yet: confirm it with TVmaze first"
	case errors.Is(err, mediaauth.ErrEmailNotVerified):
		return "the email address is not verified yet: open the link of the verification email first"
	case errors.Is(err, mediaauth.ErrInvalidAPIKey):
		return fmt.Sprintf("TMDb refused your application's credentials (%s or %s)", envTMDbAPIKey, envTMDbRead)
	case errors.Is(err, mediaauth.ErrAuthRequestNotFound):
		return "TVmaze no longer knows the login request (it expired, or its key was handed out): log in again"
	case errors.As(err, &apiErr):
		return apiAnswer(apiErr)
	}
	return trimPkg(err)
}

// apiAnswer describes an error answer of an API: its message, then the
// status.
func apiAnswer(e *mediaauth.APIError) string {
	status := fmt.Sprintf("HTTP %d", e.StatusCode)
	if e.TMDbCode != 0 {
		status += fmt.Sprintf(", TMDb code %d", e.TMDbCode)
	}
	if e.Message == "" {
		return apiName(e.API) + " answered " + status
	}
	return apiName(e.API) + " says: " + strings.TrimSuffix(e.Message, ".") + " (" + status + ")"
}

// netReason says why a request got no answer.
func netReason(err error) string {
	var dnsErr *net.DNSError
	switch {
	case err == nil:
		return "no answer"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused (is the server running?)"
	case errors.As(err, &dnsErr):
		return "no such host " + dnsErr.Name
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		return "no answer in time"
	}
	msg := oneLine(err.Error())
	for _, verb := range []string{"Get: ", "Post: ", "Put: ", "Delete: ", "Patch: "} {
		msg = strings.TrimPrefix(msg, verb)
	}
	return msg
}

// isTimeout reports whether err says it is a timeout.
func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// trimPkg is err's text without the library's "mediaauth: " prefixes, on
// one line.
func trimPkg(err error) string {
	return strings.ReplaceAll(oneLine(err.Error()), "mediaauth: ", "")
}
