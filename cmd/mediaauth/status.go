package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/mediaauth/mediaauth"
)

const statusUsage = `
Usage: mediaauth status [--json] [--profile NAME]

Checks every stored credential against its API and says whose it is:
TVmaze's premium level, the TMDb account (from /3/account), the Movies API
profile. Without --profile (or MEDIAAUTH_PROFILE) it shows every profile.
It never prints a secret. The exit status is 1 when a credential is
invalid or could not be checked, or when none is stored.
`

// Results of a check.
const (
	statusValid     = "valid"
	statusInvalid   = "invalid"
	statusUnchecked = "unchecked"
)

// statusReport is the JSON output of status.
type statusReport struct {
	Path        string        `json:"path"`
	Credentials []statusEntry `json:"credentials"`
}

// statusEntry is one stored entry with the checks of its credentials.
type statusEntry struct {
	API     mediaauth.API `json:"api"`
	Profile string        `json:"profile"`
	SavedAt time.Time     `json:"saved_at,omitzero"`
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
		st, err := a.store()
		if err != nil {
			return err
		}
		all, err := st.List(ctx)
		if err != nil {
			return err
		}
		report := statusReport{Path: st.Path(), Credentials: []statusEntry{}}
		for i := range all {
			if a.globals.profileSet && all[i].Profile != a.globals.profile {
				continue
			}
			report.Credentials = append(report.Credentials, a.check(ctx, &all[i]))
		}
		if err := a.printStatus(report); err != nil {
			return err
		}
		if len(report.Credentials) == 0 {
			if a.globals.json {
				return errSilent
			}
			return fmt.Errorf("no credentials stored in %s: run mediaauth login API", st.Path())
		}
		for _, e := range report.Credentials {
			if e.Status != statusValid {
				return errSilent
			}
		}
		return nil
	},
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
	fmt.Fprintf(w, "Credentials in %s:\n", r.Path)
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
		if !e.SavedAt.IsZero() {
			fmt.Fprintf(w, "  saved %s\n", e.SavedAt.Local().Format(time.DateTime))
		}
	}
	return nil
}

// check checks each credential of one entry against its API.
func (a *app) check(ctx context.Context, creds *mediaauth.StoredCredentials) statusEntry {
	e := statusEntry{API: creds.API, Profile: creds.Profile, SavedAt: creds.SavedAt}
	c, err := a.client()
	add := func(name string, check func() (account, detail string, err error)) {
		sc := statusCheck{Credential: name, Status: statusValid}
		var account, detail string
		cerr := err
		if cerr == nil {
			account, detail, cerr = check()
		}
		sc.Account, sc.Detail = account, detail
		if cerr != nil {
			sc.Status = statusUnchecked
			if refusedCredential(cerr) {
				sc.Status = statusInvalid
			}
			sc.Error = oneLine(cerr.Error())
		}
		e.Checks = append(e.Checks, sc)
	}
	switch creds.API {
	case mediaauth.APIMovies:
		if a.globals.moviesURL == "" && err == nil {
			err = fmt.Errorf("the Movies API has no default address: give --movies-url or set %s", envMoviesURL)
		}
		if t := creds.MoviesToken; t != nil {
			add("access token", func() (string, string, error) {
				detail := ""
				if !t.ExpiresAt.IsZero() {
					detail = "expires " + t.ExpiresAt.Local().Format(time.DateTime)
				}
				u, err := c.With(t).Movies.Profile(ctx)
				if err != nil {
					return "", detail, err
				}
				return u.Username, detail, nil
			})
		}
		if k := creds.MoviesAPIKey; k != nil {
			add("API key", func() (string, string, error) {
				u, err := c.With(k).Movies.Profile(ctx)
				if err != nil {
					return "", "", err
				}
				return u.Username, "", nil
			})
		}
	case mediaauth.APITVmaze:
		if t := creds.TVmaze; t != nil {
			add("API key", func() (string, string, error) {
				level, err := c.With(t).TVmaze.Validate(ctx)
				if err != nil {
					return t.Username, "", err
				}
				return t.Username, "premium " + level.String(), nil
			})
		}
	case mediaauth.APITMDb:
		if s := creds.TMDbSession; s != nil {
			add("session", func() (string, string, error) {
				if err := a.needTMDbApp(false); err != nil {
					return "", "", err
				}
				return tmdbWho(ctx, c.With(s))
			})
		}
		if t := creds.TMDbAccessToken; t != nil {
			add("v4 access token", func() (string, string, error) {
				return tmdbWho(ctx, c.With(t))
			})
		}
		if g := creds.TMDbGuestSession; g != nil {
			add("guest session", func() (string, string, error) {
				if g.Expired(time.Now()) {
					return "", "", errExpired
				}
				return "", "not checked with TMDb (a guest session has no account)", nil
			})
		}
	}
	e.Status = statusValid
	for _, sc := range e.Checks {
		switch {
		case sc.Status == statusInvalid:
			e.Status = statusInvalid
		case sc.Status == statusUnchecked && e.Status == statusValid:
			e.Status = statusUnchecked
		}
	}
	return e
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
