package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/mediaauth/mediaauth"
)

// loginCommand is "mediaauth login API": it dispatches to the API's flow.
var loginCommand = &command{
	summary: "log in to an API",
	usage:   loginUsage,
	run: func(a *app, ctx context.Context, args []string) error {
		fs := a.flagSet("login")
		// The API comes first; global flags may come before it.
		if err := a.parse(fs, args, loginUsage); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			return usagef("login: name the API: movies, tvmaze or tmdb")
		}
		rest := fs.Args()[1:]
		switch fs.Arg(0) {
		case "movies":
			return a.loginMovies(ctx, rest)
		case "tvmaze":
			return a.loginTVmaze(ctx, rest)
		case "tmdb":
			return a.loginTMDb(ctx, rest)
		}
		return usagef("login: unknown API %q (want movies, tvmaze or tmdb)", fs.Arg(0))
	},
}

const loginUsage = `
Usage: mediaauth login movies|tvmaze|tmdb [flags]

Logs in to one API and keeps the credentials in the OS keychain (or, where
there is none or with --insecure-storage, in credentials.json), under the
profile --profile names. Everything that can fail on this machine is
checked before anything is sent; a credential that cannot be saved after
the API handed it out is revoked (TMDb) or kept in a file of its own, never
dropped. Run "mediaauth help login API" for each one.
`

// saveTimeout bounds the save at the end of a login, which goes on after
// Ctrl-C: the server has already handed the credential out.
const saveTimeout = 30 * time.Second

// login is one login: checked before anything is sent, and finished so
// that nothing the server handed out is lost.
type login struct {
	a       *app
	api     mediaauth.API
	profile string
	st      *storage
	// prev is what the profile held before the login, or nil.
	prev *mediaauth.StoredCredentials
}

// beginLogin checks what can fail on this machine before a login of api
// sends anything: the profile's name, the config directory, and the store
// (its permissions, lock and file, or the keychain); and it reads what the
// profile holds now, to revoke what the new login replaces.
func (a *app) beginLogin(ctx context.Context, api mediaauth.API) (*login, error) {
	profile := a.globals.profile
	if err := mediaauth.CheckProfile(profile); err != nil {
		return nil, usagef("login %s: invalid --profile: %s", api, strings.TrimPrefix(err.Error(), "mediaauth: "))
	}
	st, err := a.openStorage(ctx)
	if err != nil {
		return nil, err
	}
	if err := st.check(ctx, api, profile); err != nil {
		if ctx.Err() != nil {
			return nil, errInterrupted
		}
		return nil, fmt.Errorf("the credentials could not be kept, so nothing was sent to %s: %s", apiName(api), trimPkg(err))
	}
	prev, _, err := st.load(ctx, api, profile)
	if err != nil && !errors.Is(err, mediaauth.ErrCredentialNotFound) {
		return nil, err
	}
	return &login{a: a, api: api, profile: profile, st: st, prev: prev}, nil
}

// finish saves creds and returns where they went. The save goes on when
// ctx has ended. When it fails, nothing is dropped: revoke (TMDb's) ends
// the new credential on the server, and one that cannot be revoked is kept
// in a file of its own; the error says which, and where.
func (l *login) finish(ctx context.Context, creds *mediaauth.StoredCredentials, revoke func(context.Context) error) (string, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), saveTimeout)
	defer cancel()
	creds.Profile = l.profile
	where, err := l.st.save(ctx, creds)
	if err != nil {
		if kept, w := l.keptAnyway(ctx, creds); kept {
			// A store may fail after it wrote the entry (a keychain whose
			// index could not be updated): the credentials are in use, so
			// they are neither revoked nor kept elsewhere.
			fmt.Fprintf(l.a.sys.stderr, "Saving reported an error (%s), but the credentials were kept.\n", trimPkg(err))
			return l.st.describe(w), nil
		}
		return "", l.saveFailed(ctx, creds, revoke, err)
	}
	if where == inFile && l.st.why != "--insecure-storage" {
		fmt.Fprintf(l.a.sys.stderr, "The credentials are kept in %s (mode 0600), not in an OS keychain (%s). "+
			"--insecure-storage keeps them there without this note.\n", l.st.file.Path(), l.st.why)
	}
	return l.st.describe(where), nil
}

// keptAnyway reports whether the store holds creds after all, and where.
func (l *login) keptAnyway(ctx context.Context, creds *mediaauth.StoredCredentials) (bool, string) {
	got, where, err := l.st.load(ctx, creds.API, creds.Profile)
	return err == nil && sameSecrets(got, creds), where
}

// sameSecrets reports whether a and b hold the same credentials.
func sameSecrets(a, b *mediaauth.StoredCredentials) bool {
	secrets := func(c *mediaauth.StoredCredentials) [4]string {
		var s [4]string
		if c.MoviesToken != nil {
			s[0] = c.MoviesToken.AccessToken
		}
		if c.TVmaze != nil {
			s[1] = c.TVmaze.APIKey
		}
		if c.TMDbSession != nil {
			s[2] = c.TMDbSession.ID
		}
		if c.TMDbAccessToken != nil {
			s[3] = c.TMDbAccessToken.AccessToken
		}
		return s
	}
	return a != nil && b != nil && secrets(a) == secrets(b)
}

