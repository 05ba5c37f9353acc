package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
)

// The go.work file joins the repository's modules for development. Each
// module requires the others at a real version, one users can download;
// go.work replaces each such version by its directory, so that the
// workspace builds the work tree and never downloads the repository's own
// modules. A user's build never reads go.work.

// requiredVersions returns the versions of the repository's modules that
// its modules require, each with its module.
func requiredVersions(root string, mods []repoModule) (map[module.Version]repoModule, error) {
	inRepo := byPath(mods)
	req := make(map[module.Version]repoModule)
	for _, m := range mods {
		f, err := readGoMod(m.file(root, "go.mod"))
		if err != nil {
			return nil, err
		}
		for _, r := range f.Require {
			if dep, ok := inRepo[r.Mod.Path]; ok {
				req[r.Mod] = dep
			}
		}
	}
	return req, nil
}

// workDir is how go.work names the directory of module m.
func workDir(m repoModule) string {
	if m.Dir == "." {
		return "./"
	}
	return "./" + m.Dir
}

// readWork parses the go.work file at root.
func readWork(root string) (*modfile.WorkFile, error) {
	file := filepath.Join(root, "go.work")
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	return modfile.ParseWork(file, data, nil)
}

// writeWorkReplaces makes go.work replace the versions of the repository's
// modules that its modules require, and no other, by their directories.
func writeWorkReplaces(root string, mods []repoModule) error {
	wf, err := readWork(root)
	if err != nil {
		return err
	}
	req, err := requiredVersions(root, mods)
	if err != nil {
		return err
	}
	inRepo := byPath(mods)
	for _, r := range append([]*modfile.Replace(nil), wf.Replace...) {
		if _, ok := inRepo[r.Old.Path]; ok {
			if err := wf.DropReplace(r.Old.Path, r.Old.Version); err != nil {
				return err
			}
		}
	}
	versions := make([]module.Version, 0, len(req))
	for v := range req {
		versions = append(versions, v)
	}
	module.Sort(versions)
	for _, v := range versions {
		if err := wf.AddReplace(v.Path, v.Version, workDir(req[v]), ""); err != nil {
			return err
		}
	}
	wf.Cleanup()
	return os.WriteFile(filepath.Join(root, "go.work"), modfile.Format(wf.Syntax), 0o644)
}

// checkWorkspace checks that go.work uses every module of the repository
// and nothing else, and replaces exactly the required versions of the
// repository's modules, by their directories.
func checkWorkspace(root string, mods []repoModule) ([]string, error) {
	wf, err := readWork(root)
	if errors.Is(err, os.ErrNotExist) {
		return []string{"go.work: missing: it joins the modules of the repository for development"}, nil
	}
	if err != nil {
		return nil, err
	}
	used := make(map[string]bool)
	var problems []string
	for _, u := range wf.Use {
		used[path.Clean(filepath.ToSlash(u.Path))] = true
	}
	for _, m := range mods {
		if !used[m.Dir] {
			problems = append(problems, fmt.Sprintf("go.work: does not use %s", workDir(m)))
		}
		delete(used, m.Dir)
	}
	for dir := range used {
		problems = append(problems, fmt.Sprintf("go.work: uses %s, which is not a module of the repository", dir))
	}
	ps, err := checkWorkReplaces(root, mods, wf)
	sort.Strings(problems)
	return append(problems, ps...), err
}

// checkWorkReplaces checks the replacements of go.work.
func checkWorkReplaces(root string, mods []repoModule, wf *modfile.WorkFile) ([]string, error) {
	req, err := requiredVersions(root, mods)
	if err != nil {
		return nil, err
	}
	var problems []string
	for _, r := range wf.Replace {
		dep, ok := req[r.Old]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("go.work: replace %s %s: no module of the repository requires it", r.Old.Path, r.Old.Version))
		case r.New.Version != "" || path.Clean(r.New.Path) != path.Clean(workDir(dep)):
			problems = append(problems, fmt.Sprintf("go.work: replace %s %s => %s: not its directory %s", r.Old.Path, r.Old.Version, r.New.Path, workDir(dep)))
		}
		delete(req, r.Old)
	}
	for v, dep := range req {
		problems = append(problems, fmt.Sprintf("go.work: does not replace %s %s => %s", v.Path, v.Version, workDir(dep)))
	}
	sort.Strings(problems)
	return problems, nil
}

// runSync writes, for the versions of the repository's modules that its
// modules require, the go.sum lines (computed from git) and the go.work
// replacements. Run it after changing such a requirement.
func runSync(ctx context.Context, args []string, stdout io.Writer) error {
	root := argOr(args, 0, ".")
	mods, err := findModules(root)
	if err != nil {
		return err
	}
	g := gitRepo{dir: root}
	inRepo := byPath(mods)
	var problems []string
	for _, m := range mods {
		f, err := readGoMod(m.file(root, "go.mod"))
		if err != nil {
			return err
		}
		set := make(map[module.Version]moduleSum)
		for _, r := range f.Require {
			dep, ok := inRepo[r.Mod.Path]
			if !ok {
				continue
			}
			commit, problem, err := resolveVersion(ctx, g, dep, r.Mod.Version)
			if err != nil {
				return err
			}
			if problem != "" {
				problems = append(problems, fmt.Sprintf("%s: requires %s %s, which does not exist: %s", path.Join(m.Dir, "go.mod"), r.Mod.Path, r.Mod.Version, problem))
				continue
			}
			if set[r.Mod], err = sumAt(ctx, g, dep, r.Mod.Version, commit); err != nil {
				return err
			}
		}
		if _, err := writeSums(m.file(root, "go.sum"), set, pathSet(mods)); err != nil {
			return err
		}
	}
	if err := writeWorkReplaces(root, mods); err != nil {
		return err
	}
	return report(stdout, problems)
}
