package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mediaauth/mediaauth"
)

const statusUsage = `
Usage: mediaauth status [--json] [--profile NAME]

Checks every stored credential against its API and says whose it is and
where it lives (the OS keychain, or the credentials file): TVmaze's premium
level, the TMDb account (from /3/account), the Movies API profile. Without
--profile (or MEDIAAUTH_PROFILE) it shows every profile. It never prints a
secret. The exit status is 1 when a credential is invalid or could not be
checked, or when none is stored.
`

// Results of a check.
const (
	statusValid     = "valid"
	statusInvalid   = "invalid"
	statusUnchecked = "unchecked"
)

// statusReport is the JSON output of status.
type statusReport struct {
	// Path is the credentials file.
	Path string `json:"path"`
	// Keychain is the service name of the OS keychain's items, "" when the
	// keychain is not used.
	Keychain    string        `json:"keychain,omitempty"`
	Credentials []statusEntry `json:"credentials"`
}

// statusEntry is one stored entry with the checks of its credentials.
type statusEntry struct {
	API     mediaauth.API `json:"api"`
	Profile string        `json:"profile"`
	// Storage is where the entry lives: "keychain" or "file".
	Storage string    `json:"storage"`
	SavedAt time.Time `json:"saved_at,omitzero"`
	// Status is "valid" when every check passed, else "invalid" or
	// "unchecked" (the API could not say).
	Status string        `json:"status"`
	Checks []statusCheck `json:"checks"`
}

// statusCheck is the check of one credential.
type statusCheck struct {
	Credential string `json:"credential"`
	Status     string `json:"status"`
	Account    string `json:"account,omitempty"`
	Detail     string `json:"detail,omitempty"`
	Error      string `json:"error,omitempty"`
}

// statusCommand is "mediaauth status".
var statusCommand = &command{
	summary: "check the stored credentials",
	usage:   statusUsage,
	run: func(a *app, ctx context.Context, args []string) error {
		fs := a.flagSet("status")
		rest, err := a.parseAll(fs, args, statusUsage)
		if err != nil {
			return err
		}
		if err := noArgs(fs, rest); err != nil {
			return err
		}
		st, err := a.openStorage(ctx)
		if err != nil {
			return err
		}
		all, err := st.list(ctx)
		if err != nil {
			return err
		}
		report := statusReport{Path: st.file.Path(), Credentials: []statusEntry{}}
		if st.keychain != nil {
			report.Keychain = a.keychainService(filepath.Dir(st.file.Path()))
		}
		var others []string
		for i := range all {
			if a.globals.profileSet && all[i].Profile != a.globals.profile {
				others = append(others, all[i].Profile)
				continue
			}
			report.Credentials = append(report.Credentials, a.check(ctx, &all[i]))
		}
		if err := a.printStatus(report); err != nil {
			return err
		}
		return a.statusResult(report, st, others)
	},
}

// statusResult is status's error: none when every credential is valid.
func (a *app) statusResult(r statusReport, st *storage, others []string) error {
	if len(r.Credentials) > 0 {
		for _, e := range r.Credentials {
			if e.Status != statusValid {
				return errSilent
			}
		}
		return nil
	}
	if a.globals.json {
		return errSilent
	}
	where := st.file.Path()
	if st.keychain != nil {
		where = "the OS keychain or " + where
	}
	if len(others) > 0 {
		slices.Sort(others)
		return fmt.Errorf("no credentials stored for profile %s; other profiles have some: %s (mediaauth status without --profile shows them all)",
			a.globals.profile, strings.Join(slices.Compact(others), ", "))
	}
	return fmt.Errorf("no credentials stored in %s: run mediaauth login API", where)
}

