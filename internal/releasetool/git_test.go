package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	modzip "golang.org/x/mod/zip"
)

// testRepo is a git repository in a temporary directory.
type testRepo struct {
	t   *testing.T
	dir string
	// when is the time of the next commit; each commit adds a minute.
	when time.Time
}

// newRepo returns a git repository holding files (slash paths to
// contents), committed.
func newRepo(t *testing.T, files map[string]string) *testRepo {
	t.Helper()
	r := &testRepo{t: t, dir: t.TempDir(), when: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	r.git("init", "-q", "-b", "main")
	r.write(files)
	r.commit("first")
	return r
}

// git runs git in the repository and returns its output.
func (r *testRepo) git(args ...string) string {
	r.t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = r.dir
	date := r.when.Format(time.RFC3339)
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com",
		"GIT_AUTHOR_DATE="+date, "GIT_COMMITTER_DATE="+date)
	out, err := cmd.CombinedOutput()
	if err != nil {
		r.t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// write writes files into the work tree.
func (r *testRepo) write(files map[string]string) {
	r.t.Helper()
	writeFiles(r.t, r.dir, files)
}

// commit commits every change and returns the commit's hash.
func (r *testRepo) commit(msg string) string {
	r.t.Helper()
	r.git("add", "-A")
	r.git("commit", "-q", "--allow-empty", "-m", msg)
	r.when = r.when.Add(time.Minute)
	return r.git("rev-parse", "HEAD")
}

// writeFiles writes files (slash paths to contents) under dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// readFile returns a file's content.
func readFile(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// names returns the sorted paths of files.
func names(files []modzip.File) []string {
	var n []string
	for _, f := range files {
		n = append(n, f.Path())
	}
	sort.Strings(n)
	return n
}

func TestCommitResolvesRevisionsAndRefusesOthers(t *testing.T) {
	t.Parallel()
	r := newRepo(t, map[string]string{"a.txt": "a"})
	head := r.git("rev-parse", "HEAD")
	r.git("tag", "v1.0.0")
	g := gitRepo{dir: r.dir}
	for _, rev := range []string{head, head[:12], "refs/tags/v1.0.0"} {
		hash, at, err := g.commit(context.Background(), rev)
		if err != nil || hash != head || !at.Equal(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)) {
			t.Errorf("commit(%q) = %q, %v, %v; want %s at 2026-01-02T03:04:05Z", rev, hash, at, err, head)
		}
	}
	for _, rev := range []string{"refs/tags/v9.9.9", "0123456789ab", "--all", ""} {
		if _, _, err := g.commit(context.Background(), rev); !errors.Is(err, errNoRevision) {
			t.Errorf("commit(%q): %v, want errNoRevision", rev, err)
		}
	}
	tags, err := g.tags(context.Background())
	if err != nil || strings.Join(tags, " ") != "v1.0.0" {
		t.Errorf("tags = %q, %v", tags, err)
	}
}

func TestFilesAtTakesADirectoryOfACommit(t *testing.T) {
	t.Parallel()
	r := newRepo(t, map[string]string{"go.mod": "module m\n", "a.go": "package a\n", "sub/go.mod": "module m/sub\n", "sub/b.go": "package b\n"})
	first := r.git("rev-parse", "HEAD")
	r.write(map[string]string{"sub/c.go": "package b\n"})
	r.commit("second")
	g := gitRepo{dir: r.dir}
	files, err := g.filesAt(context.Background(), first, "sub")
	if err != nil || strings.Join(names(files), " ") != "b.go go.mod" {
		t.Errorf("sub at the first commit: %q, %v", names(files), err)
	}
	files, err = g.filesAt(context.Background(), "HEAD", ".")
	if err != nil || strings.Join(names(files), " ") != "a.go go.mod sub/b.go sub/c.go sub/go.mod" {
		t.Errorf("root at HEAD: %q, %v", names(files), err)
	}
}

func TestWorkTreeFilesLeavesOutIgnoredFiles(t *testing.T) {
	t.Parallel()
	r := newRepo(t, map[string]string{".gitignore": "*.out\n", "a.go": "package a\n", "gone.go": "package a\n"})
	r.write(map[string]string{"new.go": "package a\n", "x.out": "built"})
	if err := os.Remove(filepath.Join(r.dir, "gone.go")); err != nil {
		t.Fatal(err)
	}
	files, err := workTreeFiles(context.Background(), r.dir)
	if err != nil || strings.Join(names(files), " ") != ".gitignore a.go new.go" {
		t.Errorf("in a git work tree: %q, %v", names(files), err)
	}
	// Outside git: every file.
	plain := t.TempDir()
	writeFiles(t, plain, map[string]string{"a.go": "package a\n", "x.out": "built", "d/e.go": "package d\n"})
	files, err = workTreeFiles(context.Background(), plain)
	if err != nil || strings.Join(names(files), " ") != "a.go d/e.go x.out" {
		t.Errorf("outside git: %q, %v", names(files), err)
	}
	sub := subdirFiles(files, "d")
	if strings.Join(names(sub), " ") != "e.go" {
		t.Errorf("subdirFiles: %q", names(sub))
	}
}
