package main

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// tarEntries returns "name mode size" for each file of a .tar.gz.
func tarEntries(t *testing.T, file string) []string {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	var got []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return got
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%s %o %d %s", h.Name, h.Mode, h.Size, h.ModTime.UTC().Format("2006-01-02")))
	}
}

// zipEntries returns "name mode size" for each file of a .zip.
func zipEntries(t *testing.T, file string) []string {
	t.Helper()
	zr, err := zip.OpenReader(file)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var got []string
	for _, f := range zr.File {
		got = append(got, fmt.Sprintf("%s %o %d %s", f.Name, f.Mode().Perm(), f.UncompressedSize64, f.Modified.UTC().Format("2006-01-02")))
	}
	return got
}

// builtBinaries lays out what build-binaries.sh builds, and the extra
// files, in a new directory.
func builtBinaries(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"build/linux_amd64/mediaauth":       "ELF linux",
		"build/windows_arm64/mediaauth.exe": "PE windows",
		"README.md":                         "# readme\n",
	})
	return dir
}

func TestArchivePacksEachPlatformWithChecksums(t *testing.T) {
	t.Parallel()
	dir := builtBinaries(t)
	code, out, errs := runTool(t, "archive", "v1.2.3", dir, filepath.Join(dir, "README.md"))
	if code != 0 {
		t.Fatalf("archive: %d\n%s%s", code, out, errs)
	}
	if got := tarEntries(t, filepath.Join(dir, "mediaauth_1.2.3_linux_amd64.tar.gz")); strings.Join(got, "; ") != "mediaauth 755 9 1980-01-01; README.md 644 9 1980-01-01" {
		t.Errorf("linux archive: %q", got)
	}
	if got := zipEntries(t, filepath.Join(dir, "mediaauth_1.2.3_windows_arm64.zip")); strings.Join(got, "; ") != "mediaauth.exe 755 10 1980-01-01; README.md 644 9 1980-01-01" {
		t.Errorf("windows archive: %q", got)
	}
	var want strings.Builder
	for _, name := range []string{"mediaauth_1.2.3_linux_amd64.tar.gz", "mediaauth_1.2.3_windows_arm64.zip"} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		fmt.Fprintf(&want, "%s  %s\n", hex.EncodeToString(sum[:]), name)
	}
	if got := readFile(t, filepath.Join(dir, "mediaauth_1.2.3_checksums.txt")); got != want.String() {
		t.Errorf("checksums:\n%s\nwant:\n%s", got, want.String())
	}
}

func TestArchivesAreReproducible(t *testing.T) {
	// Not parallel: it sets SOURCE_DATE_EPOCH.
	t.Setenv("SOURCE_DATE_EPOCH", "1767323045") // 2026-01-02
	var sums []string
	for range 2 {
		dir := builtBinaries(t)
		if code, out, errs := runTool(t, "archive", "v1.2.3", dir); code != 0 {
			t.Fatalf("archive: %d\n%s%s", code, out, errs)
		}
		sums = append(sums, readFile(t, filepath.Join(dir, "mediaauth_1.2.3_checksums.txt")))
		if got := tarEntries(t, filepath.Join(dir, "mediaauth_1.2.3_linux_amd64.tar.gz")); !bytes.Equal([]byte(got[0]), []byte("mediaauth 755 9 2026-01-02")) {
			t.Errorf("times are not SOURCE_DATE_EPOCH's: %q", got)
		}
	}
	if sums[0] != sums[1] {
		t.Errorf("two archives of the same files differ:\n%s\n%s", sums[0], sums[1])
	}
	t.Setenv("SOURCE_DATE_EPOCH", "yesterday")
	if code, _, errs := runTool(t, "archive", "v1.2.3", builtBinaries(t)); code != 1 || !strings.Contains(errs, "SOURCE_DATE_EPOCH") {
		t.Errorf("a bad SOURCE_DATE_EPOCH: exit %d, %s", code, errs)
	}
}

func TestArchiveNeedsBinaries(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"build/linux_amd64/.keep/x": ""})
	if code, _, errs := runTool(t, "archive", "v1.2.3", dir); code != 1 || !strings.Contains(errs, "nothing built in") {
		t.Errorf("no binary: exit %d, %s", code, errs)
	}
}
