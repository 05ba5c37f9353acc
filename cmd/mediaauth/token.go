package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/mediaauth/mediaauth"
)

const tokenUsage = `
Usage: mediaauth token movies|tvmaze|tmdb [--show] [--json] [--v4] [--api-key]

Prints a stored secret, for scripts:

    export TMDB_SESSION=$(mediaauth token tmdb)

movies: the access token (--api-key: the API key). tvmaze: the API key
(--json also gives the username). tmdb: the session id (--v4: the v4
access token).

A secret is printed only when stdout is not a terminal (a pipe, a file, a
$(...)), so that it does not stay on your screen, unless --show is given.
--json prints the whole stored entry in its JSON form. A credential past
its expiry (a Movies access token, a TMDb guest session) is not printed:
the exit status is 1 and the message says to log in again.
`

// tokenCommand is "mediaauth token API".
var tokenCommand = &command{
	summary: "print a stored secret",
	usage:   tokenUsage,
	run: func(a *app, ctx context.Context, args []string) error {
		fs := a.flagSet("token")
		show := fs.Bool("show", false, "print the secret even to a terminal")
		v4 := fs.Bool("v4", false, "tmdb: the v4 access token instead of the session id")
		apiKey := fs.Bool("api-key", false, "movies: the API key instead of the access token")
		rest, err := a.parseAll(fs, args, tokenUsage)
		if err != nil {
			return err
		}
		api, err := apiArg(fs, rest)
		if err != nil {
			return err
		}
		if *v4 && api != mediaauth.APITMDb || *apiKey && api != mediaauth.APIMovies {
			return usagef("token: --v4 is for tmdb and --api-key for movies")
		}
		if !*show && a.sys.isTerminal(a.sys.stdout) {
			return fmt.Errorf("not printing a secret to a terminal: pipe or redirect the output, or give --show")
		}
		st, err := a.openStorage(ctx)
		if err != nil {
			return err
		}
		creds, _, err := st.load(ctx, api, a.globals.profile)
		if errors.Is(err, mediaauth.ErrCredentialNotFound) {
			return fmt.Errorf("not logged in to %s (profile %s): run mediaauth login %s", apiName(api), a.globals.profile, api)
		}
		if err != nil {
			return err
		}
		if a.globals.json {
			data, err := json.MarshalIndent(creds, "", "  ")
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(a.sys.stdout, string(data))
			return err
		}
		secret, what, expires := pickSecret(creds, *v4, *apiKey)
		if secret == "" {
			return fmt.Errorf("no %s stored for %s (profile %s)", what, apiName(api), a.globals.profile)
		}
		if !expires.IsZero() && !a.sys.now().Before(expires) {
			return fmt.Errorf("the stored %s of %s (profile %s) expired %s: log in again with mediaauth login %s",
				what, apiName(api), a.globals.profile, timeText(expires), api)
		}
		_, err = fmt.Fprintln(a.sys.stdout, secret)
		return err
	},
}

// pickSecret returns the secret token prints, what it is, and when it
// expires (zero when it does not, or no one knows); or "" and what is
// missing.
func pickSecret(c *mediaauth.StoredCredentials, v4, apiKey bool) (secret, what string, expires time.Time) {
	switch c.API {
	case mediaauth.APIMovies:
		if apiKey {
			if c.MoviesAPIKey != nil {
				return c.MoviesAPIKey.Key, "API key", time.Time{}
			}
			return "", "API key (log in with --api-key)", time.Time{}
		}
		if c.MoviesToken != nil {
			return c.MoviesToken.AccessToken, "access token", c.MoviesToken.ExpiresAt
		}
		return "", "access token", time.Time{}
	case mediaauth.APITVmaze:
		if c.TVmaze != nil {
			return c.TVmaze.APIKey, "API key", time.Time{}
		}
		return "", "API key", time.Time{}
	case mediaauth.APITMDb:
		return pickTMDbSecret(c, v4)
	}
	return "", "credential", time.Time{}
}

// pickTMDbSecret is pickSecret for TMDb.
func pickTMDbSecret(c *mediaauth.StoredCredentials, v4 bool) (secret, what string, expires time.Time) {
	if v4 {
		if c.TMDbAccessToken != nil {
			return c.TMDbAccessToken.AccessToken, "v4 access token", time.Time{}
		}
		return "", "v4 access token (log in with --v4)", time.Time{}
	}
	switch {
	case c.TMDbSession != nil:
		return c.TMDbSession.ID, "session", time.Time{}
	case c.TMDbGuestSession != nil:
		return c.TMDbGuestSession.ID, "guest session", c.TMDbGuestSession.ExpiresAt
	}
	return "", "session", time.Time{}
}
