package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"

	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
)

// checkReleaseVersion checks that version can be a release of the
// repository's modules: a canonical semantic version below v2 (the module
// paths have no major version suffix), not a pseudo-version.
func checkReleaseVersion(version string) error {
	switch {
	case !semver.IsValid(version) || semver.Canonical(version) != version:
		return fmt.Errorf("%w: %q is not a version like v1.2.3 or v1.2.3-rc.1", errUsage, version)
	case semver.Major(version) != "v0" && semver.Major(version) != "v1":
		return fmt.Errorf("%w: %s needs a /%s suffix on every module path", errUsage, version, semver.Major(version))
	case module.IsPseudoVersion(version):
		return fmt.Errorf("%w: %s is a pseudo-version", errUsage, version)
	}
	return nil
}

// runSetVersion makes every module of the repository require the others
// at the version given, as a release at that version publishes them, and
// writes their go.sum lines, computed from the work tree, and go.work's
// replacements.
func runSetVersion(ctx context.Context, args []string, _ io.Writer) error {
	version := args[0]
	if err := checkReleaseVersion(version); err != nil {
		return err
	}
	return setVersion(ctx, argOr(args, 1, "."), version)
}

// setVersion makes every module under root require the others at version.
func setVersion(ctx context.Context, root, version string) error {
	mods, err := findModules(root)
	if err != nil {
		return err
	}
	inRepo := byPath(mods)
	deps := make(map[string][]repoModule)
	for _, m := range mods {
		if deps[m.Path], err = requireAt(root, m, inRepo, version); err != nil {
			return err
		}
	}
	if err := writeWorkReplaces(root, mods); err != nil {
		return err
	}
	// A module's go.sum holds the hashes of the modules it requires, which
	// hold their own go.sum files: write them until they settle.
	for range len(mods) + 1 {
		files, err := workTreeFiles(ctx, root)
		if err != nil {
			return err
		}
		changed := false
		for _, m := range mods {
			set := make(map[module.Version]moduleSum)
			for _, dep := range deps[m.Path] {
				v := module.Version{Path: dep.Path, Version: version}
				if set[v], err = hashModule(v, subdirFiles(files, dep.Dir)); err != nil {
					return err
				}
			}
			c, err := writeSums(m.file(root, "go.sum"), set, pathSet(mods))
			if err != nil {
				return err
			}
			changed = changed || c
		}
		if !changed {
			return nil
		}
	}
	return errors.New("the go.sum files do not settle: two modules require each other")
}

// requireAt rewrites the go.mod file of m so that it requires the
// repository's modules it requires at version, and returns them. A module
// that replaces one of the repository's is an error.
func requireAt(root string, m repoModule, inRepo map[string]repoModule, version string) ([]repoModule, error) {
	file := m.file(root, "go.mod")
	f, err := readGoMod(file)
	if err != nil {
		return nil, err
	}
	for _, r := range f.Replace {
		if _, ok := inRepo[r.Old.Path]; ok {
			return nil, fmt.Errorf("%s: replace %s: a user's build ignores it; go.work joins the modules for development", path.Join(m.Dir, "go.mod"), r.Old.Path)
		}
	}
	var deps []repoModule
	for _, r := range f.Require {
		dep, ok := inRepo[r.Mod.Path]
		if !ok {
			continue
		}
		deps = append(deps, dep)
		if err := f.AddRequire(r.Mod.Path, version); err != nil {
			return nil, err
		}
	}
	if len(deps) == 0 {
		return nil, nil
	}
	f.Cleanup()
	data, err := f.Format()
	if err != nil {
		return nil, err
	}
	return deps, os.WriteFile(file, data, 0o644)
}
