package mediaauth

import (
	"fmt"
	"unicode/utf8"
)

// argError builds the error of a check made before sending: nothing was
// sent, and it wraps ErrInvalidArgument.
func argError(method, format string, a ...any) error {
	return fmt.Errorf("mediaauth: %s: %s: %w", method, fmt.Sprintf(format, a...), ErrInvalidArgument)
}

// requireArgs checks required string arguments, given as name, value
// pairs: each must be non-empty and valid UTF-8 (JSON would silently turn
// invalid bytes into U+FFFD, and a form would send them raw).
func requireArgs(method string, kv ...string) error {
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			return argError(method, "empty %s", kv[i])
		}
	}
	return optionalArgs(method, kv...)
}

// optionalArgs checks optional string arguments, given as name, value
// pairs: each must be valid UTF-8.
func optionalArgs(method string, kv ...string) error {
	for i := 0; i+1 < len(kv); i += 2 {
		if !utf8.ValidString(kv[i+1]) {
			return argError(method, "%s is not valid UTF-8", kv[i])
		}
	}
	return nil
}

// String returns a pointer to v, for [ProfileUpdate] fields.
func String(v string) *string { return &v }
