// Command quickstart walks through mediaauth's flows one step at a time and
// prints what each step did. Each flow is one file: movies.go, tvmaze.go,
// tmdb.go (v3) and tmdbv4.go.
//
// With no flags it starts the in-memory fake of package mediaauthtest in
// this process and runs every flow against it, with nothing to set up:
//
//	go run ./examples/quickstart
//
// With -fake-url it runs every flow against a fake started elsewhere with
// "mediaauth fake", playing the user on the fake's pages:
//
//	go run ./cmd/mediaauth fake --tvmaze-poll-interval 1s &
//	go run ./examples/quickstart -fake-url http://127.0.0.1:8787 -tvmaze-interval 1s
//
// Flags or environment variables point the Movies API flow at a real
// server instead; run it with -h for the list.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
)

// flows lists what the quickstart runs, in order.
var flows = []struct {
	name string
	run  func(ctx context.Context, e *env) error
}{
	{"Movies API", runMovies},
	{"TVmaze", runTVmaze},
	{"TMDb v3", runTMDb},
	{"TMDb v4", runTMDbV4},
}

// errSkipped, wrapped by a flow's error, says the flow could not run with
// the configuration given; the quickstart reports it and goes on.
var errSkipped = errors.New("skipped")

// skip returns an error that makes run report the flow as skipped.
func skip(reason string) error { return fmt.Errorf("%w: %s", errSkipped, reason) }

// run builds the client (and the fake when no real server is configured)
// and runs every flow, reporting each step to out.
func run(ctx context.Context, out io.Writer, cfg config) error {
	e, closeFake, err := newEnv(out, cfg)
	if err != nil {
		return fmt.Errorf("building the client: %w", err)
	}
	defer closeFake()
	for _, f := range flows {
		fmt.Fprintf(out, "\n== %s\n", f.name)
		e.steps = 0
		switch err := f.run(ctx, e); {
		case errors.Is(err, errSkipped):
			fmt.Fprintf(out, "  %s: %v\n", f.name, err)
		case err != nil:
			return fmt.Errorf("%s: %w", f.name, err)
		default:
			fmt.Fprintf(out, "  %s: all steps passed\n", f.name)
		}
	}
	fmt.Fprintln(out, "\nDone.")
	return nil
}

func main() {
	cfg, err := parseConfig(os.Args[1:], os.Getenv, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(2)
	}
	cfg.stdin = os.Stdin
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err = run(ctx, os.Stdout, cfg)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "\nquickstart: FAILED:", err)
		os.Exit(1)
	}
}
