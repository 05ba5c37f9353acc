package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// readmeText is a README with programs, fragments and install lines.
const readmeText = "# m\n" + // 1
	"\n" + // 2
	"```sh\n" + // 3
	"go get github.com/relcheck/repo\n" + // 4
	"go install github.com/relcheck/repo/cmd/tool@latest\n" + // 5
	"```\n" + // 6
	"\n" + // 7
	"```go\n" + // 8
	"client, err := repo.New() // a fragment\n" + // 9
	"```\n" + // 10
	"\n" + // 11
	"```go\n" + // 12
	"// A whole program.\n" + // 13
	"package main\n" + // 14
	"\n" + // 15
	"func main() {\n" + // 16
	"\tvar n int = \"not a number\"\n" + // 17
	"\t_ = n\n" + // 18
	"}\n" + // 19
	"```\n" + // 20
	"\n" + // 21
	"It is a module of its own (`go get github.com/relcheck/repo/sub`), not `go get github.com/relcheck/repository`.\n" + // 22
	"\n" + // 23
	"~~~~ golang title\n" + // 24
	"package main // another\n" + // 25
	"```\n" + // 26
	"func main() {}\n" + // 27
	"~~~~\n" + // 28
	"    ```go\n" + // 29: indented by four spaces: not a fence
	"package main\n" + // 30
	"````go\n" + // 31: unclosed: runs to the end
	"package notmain\n" // 32

func TestCodeBlocks(t *testing.T) {
	t.Parallel()
	var got []string
	for _, b := range codeBlocks(readmeText) {
		got = append(got, b.Lang+"@"+strconv.Itoa(b.Line)+":"+strings.ReplaceAll(b.Code, "\n", "|"))
	}
	want := []string{
		"sh@4:go get github.com/relcheck/repo|go install github.com/relcheck/repo/cmd/tool@latest|",
		"go@9:client, err := repo.New() // a fragment|",
		"go@13:// A whole program.|package main||func main() {|\tvar n int = \"not a number\"|\t_ = n|}|",
		"golang@25:package main // another|```|func main() {}|",
		"go@32:package notmain||",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("codeBlocks:\n%q\nwant:\n%q", got, want)
	}
	var lines []int
	for _, p := range goPrograms(readmeText) {
		lines = append(lines, p.Line)
	}
	if !reflect.DeepEqual(lines, []int{13, 25}) {
		t.Errorf("goPrograms at lines %v, want 13 and 25", lines)
	}
}

func TestIsProgram(t *testing.T) {
	t.Parallel()
	for code, want := range map[string]bool{
		"package main\n":                      true,
		"\n// doc\npackage main\n":            true,
		"package main // comment\n":           true,
		"package mainly\n":                    false,
		"package main2\n":                     false,
		"x := 1\npackage main\n":              false,
		"package main; func main() {}\n":      false,
		"/* doc */\npackage main\n":           false,
		"":                                    false,
		"package\n":                           false,
		"\t package   main \n":                true,
		"package main /* not a line doc */\n": false,
	} {
		if got := isProgram(code); got != want {
			t.Errorf("isProgram(%q) = %v, want %v", code, got, want)
		}
	}
}

func TestInstallLines(t *testing.T) {
	t.Parallel()
	got := installLines(readmeText+"\ngo get github.com/relcheck/repo\ngo get -u github.com/relcheck/repo/sub@v1.2.3.\n", repoPath)
	want := []string{
		"go get github.com/relcheck/repo",
		"go install github.com/relcheck/repo/cmd/tool@latest",
		"go get github.com/relcheck/repo/sub",
		"go get -u github.com/relcheck/repo/sub@v1.2.3",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("installLines:\n%q\nwant:\n%q", got, want)
	}
}

func TestReadmeProgramsCompileWithTheReadmesLines(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"README.md": readmeText, "go.mod": "module " + repoPath + "\n\ngo 1.24\n"})
	dst := t.TempDir()
	code, out, errs := runTool(t, "readme", filepath.Join(dir, "README.md"), dst)
	if code != 0 || out != filepath.Join(dst, "prog_13")+"\t13\n"+filepath.Join(dst, "prog_25")+"\t25\n" {
		t.Fatalf("readme: %d\n%s%s", code, out, errs)
	}
	writeFiles(t, dst, map[string]string{"go.mod": "module example.com/readme\n\ngo 1.24\n"})
	cmd := exec.Command("go", "vet", "./prog_13")
	cmd.Dir = dst
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=")
	build, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(build), "README.md:17:14: cannot use \"not a number\"") {
		t.Errorf("the compiler's message does not name README.md:17: %v\n%s", err, build)
	}

	code, out, errs = runTool(t, "install-lines", filepath.Join(dir, "README.md"))
	if code != 0 || out != "go get github.com/relcheck/repo\ngo install github.com/relcheck/repo/cmd/tool@latest\ngo get github.com/relcheck/repo/sub\n" {
		t.Errorf("install-lines: %d\n%s%s", code, out, errs)
	}
}