// printStatus writes the report as text or JSON.
func (a *app) printStatus(r statusReport) error {
	w := a.sys.stdout
	if a.globals.json {
		data, err := json.MarshalIndent(r, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(w, string(data))
		return err
	}
	if len(r.Credentials) == 0 {
		return nil
	}
	fmt.Fprintf(w, "Credentials in %s:\n", storageText(r))
	for _, e := range r.Credentials {
		fmt.Fprintf(w, "\n%s (profile %s): %s\n", e.API, e.Profile, e.Status)
		for _, c := range e.Checks {
			line := "  " + c.Credential + ": " + c.Status
			if c.Account != "" {
				line += ", account " + c.Account
			}
			if c.Detail != "" {
				line += ", " + c.Detail
			}
			if c.Error != "" {
				line += ": " + c.Error
			}
			fmt.Fprintln(w, line)
		}
		where := "in " + r.Path
		if e.Storage == inKeychain {
			where = "in the OS keychain"
		}
		if !e.SavedAt.IsZero() {
			where = "saved " + timeText(e.SavedAt) + ", " + where
		}
		fmt.Fprintf(w, "  %s\n", where)
	}
	return nil
}

// storageText names where the report's credentials live.
func storageText(r statusReport) string {
	if r.Keychain != "" {
		return "the OS keychain (service " + strconv.Quote(r.Keychain) + ") and " + r.Path
	}
	return r.Path
}

// credentialCheck is the check of one credential: it returns the account,
// a detail, and why the check failed.
type credentialCheck struct {
	name  string
	check func() (account, detail string, err error)
}

// check checks each credential of one entry against its API.
func (a *app) check(ctx context.Context, loc *located) statusEntry {
	creds := &loc.StoredCredentials
	e := statusEntry{API: creds.API, Profile: creds.Profile, Storage: loc.where, SavedAt: creds.SavedAt}
	c, err := a.client()
	if creds.API == mediaauth.APIMovies && a.globals.moviesURL == "" && err == nil {
		err = fmt.Errorf("the Movies API has no default address: give --movies-url or set %s", envMoviesURL)
	}
	var checks []credentialCheck
	switch creds.API {
	case mediaauth.APIMovies:
		checks = a.moviesChecks(ctx, c, creds)
	case mediaauth.APITVmaze:
		checks = tvmazeChecks(ctx, c, creds)
	case mediaauth.APITMDb:
		checks = a.tmdbChecks(ctx, c, creds)
	}
	e.Status = statusValid
	for _, ck := range checks {
		sc := statusCheck{Credential: ck.name, Status: statusValid}
		cerr := err
		if cerr == nil {
			sc.Account, sc.Detail, cerr = ck.check()
		}
		if cerr != nil {
			sc.Status = statusUnchecked
			if refusedCredential(cerr) {
				sc.Status = statusInvalid
			}
			sc.Error = plain(creds.API, cerr)
		}
		switch {
		case sc.Status == statusInvalid:
			e.Status = statusInvalid
		case sc.Status == statusUnchecked && e.Status == statusValid:
			e.Status = statusUnchecked
		}
		e.Checks = append(e.Checks, sc)
	}
	return e
}

// moviesChecks are the checks of a Movies API entry: the profile each
// credential reads.
func (a *app) moviesChecks(ctx context.Context, c *mediaauth.Client, creds *mediaauth.StoredCredentials) []credentialCheck {
	var checks []credentialCheck
	if t := creds.MoviesToken; t != nil {
		checks = append(checks, credentialCheck{"access token", func() (string, string, error) {
			detail := ""
			switch {
			case t.Expired(a.sys.now()):
				detail = "expired " + timeText(t.ExpiresAt)
			case !t.ExpiresAt.IsZero():
				detail = "expires " + timeText(t.ExpiresAt)
			}
			u, err := c.With(t).Movies.Profile(ctx)
			if err != nil {
				return "", detail, err
			}
			return u.Username, detail, nil
		}})
	}
	if k := creds.MoviesAPIKey; k != nil {
		checks = append(checks, credentialCheck{"API key", func() (string, string, error) {
			u, err := c.With(k).Movies.Profile(ctx)
			if err != nil {
				return "", "", err
			}
			return u.Username, "", nil
		}})
	}
	return checks
}

// tvmazeChecks are the checks of a TVmaze entry: the premium level.
func tvmazeChecks(ctx context.Context, c *mediaauth.Client, creds *mediaauth.StoredCredentials) []credentialCheck {
	t := creds.TVmaze
	if t == nil {
		return nil
	}
	return []credentialCheck{{"API key", func() (string, string, error) {
		level, err := c.With(t).TVmaze.Validate(ctx)
		if err != nil {
			return t.Username, "", err
		}
		return t.Username, "premium " + level.String(), nil
	}}}
}

// tmdbChecks are the checks of a TMDb entry: the account of each user
// credential.
func (a *app) tmdbChecks(ctx context.Context, c *mediaauth.Client, creds *mediaauth.StoredCredentials) []credentialCheck {
	var checks []credentialCheck
	if s := creds.TMDbSession; s != nil {
		checks = append(checks, credentialCheck{"session", func() (string, string, error) {
			if err := a.needTMDbApp(false); err != nil {
				return "", "", err
			}
			return tmdbWho(ctx, c.With(s))
		}})
	}
	if t := creds.TMDbAccessToken; t != nil {
		checks = append(checks, credentialCheck{"v4 access token", func() (string, string, error) {
			return tmdbWho(ctx, c.With(t))
		}})
	}
	if g := creds.TMDbGuestSession; g != nil {
		checks = append(checks, credentialCheck{"guest session", func() (string, string, error) {
			if g.Expired(a.sys.now()) {
				return "", "", errExpired
			}
			return "", "not checked with TMDb (a guest session has no account)", nil
		}})
	}
	return checks
}

// tmdbWho reads the account a TMDb user credential belongs to.
func tmdbWho(ctx context.Context, user *mediaauth.Client) (string, string, error) {
	acct, err := tmdbAccount(ctx, user)
	if err != nil {
		return "", "", err
	}
	return acct.Username, fmt.Sprintf("id %d", acct.ID), nil
}

// refusedCredential reports whether err says the API refused the
// credential (rather than that it could not be asked).
func refusedCredential(err error) bool {
	var apiErr *mediaauth.APIError
	if !errors.As(err, &apiErr) {
		return errors.Is(err, errExpired)
	}
	return errors.Is(err, mediaauth.ErrUnauthorized) || errors.Is(err, mediaauth.ErrForbidden) || errors.Is(err, mediaauth.ErrNotFound)
}

// errExpired is a credential past its expiry by the local clock.
var errExpired = errors.New("expired")

// oneLine joins the lines of s.
func oneLine(s string) string {
	out := []rune{}
	for _, r := range s {
		if r == '\n' || r == '\r' {
			r = ' '
		}
		out = append(out, r)
	}
	return string(out)
}
