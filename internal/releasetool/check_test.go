package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// repoPath is the root module of the test repositories.
const repoPath = "github.com/relcheck/repo"

// multiModule returns the files of a repository with a root module, a
// sub-module that requires the root module at version, a development
// tool module and a module in testdata (not one of the repository's).
func multiModule(version string) map[string]string {
	return map[string]string{
		"go.mod":                "module " + repoPath + "\n\ngo 1.24\n",
		"repo.go":               "package repo\n\n// Hello says hello.\nfunc Hello() string { return \"hello\" }\n",
		"sub/go.mod":            "module " + repoPath + "/sub\n\ngo 1.24\n\nrequire " + repoPath + " " + version + "\n",
		"sub/sub.go":            "package sub\n\nimport \"" + repoPath + "\"\n\n// Hello says hello too.\nfunc Hello() string { return repo.Hello() }\n",
		"go.work":               "go 1.24\n\nuse (\n\t.\n\t./internal/tool\n\t./sub\n)\n",
		"internal/tool/go.mod":  "module " + repoPath + "/internal/tool\n\ngo 1.24\n",
		"internal/tool/main.go": "package main\n\nfunc main() {}\n",
		"testdata/x/go.mod":     "module ignored\n",
	}
}

// runTool runs the command line and returns its exit status and output.
func runTool(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// releasedRepo returns a repository whose sub-module requires the root
// module at v0.1.0, tagged, with go.sum and go.work in step.
func releasedRepo(t *testing.T) *testRepo {
	t.Helper()
	r := newRepo(t, multiModule("v0.1.0"))
	r.git("tag", "v0.1.0")
	if code, out, errs := runTool(t, "sync", r.dir); code != 0 {
		t.Fatalf("sync: %d\n%s%s", code, out, errs)
	}
	r.commit("sync")
	return r
}

func TestCheckAcceptsARealVersion(t *testing.T) {
	t.Parallel()
	r := releasedRepo(t)
	if code, out, errs := runTool(t, "check", r.dir); code != 0 || out != "" || errs != "" {
		t.Fatalf("check: %d\n%s%s", code, out, errs)
	}
	if work := readFile(t, r.dir+"/go.work"); !strings.Contains(work, "replace "+repoPath+" v0.1.0 => ./\n") {
		t.Errorf("go.work does not replace the required version by its directory:\n%s", work)
	}
	sums := readFile(t, r.dir+"/sub/go.sum")
	if !strings.HasPrefix(sums, repoPath+" v0.1.0 h1:") || !strings.Contains(sums, "\n"+repoPath+" v0.1.0/go.mod h1:") {
		t.Errorf("sub/go.sum:\n%s", sums)
	}

	// A pseudo-version of a commit is a real version too.
	head := r.git("rev-parse", "HEAD")
	pseudo := "v0.1.1-0.20260102030505-" + head[:12] // the time of the second commit
	r.write(map[string]string{"sub/go.mod": "module " + repoPath + "/sub\n\ngo 1.24\n\nrequire " + repoPath + " " + pseudo + "\n"})
	if code, out, errs := runTool(t, "sync", r.dir); code != 0 {
		t.Fatalf("sync: %d\n%s%s", code, out, errs)
	}
	if code, out, errs := runTool(t, "check", r.dir); code != 0 {
		t.Fatalf("check of %s: %d\n%s%s", pseudo, code, out, errs)
	}
}

func TestCheckReportsVersionsThatDoNotExist(t *testing.T) {
	t.Parallel()
	r := releasedRepo(t)
	head := r.git("rev-parse", "HEAD")
	for _, tt := range []struct{ version, want string }{
		{"v0.7.0", "sub/go.mod: requires " + repoPath + " v0.7.0, which does not exist: no tag v0.7.0 in this repository"},
		{"v0.0.0", "sub/go.mod: requires " + repoPath + " v0.0.0, which does not exist: no tag v0.0.0 in this repository"},
		{"v0.0.0-20260102030505-0123456789ab", "which does not exist: no commit 0123456789ab in this repository"},
		{"v0.1.1-0.20250101000000-" + head[:12], "which does not exist: commit " + head[:12] + " was made at 2026-01-02T03:05:05Z, not at the pseudo-version's 2025-01-01T00:00:00Z"},
	} {
		t.Run(tt.version, func(t *testing.T) {
			dir := t.TempDir()
			r.git("worktree", "add", "-q", "--detach", dir)
			writeFiles(t, dir, map[string]string{"sub/go.mod": "module " + repoPath + "/sub\n\ngo 1.24\n\nrequire " + repoPath + " " + tt.version + "\n"})
			code, out, _ := runTool(t, "check", dir)
			if code != 1 || !strings.Contains(out, tt.want+"\n") {
				t.Errorf("check: exit %d, want 1 and the line %q in:\n%s", code, tt.want, out)
			}
			if !strings.Contains(out, "go.work: does not replace "+repoPath+" "+tt.version+" => ./") {
				t.Errorf("go.work's replace lines not checked:\n%s", out)
			}
		})
	}
}

func TestCheckReportsReplaceAndMissingSums(t *testing.T) {
	t.Parallel()
	r := releasedRepo(t)
	r.write(map[string]string{
		"sub/go.mod": "module " + repoPath + "/sub\n\ngo 1.24\n\nrequire " + repoPath + " v0.1.0\n\nreplace " + repoPath + " => ../\n",
		"sub/go.sum": "",
	})
	code, out, _ := runTool(t, "check", r.dir)
	for _, want := range []string{
		"sub/go.mod: replace " + repoPath + " => ../: a user's build ignores it; go.work joins the modules for development\n",
		"sub/go.mod: requires " + repoPath + " v0.1.0, but go.sum does not hold its hashes",
	} {
		if code != 1 || !strings.Contains(out, want) {
			t.Errorf("check: exit %d, want 1 and %q in:\n%s", code, want, out)
		}
	}
}

func TestCheckWorkspace(t *testing.T) {
	t.Parallel()
	r := releasedRepo(t)
	for _, tt := range []struct{ work, want string }{
		{"go 1.24\n\nuse (\n\t.\n\t./sub\n)\n\nreplace " + repoPath + " v0.1.0 => ./\n", "go.work: does not use ./internal/tool\n"},
		{"go 1.24\n\nuse (\n\t.\n\t./internal/tool\n\t./sub\n\t./gone\n)\n\nreplace " + repoPath + " v0.1.0 => ./\n", "go.work: uses gone, which is not a module of the repository\n"},
		{"go 1.24\n\nuse (\n\t.\n\t./internal/tool\n\t./sub\n)\n\nreplace " + repoPath + " v0.1.0 => ./sub\n", "go.work: replace " + repoPath + " v0.1.0 => ./sub: not its directory ./\n"},
		{"go 1.24\n\nuse (\n\t.\n\t./internal/tool\n\t./sub\n)\n\nreplace " + repoPath + " v0.1.0 => ./\nreplace " + repoPath + " v0.0.9 => ./\n", "go.work: replace " + repoPath + " v0.0.9: no module of the repository requires it\n"},
		{"", "go.work: missing"},
	} {
		dir := t.TempDir()
		r.git("worktree", "add", "-q", "--detach", dir)
		writeFiles(t, dir, map[string]string{"go.work": tt.work})
		if tt.work == "" {
			if err := os.Remove(filepath.Join(dir, "go.work")); err != nil {
				t.Fatal(err)
			}
		}
		code, out, errs := runTool(t, "check", dir)
		if code != 1 || !strings.Contains(out, tt.want) {
			t.Errorf("go.work\n%s\ncheck: exit %d, want 1 and %q in:\n%s%s", tt.work, code, tt.want, out, errs)
		}
	}
}

func TestCheckTakesTheReleaseFromTheWorkTree(t *testing.T) {
	t.Parallel()
	r := releasedRepo(t)
	if code, out, errs := runTool(t, "set-version", "v0.2.0", r.dir); code != 0 {
		t.Fatalf("set-version: %d\n%s%s", code, out, errs)
	}
	if code, out, _ := runTool(t, "check", r.dir); code != 1 || !strings.Contains(out, "which does not exist: no tag v0.2.0 in this repository") {
		t.Errorf("check before the tag: exit %d\n%s", code, out)
	}
	if code, out, errs := runTool(t, "check", "-release", "v0.2.0", r.dir); code != 0 {
		t.Errorf("check -release v0.2.0: exit %d\n%s%s", code, out, errs)
	}
	// A change to the root module after set-version changes its hash.
	r.write(map[string]string{"repo.go": "package repo\n\n// Hello says hello.\nfunc Hello() string { return \"hi\" }\n"})
	if code, out, _ := runTool(t, "check", "-release", "v0.2.0", r.dir); code != 1 || !strings.Contains(out, "sub/go.mod: requires "+repoPath+" v0.2.0, but go.sum does not hold its hashes") {
		t.Errorf("check -release after a change: exit %d\n%s", code, out)
	}
	if code, _, errs := runTool(t, "check", "-release"); code != 2 || !strings.Contains(errs, "-release needs a version") {
		t.Errorf("check -release without a version: exit %d, %s", code, errs)
	}
}
