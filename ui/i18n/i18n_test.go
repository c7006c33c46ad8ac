package i18n

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"

	"cashier/assets"
)

var call = regexp.MustCompile(`i18n\.T\("([^"]+)",\s*"((?:[^"\\]|\\.)*)"`)

// Every key used in the source has a zh and an en translation, the zh
// translation equals the Chinese fallback written at the call, and no
// translation file carries keys nobody uses.
func TestTranslations_CompleteAndConsistent(t *testing.T) {
	used := map[string]string{}
	root := filepath.Join("..", "..")
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || d.Name() == ".git") {
			return filepath.SkipDir
		}
		if d.IsDir() || filepath.Ext(p) != ".go" || filepath.Base(p) == "i18n_test.go" {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, m := range call.FindAllStringSubmatch(string(b), -1) {
			if prev, ok := used[m[1]]; ok && prev != m[2] {
				t.Errorf("key %s has two different Chinese fallbacks: %q and %q", m[1], prev, m[2])
			}
			used[m[1]] = m[2]
		}
		return nil
	})
	require.NoError(t, err)
	require.NotEmpty(t, used)
	for _, lang := range []string{"zh", "en"} {
		b, err := assets.Translations.ReadFile("translations/" + lang + ".json")
		require.NoError(t, err)
		var m map[string]string
		require.NoError(t, json.Unmarshal(b, &m), lang)
		for k, zh := range used {
			v, ok := m[k]
			if !ok || v == "" {
				t.Errorf("%s.json lacks %q", lang, k)
			}
			if lang == "zh" && ok && v != zh {
				t.Errorf("zh.json %q = %q but the code's fallback is %q", k, v, zh)
			}
		}
		for k := range m {
			if _, ok := used[k]; !ok {
				t.Errorf("%s.json has unused key %q", lang, k)
			}
		}
	}
}
