package mediaauth

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"time"
)

// PageOpener shows a person the page where they approve a login, given to
// a wait with [WithPageOpener]. It reports whether it opened the page (in
// a browser, say): false with a nil error means it showed the address some
// other way (printed it), and an error means the person was not shown the
// page at all, which ends the wait. [SystemBrowser] is one.
type PageOpener func(ctx context.Context, pageURL string) (opened bool, err error)

// browserGrace is how long SystemBrowser waits for a browser command to
// exit: one still running then is taken to have opened the page.
const browserGrace = 2 * time.Second

// SystemBrowser returns a [PageOpener] that opens pages in the system's
// browser as other tools do: with the commands of the BROWSER environment
// variable (read now) when it is set, else xdg-open (Linux and the BSDs),
// open (macOS) or rundll32 (Windows). See [BrowserOpener].
func SystemBrowser() PageOpener { return BrowserOpener(os.Getenv("BROWSER")) }

// BrowserOpener returns a [PageOpener] that runs the commands of browser,
// a value of the BROWSER environment variable: a list of commands
// separated by ':' (';' on Windows), tried in turn until one opens the
// page. In each command, words are split at spaces (quotes group them),
// %s stands for the page (%% for a percent sign), and the page is added as
// the last argument when there is no %s. An empty browser means the
// system's opener (xdg-open, open or rundll32).
//
// A command opened the page when it exits with status 0, or is still
// running after two seconds (a browser that stays in the foreground) or
// when ctx ends. One that cannot start or exits with another status did
// not: the opener tries the next, and reports every failure, with the
// last line of each command's error output, when none opened it. No shell
// is involved.
func BrowserOpener(browser string) PageOpener {
	return func(ctx context.Context, pageURL string) (bool, error) {
		cmds := browserCommands(browser, pageURL)
		if len(cmds) == 0 {
			return false, errors.New("no browser command: set BROWSER")
		}
		var errs []error
		for _, argv := range cmds {
			err := runBrowser(ctx, argv, pageURL)
			if err == nil {
				return true, nil
			}
			errs = append(errs, err)
			if ctx.Err() != nil {
				break
			}
		}
		return false, errors.Join(errs...)
	}
}

// browserCommands returns the commands that may open pageURL, in order.
func browserCommands(browser, pageURL string) [][]string {
	if strings.TrimSpace(browser) == "" {
		switch runtime.GOOS {
		case "darwin":
			return [][]string{{"open", pageURL}}
		case "windows":
			return [][]string{{"rundll32", "url.dll,FileProtocolHandler", pageURL}}
		}
		return [][]string{{"xdg-open", pageURL}}
	}
	var cmds [][]string
	for _, entry := range strings.Split(browser, string(os.PathListSeparator)) {
		words := splitWords(entry)
		if len(words) == 0 {
			continue
		}
		placed := false
		for i, w := range words {
			if strings.Contains(w, "%s") {
				placed = true
			}
			words[i] = expandPercent(w, pageURL)
		}
		if !placed {
			words = append(words, pageURL)
		}
		cmds = append(cmds, words)
	}
	return cmds
}

// expandPercent replaces %s with page and %% with %, as printf does.
func expandPercent(word, page string) string {
	if !strings.Contains(word, "%") {
		return word
	}
	var b strings.Builder
	for i := 0; i < len(word); i++ {
		if word[i] == '%' && i+1 < len(word) && (word[i+1] == 's' || word[i+1] == '%') {
			if word[i+1] == 's' {
				b.WriteString(page)
			} else {
				b.WriteByte('%')
			}
			i++
			continue
		}
		b.WriteByte(word[i])
	}
	return b.String()
}

// splitWords splits a command at unquoted spaces; single and double quotes
// group words and a backslash escapes the next character outside single
// quotes, as a shell would (without expanding anything).
func splitWords(s string) []string {
	var words []string
	var cur strings.Builder
	inWord := false
	var quote rune
	escaped := false
	for _, r := range s {
		switch {
		case escaped:
			cur.WriteRune(r)
			escaped = false
		case r == '\\' && quote != '\'':
			escaped, inWord = true, true
		case quote != 0 && r == quote:
			quote = 0
		case quote == 0 && (r == '\'' || r == '"'):
			quote, inWord = r, true
		case quote == 0 && (r == ' ' || r == '\t'):
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}

// runBrowser runs one browser command and says why it did not open the
// page, or nil when it did.
func runBrowser(ctx context.Context, argv []string, pageURL string) error {
	name := argv[0]
	cmd := exec.Command(name, argv[1:]...)
	var stderr capped
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	timer := time.NewTimer(browserGrace)
	defer timer.Stop()
	select {
	case err := <-done:
		if err == nil {
			return nil
		}
		if msg := lastLine(strings.ReplaceAll(stderr.String(), pageURL, "<page>")); msg != "" {
			return fmt.Errorf("%s: %w: %s", name, err, msg)
		}
		return fmt.Errorf("%s: %w", name, err)
	case <-timer.C:
		return nil // still running: a browser in the foreground
	case <-ctx.Done():
		return nil // still running when the wait for it ended
	}
}

// capped is a writer that keeps the first 4 KiB written to it.
type capped struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (c *capped) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if room := 4<<10 - c.buf.Len(); room > 0 {
		c.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (c *capped) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.buf.String()
}

// lastLine returns the last non-empty line of s, at most 200 bytes.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return truncate(strings.TrimSpace(lines[len(lines)-1]), 200)
}
