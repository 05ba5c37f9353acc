package main

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/mod/modfile"
)

// A repoModule is one module of the repository.
type repoModule struct {
	// Dir is its directory, slash-separated and relative to the
	// repository's root: "." for the root module.
	Dir string
	// Path is its module path.
	Path string
}

// tagPrefix is what its version tags begin with: "" for the root module
// (v1.2.3), "DIR/" for the others (redislimit/v1.2.3), as the Go command
// looks them up.
func (m repoModule) tagPrefix() string {
	if m.Dir == "." {
		return ""
	}
	return m.Dir + "/"
}

// released reports whether the module is published: a module whose path
// has an element "internal" is a development tool of the repository.
func (m repoModule) released() bool {
	for _, elem := range strings.Split(m.Path, "/") {
		if elem == "internal" {
			return false
		}
	}
	return true
}

// file returns the path of name in the module's directory under root.
func (m repoModule) file(root, name string) string {
	return filepath.Join(root, filepath.FromSlash(m.Dir), name)
}

// skipDir reports whether a directory holds no module of the repository:
// version control, test data, vendored code, dependencies of scripts, and
// what the Go command ignores.
func skipDir(name string) bool {
	switch name {
	case "testdata", "vendor", "node_modules":
		return true
	}
	return strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")
}

// findModules returns the modules of the repository at root, the root
// module first, then by directory. Every module's path must be the root
// module's path followed by its directory, where the Go command looks for
// it.
func findModules(root string) ([]repoModule, error) {
	var mods []repoModule
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p != root && skipDir(d.Name()) {
			return filepath.SkipDir
		}
		if d.IsDir() || d.Name() != "go.mod" {
			return nil
		}
		rel, err := filepath.Rel(root, filepath.Dir(p))
		if err != nil {
			return err
		}
		f, err := readGoMod(p)
		if err != nil {
			return err
		}
		m := repoModule{Dir: filepath.ToSlash(rel), Path: f.Module.Mod.Path}
		if !standalone(m, f) {
			mods = append(mods, m)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("finding the modules: %w", err)
	}
	sort.Slice(mods, func(i, j int) bool { return mods[i].Dir == "." || mods[j].Dir != "." && mods[i].Dir < mods[j].Dir })
	if len(mods) == 0 || mods[0].Dir != "." {
		return nil, fmt.Errorf("no go.mod in %s", root)
	}
	for _, m := range mods[1:] {
		if want := path.Join(mods[0].Path, m.Dir); m.Path != want {
			return nil, fmt.Errorf("%s/go.mod: module %s, but a module in %s/ must be %s to be found at its tags", m.Dir, m.Path, m.Dir, want)
		}
	}
	return mods, nil
}

// standalone reports whether module m, whose go.mod is f, is a
// development tool built only from this work tree, outside the workspace
// (GOWORK=off): a module that is not released and replaces a module with a
// directory. Such a module, a benchmark beside a peer library whose
// requirements must not change the versions the workspace builds with, is
// no part of the versioning scheme: it is neither checked, nor joined by
// go.work, nor given a release's versions.
func standalone(m repoModule, f *modfile.File) bool {
	if m.released() {
		return false
	}
	for _, r := range f.Replace {
		if r.New.Version == "" && modfile.IsDirectoryPath(r.New.Path) {
			return true
		}
	}
	return false
}

// readGoMod parses a go.mod file.
func readGoMod(file string) (*modfile.File, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	f, err := modfile.Parse(file, data, nil)
	if err != nil {
		return nil, err
	}
	if f.Module == nil {
		return nil, fmt.Errorf("%s: no module line", file)
	}
	return f, nil
}

// byPath returns the modules by module path.
func byPath(mods []repoModule) map[string]repoModule {
	m := make(map[string]repoModule, len(mods))
	for _, mod := range mods {
		m[mod.Path] = mod
	}
	return m
}

// runModules prints the released modules, one a line: directory, module
// path and tag prefix (empty for the root module), separated by tabs.
func runModules(_ context.Context, args []string, stdout io.Writer) error {
	mods, err := findModules(argOr(args, 0, "."))
	if err != nil {
		return err
	}
	var b strings.Builder
	for _, m := range mods {
		if m.released() {
			fmt.Fprintf(&b, "%s\t%s\t%s\n", m.Dir, m.Path, m.tagPrefix())
		}
	}
	_, err = io.WriteString(stdout, b.String())
	return err
}