// saveFailed is the error of a save that failed with err after the server
// handed creds out.
func (l *login) saveFailed(ctx context.Context, creds *mediaauth.StoredCredentials, revoke func(context.Context) error, err error) error {
	cause := trimPkg(err)
	if revoke != nil {
		rerr := revoke(ctx)
		if rerr == nil {
			return fmt.Errorf("saving the credentials failed: %s. The new credentials were revoked on %s, so none is left behind: fix that, and log in again",
				cause, apiName(l.api))
		}
		cause += fmt.Sprintf("; revoking the new credentials on %s failed too (%s)", apiName(l.api), trimPkg(rerr))
	}
	return l.rescued(creds, "saving the credentials failed", cause)
}

// rescued keeps creds, which the server handed out and which are kept
// nowhere else, in a file of their own, and returns the error that says
// what failed (what: cause) and where they are.
func (l *login) rescued(creds *mediaauth.StoredCredentials, what, cause string) error {
	creds.Profile = l.profile
	dir, rerr := l.a.rescue(creds)
	if rerr != nil {
		data, _ := json.MarshalIndent(creds, "", "  ")
		fmt.Fprintf(l.a.sys.stdout, "%s\n", data)
		return fmt.Errorf("%s: %s, and so did keeping them in a file of their own (%s): they are printed above, keep them", what, cause, trimPkg(rerr))
	}
	profile := ""
	if l.profile != mediaauth.DefaultProfile {
		profile = " --profile " + shellQuote(l.profile)
	}
	flag := ""
	if creds.TMDbSession == nil && creds.TMDbAccessToken != nil {
		flag = " --v4"
	}
	return fmt.Errorf("%s: %s. They are not lost: %s handed them out, and they are kept in %s (mode 0600); "+
		"read them with: mediaauth --config-dir %s%s token %s%s", what, cause, apiName(l.api), filepath.Join(dir, credentialsFile), shellQuote(dir), profile, l.api, flag)
}

// saved prints the line that ends a login: who logged in, what was kept
// (what), and where.
func (l *login) saved(who, what, where string) {
	if who != "" {
		who = " as " + who
	}
	if where == "the OS keychain" {
		where = "in " + where
	} else {
		where = "to " + where
	}
	fmt.Fprintf(l.a.sys.stdout, "Logged in to %s%s (%s). Saved %s (profile %s).\n", apiName(l.api), who, what, where, l.profile)
}

// revokeReplaced ends the TMDb session and v4 access token of the profile
// that now were replaced, and says so; TMDb would keep them valid. What
// cannot be revoked is kept in a file of its own, since the store no
// longer holds it.
func (l *login) revokeReplaced(ctx context.Context, c *mediaauth.Client, now *mediaauth.StoredCredentials) {
	old := l.prev
	if old == nil || l.api != mediaauth.APITMDb {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), saveTimeout)
	defer cancel()
	w := l.a.sys.stderr
	left := &mediaauth.StoredCredentials{API: mediaauth.APITMDb}
	if s := old.TMDbSession; s != nil && (now.TMDbSession == nil || now.TMDbSession.ID != s.ID) {
		err := c.TMDb.With(*s).DeleteSession(ctx)
		switch {
		case err == nil, errors.Is(err, mediaauth.ErrNotFound):
			fmt.Fprintln(w, "Deleted the TMDb session this login replaced.")
		default:
			fmt.Fprintf(w, "Could not delete the TMDb session this login replaced (%s): it may stay valid.\n", plain(mediaauth.APITMDb, err))
			left.TMDbSession = s
		}
	}
	if t := old.TMDbAccessToken; t != nil && (now.TMDbAccessToken == nil || now.TMDbAccessToken.AccessToken != t.AccessToken) {
		err := l.a.needTMDbApp(true)
		if err == nil {
			err = c.TMDb.With(*t).DeleteV4AccessToken(ctx)
		}
		switch {
		case err == nil, errors.Is(err, mediaauth.ErrInvalidAccessToken):
			fmt.Fprintln(w, "Logged out the TMDb v4 access token this login replaced.")
		default:
			fmt.Fprintf(w, "Could not log out the TMDb v4 access token this login replaced (%s): it may stay valid.\n", plain(mediaauth.APITMDb, err))
			left.TMDbAccessToken = t
		}
	}
	if left.TMDbSession != nil || left.TMDbAccessToken != nil {
		l.keepReplaced(left)
	}
}

// keepReplaced keeps what a login replaced and could not revoke in a file
// of its own, and says where and how to revoke it later.
func (l *login) keepReplaced(left *mediaauth.StoredCredentials) {
	left.Profile = l.profile
	w := l.a.sys.stderr
	dir, err := l.a.rescue(left)
	if err != nil {
		data, _ := json.MarshalIndent(left, "", "  ")
		fmt.Fprintf(l.a.sys.stdout, "%s\n", data)
		fmt.Fprintf(w, "Keeping it in a file of its own failed too (%s): it is printed above.\n", trimPkg(err))
		return
	}
	profile := ""
	if l.profile != mediaauth.DefaultProfile {
		profile = " --profile " + shellQuote(l.profile)
	}
	fmt.Fprintf(w, "It is kept in %s (mode 0600) so that it is not lost; revoke it later with: mediaauth --config-dir %s%s logout tmdb\n",
		filepath.Join(dir, credentialsFile), shellQuote(dir), profile)
}

// shellQuote quotes s for a POSIX shell when it needs quoting.
func shellQuote(s string) string {
	if s != "" && !strings.ContainsFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/._-+,:@%", r))
	}) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
