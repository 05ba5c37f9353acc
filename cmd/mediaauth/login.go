package main

import (
	"context"
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

Logs in to one API and keeps the credentials in the credential store, under
the profile --profile names. Run "mediaauth help login API" for each one.
`
