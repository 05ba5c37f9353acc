package mediaauthtest

import (
	"errors"
	"fmt"
)

// The kinds of error a hook returns, which the control API answers with
// their HTTP status (control.go): a hook's error wraps one of them, and
// prints only its own message.
var (
	errInvalid  = errors.New("invalid argument")
	errConflict = errors.New("conflict")
	errNotFound = errors.New("not found")
)

// kindError is an error of one of the kinds above.
type kindError struct {
	kind error
	msg  string
}

// Error returns the message, without the kind.
func (e *kindError) Error() string { return e.msg }

// Unwrap returns the kind.
func (e *kindError) Unwrap() error { return e.kind }

// invalidf is an errInvalid with a formatted message.
func invalidf(format string, args ...any) error {
	return &kindError{errInvalid, fmt.Sprintf(format, args...)}
}

// conflictf is an errConflict with a formatted message.
func conflictf(format string, args ...any) error {
	return &kindError{errConflict, fmt.Sprintf(format, args...)}
}

// notFoundf is an errNotFound with a formatted message.
func notFoundf(format string, args ...any) error {
	return &kindError{errNotFound, fmt.Sprintf(format, args...)}
}
