package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"time"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
)

// runCheck checks what users' builds rely on and a clone does not show:
// that no module replaces another of the repository (a user's build
// ignores replace directives), that every version of a repository's module
// that a module requires exists (a tag, or the commit of a pseudo-version)
// with its go.sum lines, and that go.work joins every module.
func runCheck(ctx context.Context, args []string, stdout io.Writer) error {
	root := argOr(args, 0, ".")
	mods, err := findModules(root)
	if err != nil {
		return err
	}
	problems, err := checkWorkspace(root, mods)
	if err != nil {
		return err
	}
	g := gitRepo{dir: root}
	for _, m := range mods {
		ps, err := checkModule(ctx, g, root, m, mods)
		if err != nil {
			return err
		}
		problems = append(problems, ps...)
	}
	return report(stdout, problems)
}

// checkModule checks the requirements of module m on the repository's
// modules.
func checkModule(ctx context.Context, g gitRepo, root string, m repoModule, mods []repoModule) ([]string, error) {
	name := path.Join(m.Dir, "go.mod")
	f, err := readGoMod(m.file(root, "go.mod"))
	if err != nil {
		return nil, err
	}
	inRepo := byPath(mods)
	var problems []string
	for _, r := range f.Replace {
		if _, ok := inRepo[r.Old.Path]; ok {
			problems = append(problems, fmt.Sprintf("%s: replace %s => %s: a user's build ignores it; go.work joins the modules for development", name, r.Old.Path, r.New.Path))
		}
	}
	sums, err := readSums(m.file(root, "go.sum"))
	if err != nil {
		return nil, err
	}
	for _, r := range f.Require {
		dep, ok := inRepo[r.Mod.Path]
		if !ok {
			continue
		}
		p, err := checkRequirement(ctx, g, dep, r.Mod.Version, sums)
		if err != nil {
			return nil, err
		}
		if p != "" {
			problems = append(problems, fmt.Sprintf("%s: requires %s %s, %s", name, r.Mod.Path, r.Mod.Version, p))
		}
	}
	return problems, nil
}

// checkRequirement checks that version of module dep exists and that sums
// has its go.sum lines; it returns what is wrong, or "".
func checkRequirement(ctx context.Context, g gitRepo, dep repoModule, version string, sums map[sumKey]string) (string, error) {
	commit, problem, err := resolveVersion(ctx, g, dep, version)
	if err != nil || problem != "" {
		return "which does not exist: " + problem, err
	}
	gomod, err := g.show(ctx, commit, path.Join(dep.Dir, "go.mod"))
	if err != nil {
		return fmt.Sprintf("which does not exist: no %s at commit %.12s", path.Join(dep.Dir, "go.mod"), commit), nil
	}
	if f, err := modfile.ParseLax("go.mod", gomod, nil); err != nil || f.Module == nil || f.Module.Mod.Path != dep.Path {
		return fmt.Sprintf("which does not exist: %s at commit %.12s is not module %s", path.Join(dep.Dir, "go.mod"), commit, dep.Path), nil
	}
	want, err := sumAt(ctx, g, dep, version, commit)
	if err != nil {
		return "", err
	}
	zipSum, modSum := sums[sumKey{Path: dep.Path, Version: version}], sums[sumKey{Path: dep.Path, Version: version + "/go.mod"}]
	if zipSum != want.zip || modSum != want.mod {
		return "but go.sum does not hold its hashes (releasetool sync writes them: see RELEASING.md)", nil
	}
	return "", nil
}

// resolveVersion returns the commit of version of module dep: the commit
// of its tag, or the commit a pseudo-version names. When there is none it
// returns why, as a problem.
func resolveVersion(ctx context.Context, g gitRepo, dep repoModule, version string) (commit, problem string, err error) {
	if module.IsPseudoVersion(version) {
		rev, err := module.PseudoVersionRev(version)
		if err != nil {
			return "", err.Error(), nil
		}
		t, err := module.PseudoVersionTime(version)
		if err != nil {
			return "", err.Error(), nil
		}
		hash, at, err := g.commit(ctx, rev)
		if errors.Is(err, errNoRevision) {
			return "", fmt.Sprintf("no commit %s in this repository", rev), nil
		}
		if err != nil {
			return "", "", err
		}
		if !at.Equal(t) {
			return "", fmt.Sprintf("commit %s was made at %s, not at the pseudo-version's %s", rev, at.Format(time.RFC3339), t.Format(time.RFC3339)), nil
		}
		return hash, "", nil
	}
	tag := dep.tagPrefix() + version
	hash, _, err := g.commit(ctx, "refs/tags/"+tag)
	if errors.Is(err, errNoRevision) {
		return "", fmt.Sprintf("no tag %s in this repository", tag), nil
	}
	return hash, "", err
}
