package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// A codeBlock is a fenced code block of a Markdown file.
type codeBlock struct {
	// Lang is the first word of its info string: "go", "sh", or "".
	Lang string
	// Line is the file's line number of its first line of code.
	Line int
	// Code is its content, each line ending in a newline.
	Code string
}

// codeBlocks returns the fenced code blocks (``` or ~~~) of Markdown text.
// A block that is not closed runs to the end of the text.
func codeBlocks(text string) []codeBlock {
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	var blocks []codeBlock
	for i := 0; i < len(lines); i++ {
		fence, lang, ok := openingFence(lines[i])
		if !ok {
			continue
		}
		j := i + 1
		for j < len(lines) && !closesFence(lines[j], fence) {
			j++
		}
		var code strings.Builder
		for _, l := range lines[i+1 : j] {
			code.WriteString(l + "\n")
		}
		blocks = append(blocks, codeBlock{Lang: lang, Line: i + 2, Code: code.String()})
		i = j
	}
	return blocks
}

// openingFence reports whether line opens a fenced code block, and
// returns its fence and the first word of its info string.
func openingFence(line string) (fence, lang string, ok bool) {
	t := strings.TrimLeft(line, " ")
	if len(line)-len(t) > 3 || len(t) < 3 || t[0] != '`' && t[0] != '~' {
		return "", "", false
	}
	n := 0
	for n < len(t) && t[n] == t[0] {
		n++
	}
	info := t[n:]
	if n < 3 || t[0] == '`' && strings.Contains(info, "`") {
		return "", "", false
	}
	if f := strings.Fields(info); len(f) > 0 {
		lang = f[0]
	}
	return t[:n], lang, true
}

// closesFence reports whether line closes a block opened by fence.
func closesFence(line, fence string) bool {
	t := strings.TrimLeft(line, " ")
	if len(line)-len(t) > 3 {
		return false
	}
	t = strings.TrimRight(t, " \t")
	return len(t) >= len(fence) && strings.Trim(t, fence[:1]) == ""
}

// isProgram reports whether Go code is a whole program: its first line
// that is neither blank nor a comment is "package main".
func isProgram(code string) bool {
	for _, l := range strings.Split(code, "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "//") {
			continue
		}
		f := strings.Fields(l)
		return len(f) >= 2 && f[0] == "package" && f[1] == "main" && (len(f) == 2 || strings.HasPrefix(f[2], "//"))
	}
	return false
}

// goPrograms returns the Go blocks of Markdown text that are whole
// programs.
func goPrograms(text string) []codeBlock {
	var progs []codeBlock
	for _, b := range codeBlocks(text) {
		if (b.Lang == "go" || b.Lang == "golang") && isProgram(b.Code) {
			progs = append(progs, b)
		}
	}
	return progs
}

// runReadme writes each Go program of a README into a directory of its
// own under DST, prog_LINE/main.go, with a line directive so that the
// compiler's messages name the README (by its absolute path) and its
// lines, and prints the directory and the line, separated by a tab.
func runReadme(_ context.Context, args []string, stdout io.Writer) error {
	readme, dst := args[0], args[1]
	data, err := os.ReadFile(readme)
	if err != nil {
		return err
	}
	abs, err := filepath.Abs(readme)
	if err != nil {
		return err
	}
	var b strings.Builder
	for _, p := range goPrograms(string(data)) {
		dir := filepath.Join(dst, fmt.Sprintf("prog_%d", p.Line))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		src := fmt.Sprintf("//line %s:%d:1\n%s", abs, p.Line, p.Code)
		if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o644); err != nil {
			return err
		}
		fmt.Fprintf(&b, "%s\t%d\n", dir, p.Line)
	}
	_, err = io.WriteString(stdout, b.String())
	return err
}

// installLines returns the go get and go install commands of Markdown
// text that name a package of module root, in order, each once.
func installLines(text, root string) []string {
	re := regexp.MustCompile(`go (?:get|install)(?: -[-\w=.]+)* ` + regexp.QuoteMeta(root) + "[^\\s`\"'<>()\\[\\]]*")
	seen := make(map[string]bool)
	var lines []string
	for _, l := range re.FindAllString(text, -1) {
		l = strings.TrimRight(l, ".,;:") // the end of a sentence
		target := l[strings.LastIndex(l, " ")+1:]
		pkg, _, _ := strings.Cut(target, "@")
		if pkg != root && !strings.HasPrefix(pkg, root+"/") || seen[l] {
			continue
		}
		seen[l] = true
		lines = append(lines, l)
	}
	return lines
}

// runInstallLines prints the go get and go install commands of a README
// that name a package of the module beside it, one a line.
func runInstallLines(_ context.Context, args []string, stdout io.Writer) error {
	readme := args[0]
	data, err := os.ReadFile(readme)
	if err != nil {
		return err
	}
	f, err := readGoMod(filepath.Join(filepath.Dir(readme), "go.mod"))
	if err != nil {
		return err
	}
	var b strings.Builder
	for _, l := range installLines(string(data), f.Module.Mod.Path) {
		b.WriteString(l + "\n")
	}
	_, err = io.WriteString(stdout, b.String())
	return err
}
