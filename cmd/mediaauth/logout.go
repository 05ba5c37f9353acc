package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/mediaauth/mediaauth"
)

const logoutUsage = `
Usage: mediaauth logout movies|tvmaze|tmdb [--local]

Logs out of one API: revokes the stored credential where the API can (TMDb:
the session is deleted and a v4 access token logged out), then removes it
from the credential store. TVmaze and the Movies API cannot revoke what
they handed out: their credentials are only removed from the store.

When revoking fails (no network, say) the credential is kept, so that you
can try again; --local removes it without revoking.
`

// logoutCommand is "mediaauth logout API".
var logoutCommand = &command{
	summary: "revoke and forget a credential",
	usage:   logoutUsage,
	run: func(a *app, ctx context.Context, args []string) error {
		fs := a.flagSet("logout")
		local := fs.Bool("local", false, "only remove the credential from the store, without revoking it")
		rest, err := a.parseAll(fs, args, logoutUsage)
		if err != nil {
			return err
		}
		api, err := apiArg(fs, rest)
		if err != nil {
			return err
		}
		st, err := a.openStorage(ctx)
		if err != nil {
			return err
		}
		profile := a.globals.profile
		creds, _, err := st.load(ctx, api, profile)
		if errors.Is(err, mediaauth.ErrCredentialNotFound) {
			return fmt.Errorf("not logged in to %s (profile %s)", apiName(api), profile)
		}
		if err != nil {
			return err
		}
		var notes []string
		if !*local {
			notes, err = a.revoke(ctx, creds)
			if err != nil {
				return fmt.Errorf("%w; the credential is still stored (mediaauth logout %s --local removes it without revoking)", err, api)
			}
		}
		if err := st.remove(ctx, api, profile); err != nil && !errors.Is(err, mediaauth.ErrCredentialNotFound) {
			return fmt.Errorf("removing the credential: %w", err)
		}
		for _, n := range notes {
			fmt.Fprintln(a.sys.stderr, n)
		}
		fmt.Fprintf(a.sys.stdout, "Logged out of %s (profile %s).\n", apiName(api), profile)
		return nil
	},
}

// revoke ends what the API can end, and says what it did. A credential the
// API no longer knows counts as revoked.
func (a *app) revoke(ctx context.Context, creds *mediaauth.StoredCredentials) ([]string, error) {
	switch creds.API {
	case mediaauth.APITVmaze:
		return []string{"TVmaze cannot revoke an API key: it was removed from the store only."}, nil
	case mediaauth.APIMovies:
		return []string{"The Movies API cannot revoke a token or an API key: removed from the store only."}, nil
	}
	var notes []string
	if s := creds.TMDbSession; s != nil {
		if err := a.needTMDbApp(false); err != nil {
			return nil, err
		}
		c, err := a.client()
		if err != nil {
			return nil, err
		}
		err = c.TMDb.With(*s).DeleteSession(ctx)
		switch {
		case errors.Is(err, mediaauth.ErrNotFound):
			notes = append(notes, "TMDb no longer knew the session.")
		case err != nil:
			return nil, fail("deleting the TMDb session", mediaauth.APITMDb, err)
		default:
			notes = append(notes, "Deleted the TMDb session.")
		}
	}
	if t := creds.TMDbAccessToken; t != nil {
		if err := a.needTMDbApp(true); err != nil {
			return nil, err
		}
		c, err := a.client()
		if err != nil {
			return nil, err
		}
		err = c.TMDb.With(*t).DeleteV4AccessToken(ctx)
		switch {
		case errors.Is(err, mediaauth.ErrInvalidAccessToken):
			notes = append(notes, "TMDb no longer knew the v4 access token.")
		case err != nil:
			return nil, fail("logging out the TMDb v4 access token", mediaauth.APITMDb, err)
		default:
			notes = append(notes, "Logged out the TMDb v4 access token.")
		}
	}
	if creds.TMDbGuestSession != nil {
		notes = append(notes, "TMDb cannot end a guest session: it was removed from the store only.")
	}
	return notes, nil
}
