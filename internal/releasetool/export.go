package main

import (
	"context"
	"io"
	"os"
	"path/filepath"

	modzip "golang.org/x/mod/zip"
)

// runExport copies the files of the work tree at SRC that a commit would
// hold (the files git knows or would add, not the ignored ones) into DST:
// the repository as its next commit would publish it.
func runExport(ctx context.Context, args []string, _ io.Writer) error {
	src, dst := args[0], args[1]
	files, err := workTreeFiles(ctx, src)
	if err != nil {
		return err
	}
	for _, f := range files {
		if err := copyFile(f, filepath.Join(dst, filepath.FromSlash(f.Path()))); err != nil {
			return err
		}
	}
	return nil
}

// copyFile copies a file of a work tree to dst, with its permissions.
func copyFile(f modzip.File, dst string) (err error) {
	info, err := f.Lstat()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	r, err := f.Open()
	if err != nil {
		return err
	}
	defer r.Close()
	w, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, info.Mode().Perm())
	if err != nil {
		return err
	}
	defer closeInto(w, &err)
	_, err = io.Copy(w, r)
	return err
}
