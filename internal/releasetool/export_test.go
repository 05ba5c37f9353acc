package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestExportCopiesWhatACommitWouldHold(t *testing.T) {
	t.Parallel()
	r := newRepo(t, map[string]string{".gitignore": "*.out\n", "a.go": "package a\n", "scripts/run.sh": "#!/bin/sh\n"})
	if err := os.Chmod(filepath.Join(r.dir, "scripts", "run.sh"), 0o755); err != nil {
		t.Fatal(err)
	}
	r.write(map[string]string{"new.go": "package a // not committed yet\n", "x.out": "built"})
	dst := t.TempDir()
	if code, out, errs := runTool(t, "export", r.dir, dst); code != 0 {
		t.Fatalf("export: %d\n%s%s", code, out, errs)
	}
	files, err := walkFiles(dst)
	if err != nil || strings.Join(names(files), " ") != ".gitignore a.go new.go scripts/run.sh" {
		t.Errorf("exported %q, %v", names(files), err)
	}
	if got := readFile(t, filepath.Join(dst, "new.go")); got != "package a // not committed yet\n" {
		t.Errorf("new.go: %q", got)
	}
	if info, err := os.Stat(filepath.Join(dst, "scripts", "run.sh")); err != nil || info.Mode().Perm()&0o100 == 0 {
		t.Errorf("run.sh lost its executable bit: %v, %v", info.Mode(), err)
	}
	if code, _, errs := runTool(t, "export", r.dir, dst); code != 1 || !strings.Contains(errs, "exists") {
		t.Errorf("exporting over files: exit %d, %s", code, errs)
	}
}
