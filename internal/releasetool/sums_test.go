package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/module"
)

// goEnv returns an environment for the go command with a module cache of
// its own and no checksum database: GOPROXY as given, and git reaching
// https://github.com/relcheck/repo in the repository at repoDir.
func goEnv(t *testing.T, proxy, repoDir string) []string {
	t.Helper()
	tmp := t.TempDir()
	gitconfig := filepath.Join(tmp, "gitconfig")
	writeFiles(t, tmp, map[string]string{"gitconfig": "[url \"" + repoDir + "\"]\n\tinsteadOf = https://" + repoPath + "\n"})
	return append(os.Environ(), "GOPROXY="+proxy, "GOSUMDB=off", "GOFLAGS=-modcacherw", "GOWORK=off", "GOTOOLCHAIN=local",
		"GOPATH="+filepath.Join(tmp, "gopath"), "GOMODCACHE="+filepath.Join(tmp, "gopath", "pkg", "mod"),
		"GIT_CONFIG_GLOBAL="+gitconfig, "GIT_CONFIG_NOSYSTEM=1")
}

// goDownload runs go mod download -json for m in env and returns the
// go.sum hashes the go command computed.
func goDownload(t *testing.T, env []string, m string) moduleSum {
	t.Helper()
	cmd := exec.Command("go", "mod", "download", "-json", m)
	cmd.Dir = t.TempDir()
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go mod download %s: %v\n%s", m, err, out)
	}
	var d struct{ Sum, GoModSum, Error string }
	if err := json.Unmarshal(out, &d); err != nil || d.Error != "" {
		t.Fatalf("go mod download %s: %v %s\n%s", m, err, d.Error, out)
	}
	return moduleSum{zip: d.Sum, mod: d.GoModSum}
}

func TestSyncWritesTheHashesTheGoCommandComputes(t *testing.T) {
	t.Parallel()
	r := newRepo(t, multiModule("v0.1.0"))
	r.write(map[string]string{"notes.txt": "in the root module's zip\n", "vendor/x/x.go": "package x\n"})
	r.commit("more files")
	r.git("tag", "v0.1.0")
	if code, out, errs := runTool(t, "sync", r.dir); code != 0 {
		t.Fatalf("sync: %d\n%s%s", code, out, errs)
	}
	sums, err := readSums(filepath.Join(r.dir, "sub", "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	// The go command takes the module from git itself.
	want := goDownload(t, goEnv(t, "direct", r.dir), repoPath+"@v0.1.0")
	got := moduleSum{zip: sums[module.Version{Path: repoPath, Version: "v0.1.0"}], mod: sums[module.Version{Path: repoPath, Version: "v0.1.0/go.mod"}]}
	if got != want {
		t.Errorf("sub/go.sum holds %+v, the go command computes %+v", got, want)
	}
}

func TestWriteSumsKeepsOtherLinesInOrder(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "go.sum")
	writeFiles(t, filepath.Dir(file), map[string]string{"go.sum": "b.example/m v1.0.0 h1:b=\nb.example/m v1.0.0/go.mod h1:bm=\n" + repoPath + " v0.0.1 h1:old=\n" + repoPath + " v0.0.1/go.mod h1:oldm=\na.example/m v1.10.0/go.mod h1:a10=\na.example/m v1.9.0/go.mod h1:a9=\n"})
	changed, err := writeSums(file, map[module.Version]moduleSum{{Path: repoPath, Version: "v0.2.0"}: {zip: "h1:new=", mod: "h1:newm="}}, map[string]bool{repoPath: true})
	if err != nil || !changed {
		t.Fatalf("writeSums: %v, %v", changed, err)
	}
	want := "a.example/m v1.9.0/go.mod h1:a9=\na.example/m v1.10.0/go.mod h1:a10=\nb.example/m v1.0.0 h1:b=\nb.example/m v1.0.0/go.mod h1:bm=\n" + repoPath + " v0.2.0 h1:new=\n" + repoPath + " v0.2.0/go.mod h1:newm=\n"
	if got := readFile(t, file); got != want {
		t.Errorf("go.sum:\n%s\nwant:\n%s", got, want)
	}
	changed, err = writeSums(file, map[module.Version]moduleSum{{Path: repoPath, Version: "v0.2.0"}: {zip: "h1:new=", mod: "h1:newm="}}, map[string]bool{repoPath: true})
	if err != nil || changed {
		t.Errorf("writing the same lines again: changed %v, %v", changed, err)
	}
	writeFiles(t, filepath.Dir(file), map[string]string{"go.sum": "one two\n"})
	if _, err := readSums(file); err == nil || !strings.Contains(err.Error(), "go.sum:1: malformed line") {
		t.Errorf("a malformed go.sum: %v", err)
	}
}
