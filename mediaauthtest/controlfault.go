package mediaauthtest

import (
	"math"
	"net/http"
	"strings"
	"time"
)

// The body of POST /_fake/faults: a [Fault] for [Server.InjectFault] in
// JSON, with two shorthands, tmdb_code ([TMDbFault]) and malformed.

// controlFault is the body of POST /_fake/faults.
type controlFault struct {
	Path             string            `json:"path"`
	Method           string            `json:"method"`
	Times            int               `json:"times"`
	Status           int               `json:"status"`
	Headers          map[string]string `json:"headers"`
	ContentType      string            `json:"content_type"`
	Body             *string           `json:"body"`
	BodySize         int               `json:"body_size"`
	Malformed        bool              `json:"malformed"`
	TMDbCode         int               `json:"tmdb_code"`
	DelaySeconds     float64           `json:"delay_seconds"`
	Drop             bool              `json:"drop"`
	DropAfterHeaders bool              `json:"drop_after_headers"`
	PassThrough      bool              `json:"pass_through"`
}

// Bounds of a fault injected over HTTP.
const (
	maxFaultBodySize = 64 << 20
	maxFaultDelay    = 10 * time.Minute
	maxFaultTimes    = 1_000_000
)

// malformedBody is the body of a fault with malformed: JSON cut short.
const malformedBody = `{"error":"injected_fault","message":"a malformed bo`

// fault checks the request and makes its Fault.
func (c controlFault) fault() (Fault, error) {
	if err := c.check(); err != nil {
		return Fault{}, err
	}
	f := Fault{
		Method: strings.ToUpper(c.Method), Times: c.Times, Status: c.Status, ContentType: c.ContentType,
		BodySize: c.BodySize, Delay: time.Duration(c.DelaySeconds * float64(time.Second)),
		Drop: c.Drop, DropAfterHeaders: c.DropAfterHeaders, PassThrough: c.PassThrough,
	}
	if c.TMDbCode != 0 {
		tf := TMDbFault(c.TMDbCode)
		f.Status, f.Body = tf.Status, tf.Body
	}
	if c.Body != nil {
		f.Body = *c.Body
	}
	if c.Malformed {
		f.Body = malformedBody
	}
	if len(c.Headers) > 0 {
		f.Header = http.Header{}
		for k, v := range c.Headers {
			f.Header.Set(k, v)
		}
	}
	return f, nil
}

// check reports what is wrong with the request, as an invalid-argument
// error.
func (c controlFault) check() error {
	switch {
	case !strings.HasPrefix(c.Path, "/") || isControlPath(c.Path):
		return invalidf("path must be a path of the fake's APIs or pages, starting with /, outside %s", ControlPrefix)
	case c.Method != "" && !isToken(c.Method):
		return invalidf("method %q is not an HTTP method", c.Method)
	case c.Times < -1 || c.Times > maxFaultTimes:
		return invalidf("times must be from -1 (every request) to %d", maxFaultTimes)
	case c.Status != 0 && (c.Status < 200 || c.Status > 599):
		return invalidf("status must be from 200 to 599")
	case c.BodySize < 0 || c.BodySize > maxFaultBodySize:
		return invalidf("body_size must be from 0 to %d", maxFaultBodySize)
	case math.IsNaN(c.DelaySeconds) || c.DelaySeconds < 0 || c.DelaySeconds > maxFaultDelay.Seconds():
		return invalidf("delay_seconds must be from 0 to %g", maxFaultDelay.Seconds())
	case c.TMDbCode != 0 && (tmdbCodes[c.TMDbCode] == tmdbCode{}):
		return invalidf("tmdb_code %d is not in TMDb's table of codes", c.TMDbCode)
	case c.TMDbCode != 0 && (c.Status != 0 || c.Body != nil || c.Malformed):
		return invalidf("tmdb_code sets the status and the body: leave out status, body and malformed")
	case c.Malformed && (c.Body != nil || c.BodySize != 0):
		return invalidf("malformed sets the body: leave out body and body_size")
	}
	for k, v := range c.Headers {
		if !isToken(k) || strings.ContainsAny(v, "\r\n\x00") {
			return invalidf("header %q: not a valid header field", k)
		}
	}
	return nil
}

// isToken reports whether s is an HTTP token (RFC 9110 section 5.6.2), as
// method and header names are.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c > '~' || c <= ' ' || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, c) {
			return false
		}
	}
	return true
}
