package mediaauth

import (
	"net"
	"net/http"
	"net/url"
	"slices"
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
// only when it stays on the origin of the first request and that request
// had no body; then next (the caller's policy, if any) decides. A refused
// redirect is returned as the answer (http.ErrUseLastResponse), which is
// ErrRedirect, so that neither the body nor a credential ever reaches
// another origin. (The authorize stage has already taken the credentials
// out of the Location: see cleanLocation.)
func lockedRedirect(next func(*http.Request, []*http.Request) error) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		first := via[0]
		switch {
		case len(via) >= maxRedirects:
			return http.ErrUseLastResponse
		case first.GetBody != nil || first.ContentLength != 0 || first.Body != nil && first.Body != http.NoBody:
			return http.ErrUseLastResponse
		case originKey(req.URL) != originKey(first.URL):
			return http.ErrUseLastResponse
		}
		if ref := req.Header.Get("Referer"); ref != "" {
			// http.Client makes it from the URL of the request before,
			// which holds the credential parameters when the engine
			// authorized its own request in place.
			req.Header.Set("Referer", withoutCredentialParams(ref))
		}
		if next != nil {
			return next(req, via)
		}
		return nil
	}
}

// cleanLocation takes the credentials a request carried (and every other
// secret of the client: the lists) out of
// the Location of a redirect answered to it, before any http.Client above
// the engine reads it: the credential query parameters that echo them are
// dropped (the engine adds them again to the next request), and a Location
// that still holds a secret anywhere (its path, its host) is removed, so
// that the redirect is not followed. Either way no URL holding a secret
// reaches net/http's error text, whatever the caller's redirect policy.
func cleanLocation(req *http.Request, resp *http.Response, secrets ...[]string) {
	loc := resp.Header.Get("Location")
	if loc == "" {
		return
	}
	u, err := req.URL.Parse(loc)
	if err != nil {
		return // dropBadLocation's case
	}
	if u.RawQuery != "" {
		q := u.Query()
		for _, name := range credentialParams {
			if v := q.Get(name); v != "" && scrub(v, secrets...) != v {
				q.Del(name)
			}
		}
		u.RawQuery = q.Encode()
	}
	clean := u.String()
	if scrub(clean, secrets...) != clean || scrub(loc, secrets...) != loc && clean == loc {
		resp.Header.Del("Location")
		resp.Header.Set(badLocationHeader, "1")
		return
	}
	resp.Header.Set("Location", clean)
}

// withoutCredentialParams returns rawURL without the query parameters
// that carry TMDb credentials, the others kept as they were, in their
// order.
func withoutCredentialParams(rawURL string) string {
	base, query, ok := strings.Cut(rawURL, "?")
	if !ok {
		return rawURL
	}
	var kept []string
	for _, part := range strings.Split(query, "&") {
		name, _, _ := strings.Cut(part, "=")
		if !slices.Contains(credentialParams[:], name) {
			kept = append(kept, part)
		}
	}
	if len(kept) == 0 {
		return base
	}
	return base + "?" + strings.Join(kept, "&")
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
