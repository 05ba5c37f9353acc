package mediaauth

import (
	"fmt"
	"io"
	"log/slog"
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
