package mediaauth

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBrowserCommands reads BROWSER as other tools do: alternatives
// separated by the path list separator, %s for the page, quotes.
func TestBrowserCommands(t *testing.T) {
	t.Parallel()
	const page = "https://example.com/a?b=c"
	sep := string(os.PathListSeparator)
	tests := map[string][][]string{
		"firefox":                          {{"firefox", page}},
		"firefox %s":                       {{"firefox", page}},
		"firefox --new-tab=%s":             {{"firefox", "--new-tab=" + page}},
		"echo 100%% %s":                    {{"echo", "100%", page}},
		"false" + sep + "firefox" + sep:    {{"false", page}, {"firefox", page}},
		`"/opt/my browser/run" --url '%s'`: {{"/opt/my browser/run", "--url", page}},
		`w3m\ x`:                           {{"w3m x", page}},
		"  ":                               nil,
	}
	for browser, want := range tests {
		if strings.TrimSpace(browser) == "" {
			continue
		}
		assert.Equal(t, want, browserCommands(browser, page), browser)
	}
	def := browserCommands("", page)
	require.Len(t, def, 1)
	assert.Equal(t, page, def[0][len(def[0])-1])
	switch runtime.GOOS {
	case "darwin":
		assert.Equal(t, "open", def[0][0])
	case "windows":
		assert.Equal(t, "rundll32", def[0][0])
	default:
		assert.Equal(t, "xdg-open", def[0][0])
	}
	assert.Equal(t, def, browserCommands("  ", page), "a blank BROWSER is the system's opener")
}

// TestBrowserOpener runs real commands: only one that exits 0, or keeps
// running, opened the page; the error of one that did not holds the last
// line it wrote to stderr, without the page.
func TestBrowserOpener(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the commands are POSIX shell")
	}
	t.Parallel()
	const page = "https://example.com/approve/tok-5ecret"
	sep := string(os.PathListSeparator)
	dir := t.TempDir()
	marker := filepath.Join(dir, "opened")
	script := "sh -c 'echo \"$0\" > " + marker + "'"
	t.Run("fails", func(t *testing.T) {
		t.Parallel()
		opened, err := BrowserOpener("false")(t.Context(), page)
		assert.False(t, opened)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "false: exit status 1")
	})
	t.Run("no desktop", func(t *testing.T) {
		t.Parallel()
		opened, err := BrowserOpener(`sh -c 'echo "no method available for opening $0" >&2; exit 3'`)(t.Context(), page)
		assert.False(t, opened)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "sh: exit status 3: no method available for opening <page>")
		assert.NotContains(t, err.Error(), "5ecret")
	})
	t.Run("not installed", func(t *testing.T) {
		t.Parallel()
		opened, err := BrowserOpener("no-such-browser-command")(t.Context(), page)
		assert.False(t, opened)
		assert.ErrorIs(t, err, exec.ErrNotFound)
	})
	t.Run("second alternative", func(t *testing.T) {
		t.Parallel()
		opened, err := BrowserOpener("false"+sep+script)(t.Context(), page)
		require.NoError(t, err)
		assert.True(t, opened)
		data, err := os.ReadFile(marker)
		require.NoError(t, err)
		assert.Equal(t, page+"\n", string(data))
	})
	t.Run("stays in the foreground", func(t *testing.T) {
		t.Parallel()
		start := time.Now()
		opened, err := BrowserOpener("sh -c 'sleep 3'")(t.Context(), page)
		require.NoError(t, err)
		assert.True(t, opened)
		assert.Less(t, time.Since(start), browserGrace+time.Second)
	})
	t.Run("context", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
		defer cancel()
		start := time.Now()
		opened, err := BrowserOpener("sh -c 'sleep 3'")(ctx, page)
		require.NoError(t, err)
		assert.True(t, opened, "still running when the wait ended")
		assert.Less(t, time.Since(start), time.Second)
	})
}
