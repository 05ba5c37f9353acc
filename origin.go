package mediaauth

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// The origin lock: a request, its credentials and its body go only to the
// origin of its API (scheme, host and port), and a redirect is followed
// only within it.

// origin is the origin of a URL: scheme, host and port (explicit), lower
// case. Comparing two costs no allocation.
type origin struct{ scheme, host, port string }

// originKey returns the origin of u (the zero origin for nil).
func originKey(u *url.URL) origin {
	if u == nil {
		return origin{}
	}
	o := origin{scheme: strings.ToLower(u.Scheme), host: strings.ToLower(u.Hostname()), port: u.Port()}
	if o.port == "" {
		switch o.scheme {
		case "https":
			o.port = "443"
		case "http":
			o.port = "80"
		}
	}
	return o
}

// originOf is the origin of u as text: scheme://host:port.
func originOf(u *url.URL) string {
	if u == nil {
		return ""
	}
	o := originKey(u)
	return o.scheme + "://" + net.JoinHostPort(o.host, o.port)
}

// lockedRedirect is the origin lock for redirects: a redirect is followed
// only when it stays on the origin of the first request, that request had
// no body, and the target carries none of the credentials (which the
// engine adds again below this point): the credential query parameters of
// a Location that echoes them are dropped, and a target that still holds
// a secret is not followed. Then next (the caller's policy, if any)
// decides. A refused redirect is returned as the answer
// (http.ErrUseLastResponse), which is ErrRedirect, so that neither the
// body nor a credential ever reaches another origin, and no URL holding a
// secret reaches net/http's error text.
func lockedRedirect(secrets func() []string, next func(*http.Request, []*http.Request) error) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		first := via[0]
		switch {
		case len(via) >= maxRedirects:
			return http.ErrUseLastResponse
		case first.GetBody != nil || first.ContentLength != 0:
			return http.ErrUseLastResponse
		case originKey(req.URL) != originKey(first.URL):
			return http.ErrUseLastResponse
		}
		if req.URL.RawQuery != "" {
			q := req.URL.Query()
			for _, name := range credentialParams {
				q.Del(name)
			}
			req.URL.RawQuery = q.Encode()
		}
		if target := req.URL.String(); scrub(target, secrets()) != target {
			return http.ErrUseLastResponse
		}
		if next != nil {
			return next(req, via)
		}
		return nil
	}
}

// credentialParams are the query parameters that carry TMDb credentials.
var credentialParams = [...]string{"api_key", "session_id", "guest_session_id"}

// redactedLocation resolves a Location against the request's URL and
// drops its query, fragment and user info; one that does not parse is not
// shown.
func redactedLocation(req *http.Request, loc string) string {
	base := &url.URL{}
	if req != nil && req.URL != nil {
		base = req.URL
	}
	u, err := base.Parse(loc)
	if err != nil {
		return "(invalid Location)"
	}
	return urlForError(u)
}

// checkTransportSecurity refuses plain http to a host that is not loopback.
func checkTransportSecurity(u *url.URL, insecureOK bool) error {
	if u.Scheme == "https" || insecureOK || isLoopback(u.Hostname()) {
		return nil
	}
	return fmt.Errorf("%w to %s (use https, or WithInsecureHTTP)", ErrInsecureTransport, u.Host)
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
