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
// with its go.sum lines, and that go.work joins every module. With
// -release VERSION, the version being released is the work tree's: its
// tags do not exist yet.
func runCheck(ctx context.Context, args []string, stdout io.Writer) error {
	c := checker{g: gitRepo{dir: "."}}
	if len(args) > 0 && args[0] == "-release" {
		if len(args) < 2 {
			return fmt.Errorf("%w: -release needs a version", errUsage)
		}
		c.release, args = args[1], args[2:]
	}
	if len(args) > 1 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, args[1])
	}
	c.root = argOr(args, 0, ".")
	c.g.dir = c.root
	mods, err := findModules(c.root)
	if err != nil {
		return err
	}
	problems, err := checkWorkspace(c.root, mods)
	if err != nil {
		return err
	}
	for _, m := range mods {
		ps, err := c.module(ctx, m, mods)
		if err != nil {
			return err
		}
		problems = append(problems, ps...)
	}
	return report(stdout, problems)
}

// checker checks the requirements of the modules of the repository at
// root on one another.
type checker struct {
	root string
	g    gitRepo
	// release is the version being released, whose tags do not exist
	// yet: the work tree's; "" when none.
	release string
}

// module checks the requirements of module m on the repository's modules.
func (c checker) module(ctx context.Context, m repoModule, mods []repoModule) ([]string, error) {
	root := c.root
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
		p, err := c.requirement(ctx, dep, r.Mod.Version, sums)
		if err != nil {
			return nil, err
		}
		if p != "" {
			problems = append(problems, fmt.Sprintf("%s: requires %s %s, %s", name, r.Mod.Path, r.Mod.Version, p))
		}
	}
	return problems, nil
}

// requirement checks that version of module dep exists and that sums has
// its go.sum lines; it returns what is wrong, or "".
func (c checker) requirement(ctx context.Context, dep repoModule, version string, sums map[sumKey]string) (string, error) {
	if version == c.release {
		return c.releasedSums(ctx, dep, sums)
	}
	g := c.g
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
	return compareSums(sums, module.Version{Path: dep.Path, Version: version}, want), nil
}

// releasedSums checks that sums has the go.sum lines of module dep at the
// version being released, made of the work tree.
func (c checker) releasedSums(ctx context.Context, dep repoModule, sums map[sumKey]string) (string, error) {
	files, err := workTreeFiles(ctx, c.root)
	if err != nil {
		return "", err
	}
	m := module.Version{Path: dep.Path, Version: c.release}
	want, err := hashModule(m, subdirFiles(files, dep.Dir))
	if err != nil {
		return "", err
	}
	return compareSums(sums, m, want), nil
}

// compareSums returns what is wrong with the go.sum lines of m in sums,
// or "".
func compareSums(sums map[sumKey]string, m module.Version, want moduleSum) string {
	if sums[m] != want.zip || sums[sumKey{Path: m.Path, Version: m.Version + "/go.mod"}] != want.mod {
		return "but go.sum does not hold its hashes (releasetool sync writes them: see RELEASING.md)"
	}
	return ""
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
