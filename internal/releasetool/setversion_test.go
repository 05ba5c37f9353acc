package main

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/module"
)

// goRun runs the go command in dir with env and returns its output.
func goRun(t *testing.T, env []string, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func TestSetVersionMakesTheModulesRequireEachOtherAtTheRelease(t *testing.T) {
	t.Parallel()
	r := releasedRepo(t)
	const version = "v0.2.0-rc.1"
	if code, out, errs := runTool(t, "set-version", version, r.dir); code != 0 {
		t.Fatalf("set-version: %d\n%s%s", code, out, errs)
	}
	if gomod := readFile(t, filepath.Join(r.dir, "sub", "go.mod")); !strings.Contains(gomod, "require "+repoPath+" "+version+"\n") {
		t.Errorf("sub/go.mod:\n%s", gomod)
	}
	work := readFile(t, filepath.Join(r.dir, "go.work"))
	if !strings.Contains(work, "replace "+repoPath+" "+version+" => ./\n") || strings.Contains(work, "v0.1.0") {
		t.Errorf("go.work:\n%s", work)
	}
	sums, err := readSums(filepath.Join(r.dir, "sub", "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := sums[module.Version{Path: repoPath, Version: "v0.1.0"}]; ok || len(sums) != 2 {
		t.Errorf("sub/go.sum: %v, want only the lines of %s", sums, version)
	}

	// The proxy serves what set-version hashed: the go command agrees.
	dst := t.TempDir()
	code, out, errs := runTool(t, "proxy", version, r.dir, dst)
	if code != 0 || out != repoPath+"@"+version+"\n"+repoPath+"/sub@"+version+"\n" {
		t.Fatalf("proxy: %d\n%s%s", code, out, errs)
	}
	env := goEnv(t, "file://"+filepath.ToSlash(dst), r.dir)
	got := goDownload(t, env, repoPath+"@"+version)
	want := moduleSum{zip: sums[module.Version{Path: repoPath, Version: version}], mod: sums[module.Version{Path: repoPath, Version: version + "/go.mod"}]}
	if got != want {
		t.Errorf("the go command computes %+v from the proxy, set-version wrote %+v", got, want)
	}
}

func TestSetVersionRefusesWhatUsersCannotGet(t *testing.T) {
	t.Parallel()
	r := releasedRepo(t)
	for _, v := range []string{"1.2.3", "v1.2", "v1.2.3+build", "v2.0.0", "v0.0.0-20260102030405-0123456789ab"} {
		if code, _, errs := runTool(t, "set-version", v, r.dir); code != 2 || !strings.Contains(errs, v) {
			t.Errorf("set-version %s: exit %d, %s", v, code, errs)
		}
	}
	r.write(map[string]string{"sub/go.mod": "module " + repoPath + "/sub\n\ngo 1.24\n\nrequire " + repoPath + " v0.1.0\n\nreplace " + repoPath + " => ../\n"})
	if code, _, errs := runTool(t, "set-version", "v0.2.0", r.dir); code != 1 || !strings.Contains(errs, "sub/go.mod: replace "+repoPath+": a user's build ignores it") {
		t.Errorf("set-version with a replace: exit %d, %s", code, errs)
	}
}
