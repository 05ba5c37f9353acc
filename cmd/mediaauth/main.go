// Command mediaauth logs you in, once, from a terminal, to the Movies API,
// TVmaze and TMDb, keeps the credentials in the OS keychain (or in a file
// only you can read, where there is none), and hands them to scripts. It
// also runs the fake of package mediaauthtest as a standalone server, for
// tests written in any language.
//
//	mediaauth login tvmaze --email you@example.com
//	mediaauth login tmdb
//	mediaauth login movies --username you
//	mediaauth status
//	export TMDB_SESSION=$(mediaauth token tmdb)
//	mediaauth logout tmdb
//	mediaauth fake --addr 127.0.0.1:8787
//	mediaauth version
//
// Run "mediaauth help" for every command, flag and environment variable.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
)

// Exit statuses.
const (
	exitOK          = 0
	exitError       = 1
	exitUsage       = 2
	exitInterrupted = 130
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], osSystem())
	stop()
	os.Exit(code)
}

// command is one subcommand.
type command struct {
	// summary is its line in "mediaauth help".
	summary string
	// usage is its synopsis and description, for "mediaauth help NAME".
	usage string
	// run runs it with the arguments after its name.
	run func(a *app, ctx context.Context, args []string) error
}

// commands are the subcommands by name; init fills it, so that the
// commands may refer to it (help does).
var commands map[string]*command

func init() {
	commands = map[string]*command{
		"login":   loginCommand,
		"status":  statusCommand,
		"logout":  logoutCommand,
		"token":   tokenCommand,
		"fake":    fakeCommand,
		"version": versionCommand,
		"help":    helpCommand,
	}
}

// usageError is a mistake in the command line: exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// usagef returns a usageError.
func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// errInterrupted ends a command that the user stopped (Ctrl-C or SIGTERM).
var errInterrupted = errors.New("interrupted")

// errSilent ends a command that has already said why it failed (status
// with an invalid credential): exit status 1, nothing more printed.
var errSilent = errors.New("failed")

// run runs the command line args (without the program name) and returns
// the exit status: 0 on success, 1 on an error, 2 on a usage error and 130
// when ctx ended (Ctrl-C). Errors are printed to sys.stderr as one line.
func run(ctx context.Context, args []string, sys *system) int {
	a := newApp(sys)
	defer a.startTraces()()
	err := a.dispatch(ctx, args)
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.Is(err, errSilent):
		return exitError
	}
	var ue *usageError
	if errors.As(err, &ue) {
		a.errorLine(err.Error() + " (see mediaauth help)")
		return exitUsage
	}
	if errors.Is(err, errInterrupted) || ctx.Err() != nil && errors.Is(err, context.Canceled) {
		a.errorLine("interrupted")
		return exitInterrupted
	}
	a.errorLine(err.Error())
	return exitError
}

// errorLine prints msg as one line on stderr, after "mediaauth: ".
func (a *app) errorLine(msg string) {
	msg = strings.Join(strings.Fields(strings.ReplaceAll(msg, "mediaauth: ", "")), " ")
	fmt.Fprintln(a.sys.stderr, "mediaauth: "+msg)
}

// dispatch parses the global flags and runs the command they are followed by.
func (a *app) dispatch(ctx context.Context, args []string) error {
	fs := a.flagSet("mediaauth")
	if err := a.parse(fs, args, mainUsage); err != nil {
		return err
	}
	rest := fs.Args()
	if len(rest) == 0 {
		a.printUsage(a.sys.stderr, mainUsage)
		return &usageError{msg: "no command given"}
	}
	cmd, ok := commands[rest[0]]
	if !ok {
		return usagef("unknown command %q", rest[0])
	}
	a.command = rest[0]
	return cmd.run(a, ctx, rest[1:])
}

// flagSet returns a FlagSet that reports errors to run (never prints or
// exits itself) and knows the global flags.
func (a *app) flagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	a.globals.register(fs)
	return fs
}

// parse parses args with fs; -h prints usage to stdout (flag.ErrHelp) and
// a bad flag is a usage error.
func (a *app) parse(fs *flag.FlagSet, args []string, usage string) error {
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		a.printUsage(a.sys.stdout, usage)
		if fs.Name() != "mediaauth" {
			a.printFlags(a.sys.stdout, fs)
		}
		return flag.ErrHelp
	case err != nil:
		return &usageError{msg: fs.Name() + ": " + err.Error()}
	}
	a.globals.fromFlags(fs)
	return nil
}

