package main

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestFindModules(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	files := multiModule("v0.1.0")
	files["node_modules/x/go.mod"] = "module x\n"
	files[".hidden/go.mod"] = "module hidden\n"
	files["a/b/go.mod"] = "module " + repoPath + "/a/b\n"
	// A tool built only from the work tree is no part of the scheme.
	files["internal/peer/go.mod"] = "module " + repoPath + "/internal/peer\nrequire " + repoPath + " v0.0.0\nreplace " + repoPath + " => ../../\n"
	writeFiles(t, dir, files)
	mods, err := findModules(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range mods {
		got = append(got, m.Dir+" "+m.Path+" ["+m.tagPrefix()+"] "+map[bool]string{true: "released", false: "tool"}[m.released()])
	}
	want := ". " + repoPath + " [] released; a/b " + repoPath + "/a/b [a/b/] released; internal/tool " + repoPath + "/internal/tool [internal/tool/] tool; sub " + repoPath + "/sub [sub/] released"
	if strings.Join(got, "; ") != want {
		t.Errorf("findModules:\n%s\nwant:\n%s", strings.Join(got, "; "), want)
	}
	code, out, _ := runTool(t, "modules", dir)
	if code != 0 || out != ".\t"+repoPath+"\t\na/b\t"+repoPath+"/a/b\ta/b/\nsub\t"+repoPath+"/sub\tsub/\n" {
		t.Errorf("modules: %d\n%s", code, out)
	}

	writeFiles(t, dir, map[string]string{"sub/go.mod": "module example.com/elsewhere\n"})
	if _, err := findModules(dir); err == nil || !strings.Contains(err.Error(), "sub/go.mod: module example.com/elsewhere, but a module in sub/ must be "+repoPath+"/sub") {
		t.Errorf("a module path that is not its directory: %v", err)
	}
	if _, err := findModules(filepath.Join(dir, "a", "b", "none")); err == nil {
		t.Error("no error for a directory without a module")
	}
}

func TestUsage(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{nil, {"frobnicate"}, {"proxy", "v1.0.0"}, {"modules", "a", "b"}} {
		code, out, errs := runTool(t, args...)
		if code != 2 || out != "" || !strings.Contains(errs, "usage:\n  releasetool archive VERSION DIR [FILE...]\n") {
			t.Errorf("%q: exit %d\n%s%s", args, code, out, errs)
		}
	}
}
