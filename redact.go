package mediaauth

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"time"
)

// redacted stands in for a secret in every printed or logged value.
const redacted = "[REDACTED]"

// safeString builds the printable form of a type that carries secrets:
// name{k1:v1 k2:v2}. Callers pass only fields that are not secret, and
// redacted in place of those that are.
func safeString(name string, kv ...string) string {
	var b strings.Builder
	b.WriteString("mediaauth.")
	b.WriteString(name)
	b.WriteByte('{')
	for i := 0; i+1 < len(kv); i += 2 {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(kv[i])
		b.WriteByte(':')
		b.WriteString(kv[i+1])
	}
	b.WriteByte('}')
	return b.String()
}

// secretMark returns redacted for a set secret and "" for an empty one, so
// that printed values still tell whether the secret is there.
func secretMark(secret string) string {
	if secret == "" {
		return `""`
	}
	return redacted
}

// timeString prints a time for String methods: RFC 3339 in UTC, or
// "unknown" for the zero time.
func timeString(t time.Time) string {
	if t.IsZero() {
		return "unknown"
	}
	return t.UTC().Format(time.RFC3339)
}

// expired reports whether an expiry is known and not after now; it backs
// the Expired methods of Token, RequestToken and GuestSession.
func expired(expiresAt, now time.Time) bool {
	return !expiresAt.IsZero() && !now.Before(expiresAt)
}

// formatSafe writes s for every fmt verb (%v, %+v, %#v, %s, %q, %x...).
func formatSafe(f fmt.State, s string) { _, _ = io.WriteString(f, s) }

// logSafe is the slog form of s.
func logSafe(s string) slog.Value { return slog.StringValue(s) }

// minSecretLen is the shortest secret the scrubber looks for: replacing
// shorter ones would garble unrelated text.
const minSecretLen = 4

// scrub replaces every secret of the lists that appears in s with
// [REDACTED], and then turns control characters into spaces so that the
// text cannot forge log lines. It is applied to all error and log text,
// whoever wrote it: server messages, transport errors, URLs.
func scrub(s string, lists ...[]string) string {
	for _, list := range lists {
		for _, secret := range list {
			if secret != "" && strings.Contains(s, secret) {
				s = strings.ReplaceAll(s, secret, redacted)
			}
		}
	}
	if strings.IndexFunc(s, isControl) >= 0 {
		s = strings.Map(func(r rune) rune {
			if isControl(r) {
				return ' '
			}
			return r
		}, s)
	}
	return s
}

// scrubbedError is an error whose text went through scrub: its own text
// holds no secret.
//
// It does not unwrap to the original, whose text (and a custom transport's
// fields) may hold the secret: errors.Is is answered for the original's
// whole chain (context.DeadlineExceeded, syscall.ECONNREFUSED, the SDK's
// sentinels), errors.As for the SDK's own error types only, whose text the
// SDK scrubbed itself, and Timeout reports a timeout anywhere in the chain,
// so that it still satisfies the net.Error checks callers make.
type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }

// Is reports whether the original's chain matches target.
func (e *scrubbedError) Is(target error) bool { return errors.Is(e.err, target) }

// As finds an *APIError or *NetworkError in the original's chain; other
// types are not handed out.
func (e *scrubbedError) As(target any) bool {
	switch target.(type) {
	case **APIError, **NetworkError:
		return errors.As(e.err, target)
	}
	return false
}

// Timeout reports whether the original's chain holds a timeout.
func (e *scrubbedError) Timeout() bool {
	var t interface{ Timeout() bool }
	return errors.As(e.err, &t) && t.Timeout()
}

// maxCauseLen bounds the text of an error the SDK wraps: net/http quotes
// a malformed header line whole, so a hostile server could otherwise make
// an error of any length.
const maxCauseLen = 512

// scrubError returns err with its text scrubbed and bounded, or err itself
// when there was nothing to change.
func scrubError(err error, lists ...[]string) error {
	if err == nil {
		return nil
	}
	text := err.Error()
	clean := scrub(text, lists...)
	if len(clean) > maxCauseLen {
		clean = strings.ToValidUTF8(clean[:maxCauseLen], "") + "…"
	}
	if clean == text {
		return err
	}
	return &scrubbedError{msg: clean, err: err}
}

// urlForError describes a URL in an error: scheme, host and path, never
// user info, query or fragment.
func urlForError(u *url.URL) string {
	if u == nil {
		return ""
	}
	v := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}
	return v.String()
}

// truncate shortens s to at most n bytes on a rune boundary, with bytes
// that are not UTF-8 replaced by U+FFFD and control characters (line
// breaks among them) turned into spaces, so that a server's text cannot
// forge lines in logs.
func truncate(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if strings.IndexFunc(s, isControl) >= 0 {
		s = strings.Map(func(r rune) rune {
			if isControl(r) {
				return ' '
			}
			return r
		}, s)
	}
	s = strings.TrimSpace(s)
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !isRuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

func isControl(r rune) bool { return r < 0x20 || (r >= 0x7f && r < 0xa0) }
