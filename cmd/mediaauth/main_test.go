package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestUsageErrorsExit2WithOneLine(t *testing.T) {
	t.Parallel()
	env := map[string]string{envConfigDir: t.TempDir()}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"login"}, "login: name the API"},
		{[]string{"login", "netflix"}, `login: unknown API "netflix"`},
		{[]string{"login", "tvmaze"}, "login tvmaze: give --email"},
		{[]string{"login", "tvmaze", "--email", "a@b.c", "extra"}, `unexpected argument "extra"`},
		{[]string{"login", "tmdb", "--v4", "--password"}, "do not go together"},
		{[]string{"login", "movies", "--username", "u"}, "the Movies API has no default address"},
		{[]string{"token"}, "token: name the API"},
		{[]string{"token", "tmdb", "tvmaze"}, `token: unexpected argument "tvmaze"`},
		{[]string{"token", "tvmaze", "--v4"}, "--v4 is for tmdb"},
		{[]string{"logout", "imdb"}, `logout: unknown API "imdb"`},
		{[]string{"status", "now"}, `status: unexpected argument "now"`},
		{[]string{"status", "--bogus"}, "flag provided but not defined: -bogus"},
		{[]string{"--json", "logout", "tmdb"}, "--json is for status and token"},
		{[]string{"login", "tvmaze", "--email", "x@y.z", "--json"}, "--json is for status and token"},
		{[]string{"fake", "--tmdb-token-ttl", "0s"}, "--tmdb-token-ttl must be positive"},
		{[]string{"help", "nothing"}, `help: unknown command "nothing"`},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			ts := newSys(t, env)
			assert.Equal(t, exitUsage, ts.run(t.Context(), tt.args...))
			assert.Len(t, ts.stderrLines(), 1, "one line: %q", ts.stderr.String())
			requireOneErrorLine(t, ts, tt.want)
			assert.Contains(t, ts.stderr.String(), "(see mediaauth help)")
			assert.Empty(t, ts.stdout.String())
		})
	}
}

func TestNoCommandPrintsUsage(t *testing.T) {
	t.Parallel()
	ts := newSys(t, nil)
	assert.Equal(t, exitUsage, ts.run(t.Context()))
	assert.Contains(t, ts.stderr.String(), "Usage: mediaauth [global flags] COMMAND")
	requireOneErrorLine(t, ts, "no command given")
}

func TestHelp(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		args []string
		want []string
	}{
		{[]string{"help"}, []string{"login tvmaze", "MEDIAAUTH_PROFILE", "MEDIAAUTH_CONFIG_DIR", "MEDIAAUTH_MOVIES_URL",
			"MEDIAAUTH_TVMAZE_URL", "MEDIAAUTH_TMDB_URL", "MEDIAAUTH_TMDB_SITE_URL", "TMDB_API_KEY", "TMDB_READ_ACCESS_TOKEN", "Exit status"}},
		{[]string{"-h"}, []string{"Commands:"}},
		{[]string{"help", "login", "tmdb"}, []string{"Usage: mediaauth login tmdb", "--v4", "--callback-port N", "--no-browser"}},
		{[]string{"help", "login", "tvmaze"}, []string{"--email", "--web", "--poll-interval duration"}},
		{[]string{"login", "movies", "-h"}, []string{"--api-key", "printf"}},
		{[]string{"help", "token"}, []string{"--show", "export TMDB_SESSION=$(mediaauth token tmdb)"}},
		{[]string{"status", "--help"}, []string{"exit status is 1"}},
		{[]string{"logout", "-h"}, []string{"--local"}},
		{[]string{"help", "fake"}, []string{"--addr", "--seed", "--tmdb-auto-approve", "--tvmaze-auto-confirm"}},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			ts := newSys(t, nil)
			assert.Equal(t, exitOK, ts.run(t.Context(), tt.args...), ts.stderr.String())
			for _, w := range tt.want {
				assert.Contains(t, ts.stdout.String(), w)
			}
			assert.Empty(t, ts.stderr.String())
		})
	}
}

func TestParseAllTakesFlagsAfterArguments(t *testing.T) {
	t.Parallel()
	a := newApp(newSys(t, nil).system())
	a.command = "token"
	fs := a.flagSet("token")
	show := fs.Bool("show", false, "")
	rest, err := a.parseAll(fs, []string{"--profile", "work", "tmdb", "--show", "--", "--json"}, tokenUsage)
	assert.NoError(t, err)
	assert.Equal(t, []string{"tmdb", "--json"}, rest)
	assert.True(t, *show)
	assert.Equal(t, "work", a.globals.profile)
	assert.False(t, a.globals.json)
}
