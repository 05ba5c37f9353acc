package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"
)

// The command's prompts and the pages it shows. Every read of stdin
// returns at once when the context ends (Ctrl-C, SIGTERM), whatever the
// read is waiting for: the read itself is left behind, since the command
// exits (status 130) right after.

// lineResult is one line read from stdin.
type lineResult struct {
	line string
	err  error
}

// line reads one line from stdin, without its line ending; io.EOF when
// stdin is empty; errInterrupted as soon as ctx ends.
func (a *app) line(ctx context.Context) (string, error) {
	if a.in == nil {
		a.in = bufio.NewReader(a.sys.stdin)
	}
	done := make(chan lineResult, 1)
	go func() {
		s, err := a.in.ReadString('\n')
		if err != nil && (!errors.Is(err, io.EOF) || s == "") {
			done <- lineResult{"", err}
			return
		}
		done <- lineResult{strings.TrimRight(s, "\r\n"), nil}
	}()
	select {
	case r := <-done:
		return r.line, r.err
	case <-ctx.Done():
		return "", errInterrupted
	}
}

// prompt asks a question on stderr and reads the answer from stdin.
func (a *app) prompt(ctx context.Context, question string) (string, error) {
	fmt.Fprint(a.sys.stderr, question)
	s, err := a.line(ctx)
	if errors.Is(err, errInterrupted) {
		fmt.Fprintln(a.sys.stderr)
		return "", err
	}
	if err != nil {
		return "", fmt.Errorf("reading the answer to %q: %w", strings.TrimSpace(question), err)
	}
	return strings.TrimSpace(s), nil
}

// password reads a secret: without echo from a terminal (after prompt on
// stderr), or as the first line of stdin when it is a pipe or a file.
func (a *app) password(ctx context.Context, prompt string) (string, error) {
	var pw string
	if a.sys.isTerminal(a.sys.stdin) {
		fmt.Fprint(a.sys.stderr, prompt)
		p, err := a.sys.readPassword(ctx, a.sys.stdin)
		fmt.Fprintln(a.sys.stderr)
		if errors.Is(err, errInterrupted) || ctx.Err() != nil {
			return "", errInterrupted
		}
		if err != nil {
			return "", fmt.Errorf("reading the password: %w", err)
		}
		pw = p
	} else {
		p, err := a.line(ctx)
		switch {
		case errors.Is(err, errInterrupted):
			return "", err
		case errors.Is(err, io.EOF):
			return "", errors.New("no password on stdin: pipe it in, or run in a terminal")
		case err != nil:
			return "", fmt.Errorf("reading the password from stdin: %w", err)
		}
		pw = p
	}
	if pw == "" {
		return "", errors.New("empty password")
	}
	return pw, nil
}

// readTerminalPassword reads a line from the terminal stdin without echo,
// and returns errInterrupted as soon as ctx ends, with the terminal's echo
// back on.
func readTerminalPassword(ctx context.Context, stdin any) (string, error) {
	f, ok := stdin.(*os.File)
	if !ok {
		return "", errors.New("stdin is not a terminal")
	}
	fd := int(f.Fd())
	state, err := term.GetState(fd)
	if err != nil {
		return "", err
	}
	done := make(chan lineResult, 1)
	go func() {
		b, err := term.ReadPassword(fd)
		done <- lineResult{string(b), err}
	}()
	select {
	case r := <-done:
		return r.line, r.err
	case <-ctx.Done():
		_ = term.Restore(fd, state)
		return "", errInterrupted
	}
}

// pageShower returns the opener the command gives the library's waits: it
// prints the page's address under what, then opens it in the browser when
// open is set, and says whether that worked. It never fails: the address
// printed is enough.
func (a *app) pageShower(what string, open bool) func(ctx context.Context, url string) (bool, error) {
	return func(ctx context.Context, url string) (bool, error) {
		fmt.Fprintf(a.sys.stderr, "%s:\n\n    %s\n\n", what, url)
		if !open {
			return false, nil
		}
		opened, err := a.sys.openPage(ctx, url)
		switch {
		case opened:
			fmt.Fprintln(a.sys.stderr, "Opened it in your browser.")
		case err != nil:
			fmt.Fprintf(a.sys.stderr, "Could not open a browser (%s): open the address above yourself.\n", oneLine(err.Error()))
		default:
			fmt.Fprintln(a.sys.stderr, "No browser opened it: open the address above yourself.")
		}
		return opened, nil
	}
}
