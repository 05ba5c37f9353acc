package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestProxyServesEveryReleasedModule(t *testing.T) {
	t.Parallel()
	r := releasedRepo(t)
	dst := t.TempDir()
	for _, v := range []string{"v0.3.0", "v0.2.0"} {
		if code, out, errs := runTool(t, "set-version", v, r.dir); code != 0 {
			t.Fatalf("set-version: %d\n%s%s", code, out, errs)
		}
		if code, out, errs := runTool(t, "proxy", v, r.dir, dst); code != 0 {
			t.Fatalf("proxy: %d\n%s%s", code, out, errs)
		}
	}
	at := filepath.Join(dst, "github.com", "relcheck", "repo", "sub", "@v")
	if list := readFile(t, filepath.Join(at, "list")); list != "v0.2.0\nv0.3.0\n" {
		t.Errorf("list: %q", list)
	}
	var info struct {
		Version string
		Time    time.Time
	}
	if err := json.Unmarshal([]byte(readFile(t, filepath.Join(at, "v0.2.0.info"))), &info); err != nil || info.Version != "v0.2.0" || info.Time.IsZero() {
		t.Errorf("info: %+v, %v", info, err)
	}
	if mod := readFile(t, filepath.Join(at, "v0.2.0.mod")); mod != readFile(t, filepath.Join(r.dir, "sub", "go.mod")) {
		t.Errorf(".mod is not sub/go.mod: %s", mod)
	}
	if _, err := os.Stat(filepath.Join(dst, "github.com", "relcheck", "repo", "internal")); !os.IsNotExist(err) {
		t.Errorf("the development tool module is served: %v", err)
	}

	// A user's module gets the sub-module alone, and with it the root
	// module at the same version.
	env := goEnv(t, "file://"+filepath.ToSlash(dst)+",off", r.dir)
	user := t.TempDir()
	goRun(t, env, user, "mod", "init", "example.com/user")
	goRun(t, env, user, "get", repoPath+"/sub@v0.2.0")
	if got := goRun(t, env, user, "list", "-m", repoPath, repoPath+"/sub"); got != repoPath+" v0.2.0\n"+repoPath+"/sub v0.2.0\n" {
		t.Errorf("go list -m: %q", got)
	}
	goRun(t, env, user, "build", repoPath+"/sub")
	if sums := readFile(t, filepath.Join(user, "go.sum")); !strings.Contains(sums, readFile(t, filepath.Join(r.dir, "sub", "go.sum"))) {
		t.Errorf("the user's go.sum:\n%s\ndoes not hold sub/go.sum's lines", sums)
	}
}

func TestProxyRefusesAVersionUsersCannotGet(t *testing.T) {
	t.Parallel()
	if code, _, errs := runTool(t, "proxy", "v1", t.TempDir(), t.TempDir()); code != 2 || !strings.Contains(errs, `"v1" is not a version`) {
		t.Errorf("proxy v1: exit %d, %s", code, errs)
	}
}
