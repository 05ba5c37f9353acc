package main

import (
	"context"
	"errors"
	"strings"

	"github.com/mediaauth/mediaauth"
)

const loginMoviesUsage = `
Usage: mediaauth login movies --username NAME [--api-key]

Logs in to the Movies API with your username (or email address) and
password, and stores the access token. The password is read without echo
on a terminal, or as the first line of stdin otherwise:

    printf '%s\n' "$PASSWORD" | mediaauth login movies --username NAME

With --api-key it also stores your API key: the current one, or a new one
when you have none yet (an API key does not expire; the token does).

The Movies API has no default address: give --movies-url or set
MEDIAAUTH_MOVIES_URL.
`

// loginMovies is "mediaauth login movies".
func (a *app) loginMovies(ctx context.Context, args []string) error {
	fs := a.flagSet("login movies")
	username := fs.String("username", "", "your username or email address (asked for on a terminal)")
	withKey := fs.Bool("api-key", false, "also store your API key (a new one when you have none)")
	rest, err := a.parseAll(fs, args, loginMoviesUsage)
	if err != nil {
		return err
	}
	if err := noArgs(fs, rest); err != nil {
		return err
	}
	if a.globals.moviesURL == "" {
		return usagef("login movies: the Movies API has no default address: give --movies-url or set %s", envMoviesURL)
	}
	if *username == "" && !a.sys.isTerminal(a.sys.stdin) {
		return usagef("login movies: give --username (the password is read from stdin)")
	}
	l, err := a.beginLogin(ctx, mediaauth.APIMovies)
	if err != nil {
		return err
	}
	if *username == "" {
		if *username, err = a.prompt(ctx, "Movies API username: "); err != nil {
			return err
		}
		if *username == "" {
			return usagef("login movies: no username given")
		}
	}
	c, err := a.client()
	if err != nil {
		return err
	}
	pw, err := a.password(ctx, "Password for "+*username+": ")
	if err != nil {
		return err
	}
	login := c.Movies.Login // POST /login takes a username
	if strings.Contains(*username, "@") {
		login = c.Movies.FormLogin // POST /auth/login takes an email address too
	}
	tok, err := login(ctx, *username, pw)
	if err != nil {
		return fail("logging in to the Movies API", mediaauth.APIMovies, err)
	}
	return a.keepMovies(ctx, l, c.With(tok), tok, *username, *withKey)
}

// keepMovies saves the access token tok (and with withKey the API key) of
// the user me carries, and says who logged in. The token is saved even
// when getting the key fails.
func (a *app) keepMovies(ctx context.Context, l *login, me *mediaauth.Client, tok *mediaauth.Token, username string, withKey bool) error {
	creds := &mediaauth.StoredCredentials{API: mediaauth.APIMovies, MoviesToken: tok}
	var keyErr error
	if withKey {
		key, err := me.Movies.FetchAPIKey(ctx)
		if errors.Is(err, mediaauth.ErrNotFound) {
			key, err = me.Movies.GenerateAPIKey(ctx)
		}
		creds.MoviesAPIKey, keyErr = key, err
	}
	where, err := l.finish(ctx, creds, nil)
	if err != nil {
		return err
	}
	who := username
	if u, err := me.Movies.Profile(context.WithoutCancel(ctx)); err == nil {
		who = u.Username
	}
	what := "an access token"
	if !tok.ExpiresAt.IsZero() {
		what += " until " + timeText(tok.ExpiresAt)
	}
	if creds.MoviesAPIKey != nil {
		what += " and your API key"
	}
	l.saved(who, what, where)
	if keyErr != nil {
		return fail("getting your Movies API key (the access token was saved)", mediaauth.APIMovies, keyErr)
	}
	return nil
}
