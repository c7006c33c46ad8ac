package app_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// app and its sub-packages are the core: they import no Fyne, no SQL
// driver, no serial port, no HTTP. Outer layers implement what app
// declares.
func TestApp_ImportsNoOuterLayer(t *testing.T) {
	out, err := exec.Command("go", "list", "-tags", "migrated_fynedo,sqlite_fts5", "-deps", "./...").CombinedOutput()
	require.NoError(t, err, string(out))
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{"fyne.io/", "github.com/mattn/go-sqlite3", "go.bug.st/serial", "database/sql", "net/http"} {
			require.False(t, dep == strings.TrimSuffix(banned, "/") || strings.HasPrefix(dep, banned),
				"app depends on %s", dep)
		}
	}
}

// No sentence lives in app: it speaks in codes that the UI and the CLI
// translate. A string literal with more than three Chinese characters, or with two or more
// English words and a space, is a sentence (a format for logs or an audit
// detail uses verbs like %s and no words).
func TestApp_NoSentences(t *testing.T) {
	han := regexp.MustCompile(`\p{Han}`)
	words := regexp.MustCompile(`[A-Za-z]{2,}[,:;.!?]?\s+[A-Za-z]{2,}`)
	err := filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(p) != ".go" || strings.HasSuffix(p, "_test.go") {
			return err
		}
		f, err := parser.ParseFile(token.NewFileSet(), p, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, _ := strconv.Unquote(lit.Value)
			// A word of up to three characters (a unit: 千克, 斤) is data.
			if len(han.FindAllString(s, -1)) > 3 || words.MatchString(s) {
				t.Errorf("%s: a sentence in app: %q", p, s)
			}
			return true
		})
		return nil
	})
	require.NoError(t, err)
}
