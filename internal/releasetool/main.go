// Command releasetool prepares and checks the releases of the modules of
// this repository: the root module github.com/mediaauth/mediaauth and its
// sub-modules, tagged together (vX.Y.Z for the root, DIR/vX.Y.Z for the
// module in DIR). Modules whose path has an element "internal", like this
// one, are development tools and are not released.
//
// The scripts in scripts/ run it; each subcommand does one step:
//
//	releasetool modules [ROOT]                 the released modules: DIR, path, tag prefix
//	releasetool check [-release V] [ROOT]      go.work, and the in-repository requirements exist
//	releasetool sync [ROOT]                    go.sum lines and go.work replacements of those requirements
//	releasetool set-version VERSION [ROOT]     make every module require the others at VERSION
//	releasetool export SRC DST                 copy the work tree as a commit would hold it
//	releasetool proxy VERSION TREE DST         serve every released module of TREE at VERSION
//	releasetool readme README.md DST           write the README's Go programs into DST
//	releasetool install-lines README.md        print the README's go get and go install commands
//	releasetool next-version [ROOT]            a test version above every release
//	releasetool changelog VERSION DATE FILE    open CHANGELOG.md's release section
//	releasetool archive VERSION DIR [FILE...]  archive built binaries and write checksums
//
// ROOT is the repository's root, "." by default.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// errUsage is a mistake in the command line.
var errUsage = errors.New("usage")

// errProblems ends a command that has printed the problems it found.
var errProblems = errors.New("problems found")

// subcommand runs one step with its arguments.
type subcommand struct {
	args string
	run  func(ctx context.Context, args []string, stdout io.Writer) error
	// min and max bound the number of arguments; max -1 is no bound.
	min, max int
}

// subcommands are the steps, by name.
func subcommands() map[string]subcommand {
	return map[string]subcommand{
		"modules":       {"[ROOT]", runModules, 0, 1},
		"check":         {"[-release VERSION] [ROOT]", runCheck, 0, 3},
		"sync":          {"[ROOT]", runSync, 0, 1},
		"set-version":   {"VERSION [ROOT]", runSetVersion, 1, 2},
		"export":        {"SRC DST", runExport, 2, 2},
		"proxy":         {"VERSION TREE DST", runProxy, 3, 3},
		"readme":        {"README.md DST", runReadme, 2, 2},
		"install-lines": {"README.md", runInstallLines, 1, 1},
		"next-version":  {"[ROOT]", runNextVersion, 0, 1},
		"changelog":     {"VERSION DATE FILE", runChangelog, 3, 3},
		"archive":       {"VERSION DIR [FILE...]", runArchive, 2, -1},
	}
}

// run runs the command line args and returns the exit status: 0 on
// success, 1 when it failed or found problems, 2 on a usage error.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cmds := subcommands()
	if len(args) == 0 {
		printUsage(stderr, cmds)
		return 2
	}
	cmd, ok := cmds[args[0]]
	if !ok || len(args)-1 < cmd.min || cmd.max >= 0 && len(args)-1 > cmd.max {
		printUsage(stderr, cmds)
		return 2
	}
	err := cmd.run(ctx, args[1:], stdout)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errProblems):
		return 1
	case errors.Is(err, errUsage):
		fmt.Fprintf(stderr, "releasetool %s: %v\n", args[0], err)
		return 2
	}
	fmt.Fprintf(stderr, "releasetool %s: %v\n", args[0], err)
	return 1
}

// printUsage lists the subcommands.
func printUsage(w io.Writer, cmds map[string]subcommand) {
	names := make([]string, 0, len(cmds))
	for name := range cmds {
		names = append(names, name)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("usage:\n")
	for _, name := range names {
		fmt.Fprintf(&b, "  releasetool %s %s\n", name, cmds[name].args)
	}
	fmt.Fprint(w, b.String())
}

// argOr returns args[i], or def when there are fewer arguments.
func argOr(args []string, i int, def string) string {
	if i < len(args) {
		return args[i]
	}
	return def
}