// parseAll parses the flags of a command that takes no subcommand: flags
// may come before, between and after its arguments ("--" ends the flags).
// It returns the arguments.
func (a *app) parseAll(fs *flag.FlagSet, args []string, usage string) ([]string, error) {
	var pos []string
	for {
		if err := a.parse(fs, args, usage); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, a.needJSONFree()
		}
		if i := len(args) - len(rest); i > 0 && args[i-1] == "--" {
			return append(pos, rest...), a.needJSONFree()
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// printUsage writes a usage text.
func (a *app) printUsage(w io.Writer, usage string) {
	fmt.Fprint(w, strings.TrimLeft(usage, "\n"))
}

// printFlags lists the flags of a command, without the global ones.
func (a *app) printFlags(w io.Writer, fs *flag.FlagSet) {
	var lines []string
	fs.VisitAll(func(f *flag.Flag) {
		if isGlobalFlag(f.Name) {
			return
		}
		name, usage := flag.UnquoteUsage(f)
		line := "  --" + f.Name
		if name != "" {
			line += " " + name
		}
		line += "\n      " + usage
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" && f.DefValue != "0s" {
			line += " (default " + f.DefValue + ")"
		}
		lines = append(lines, line)
	})
	if len(lines) == 0 {
		return
	}
	sort.Strings(lines)
	fmt.Fprintln(w, "\nFlags:")
	for _, l := range lines {
		fmt.Fprintln(w, l)
	}
	fmt.Fprintln(w, "\nGlobal flags and environment variables: mediaauth help")
}

// noArgs refuses positional arguments.
func noArgs(fs *flag.FlagSet, args []string) error {
	if len(args) > 0 {
		return usagef("%s: unexpected argument %q", fs.Name(), args[0])
	}
	return nil
}

const mainUsage = `
Usage: mediaauth [global flags] COMMAND [flags] [arguments]

Log in once, from a terminal, to the Movies API, TVmaze and TMDb, keep the
credentials, and hand them to scripts; or run the fake of all three APIs.

Commands:
  login movies      log in with a username and a password (read without echo)
  login tvmaze      log in by confirming a request sent to your TVmaze email
  login tmdb        log in by approving a request in your browser (--v4, --password)
  status            check every stored credential against its API
  logout API        revoke a credential where the API can, and forget it
  token API         print a stored secret for scripts
  fake              run the fake of the three APIs as a standalone server
  version           print the version of mediaauth
  help [COMMAND]    show this help, or a command's

Global flags (before or after the command):
  --profile NAME        the account to use: one user may keep several
                        [MEDIAAUTH_PROFILE] (default "default")
  --config-dir DIR      where credentials.json is kept (mode 0600)
                        [MEDIAAUTH_CONFIG_DIR] (default: mediaauth in your
                        user config directory, e.g. ~/.config/mediaauth)
  --insecure-storage    keep credentials in credentials.json, not in the OS
                        keychain, and do not use the keychain at all
                        [MEDIAAUTH_INSECURE_STORAGE=1]
  --movies-url URL      the Movies API, which has no default address
                        [MEDIAAUTH_MOVIES_URL]
  --tvmaze-url URL      TVmaze's user API [MEDIAAUTH_TVMAZE_URL]
                        (default https://api.tvmaze.com/v1)
  --tmdb-url URL        TMDb's API root [MEDIAAUTH_TMDB_URL]
                        (default https://api.themoviedb.org)
  --tmdb-site-url URL   TMDb's website, for the approval pages
                        [MEDIAAUTH_TMDB_SITE_URL] (default https://www.themoviedb.org)
  --json                JSON output (status and token)

Environment:
  TMDB_API_KEY             your TMDb application's API key
  TMDB_READ_ACCESS_TOKEN   your TMDb application's read access token (wins
                           over the key; needed by login tmdb --v4)
  BROWSER                  the programs that open web pages, separated by
                           ':' and tried in turn, %s for the page (default
                           xdg-open, open or rundll32)
  OTEL_EXPORTER_OTLP_ENDPOINT  an OpenTelemetry collector: the command's
                           calls are sent to it as traces (OTLP/HTTP, JSON),
                           with the other OTEL_ variables' settings

Credentials live in the OS keychain (macOS Keychain, Windows Credential
Manager, the Secret Service on Linux) when one answers, else in
credentials.json; status says where each one is.

Run every command against the fake: start "mediaauth fake" and paste the
export lines it prints.

Exit status: 0 on success, 1 on an error, 2 on a usage error, 130 when
interrupted (Ctrl-C).
`

// helpCommand is "mediaauth help [COMMAND]".
var helpCommand = &command{
	summary: "show help",
	usage:   mainUsage,
	run: func(a *app, _ context.Context, args []string) error {
		fs := a.flagSet("help")
		if err := a.parse(fs, args, mainUsage); err != nil {
			return err
		}
		name := strings.Join(fs.Args(), " ")
		switch name {
		case "":
			a.printUsage(a.sys.stdout, mainUsage)
			return nil
		case "login movies", "login tvmaze", "login tmdb":
			return a.dispatch(context.Background(), []string{"login", strings.TrimPrefix(name, "login "), "-h"})
		}
		cmd, ok := commands[name]
		if !ok || cmd == commands["help"] {
			return usagef("help: unknown command %q", name)
		}
		return a.dispatch(context.Background(), []string{name, "-h"})
	},
}
