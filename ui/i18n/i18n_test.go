package i18n

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"text/template"
	"time"

	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/assets"
)

// Literal translation keys in the source: messages and errors from app and
// the outer layers, and the screens' and commands' own words.
var keyCalls = []*regexp.Regexp{
	regexp.MustCompile(`(?:\bMsg|\bNewError|\.Sub|\bi18n\.T|\bi18n\.Key|\.say)\("([a-z0-9_]+(?:\.[a-z0-9_]+)+)"`),
	// the CLI's helpers take the key after other arguments:
	// e.newFlags(name, key), e.usageErr(fs, cmd, key, ...),
	// e.newLockFlags(cmd, usageKey, lockHelpKey)
	regexp.MustCompile(`\.(?:newFlags|usageErr)\([^)"]*(?:"[^"]*"[^)"]*)*?"([a-z0-9_]+(?:\.[a-z0-9_]+)+)"`),
	regexp.MustCompile(`\.newLockFlags\("[^"]*", "([a-z0-9_.]+)"`),
	regexp.MustCompile(`\.newLockFlags\("[^"]*", "[a-z0-9_.]+", "([a-z0-9_.]+)"`),
}

// usedKeys scans every non-test Go file of the module.
func usedKeys(t *testing.T) map[string][]string {
	used := map[string][]string{}
	root := filepath.Join("..", "..")
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || d.Name() == ".git" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || filepath.Ext(p) != ".go" || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, re := range keyCalls {
			for _, m := range re.FindAllStringSubmatch(string(b), -1) {
				used[m[1]] = append(used[m[1]], p)
			}
		}
		// Inside this package T is called unqualified.
		if filepath.Base(filepath.Dir(p)) == "i18n" {
			for _, m := range regexp.MustCompile(`\bT\("([a-z0-9_.]+)"`).FindAllStringSubmatch(string(b), -1) {
				used[m[1]] = append(used[m[1]], p)
			}
		}
		return nil
	})
	require.NoError(t, err)
	return used
}

func table(t *testing.T, lang string) map[string]string {
	b, err := assets.Translations.ReadFile("translations/" + lang + ".json")
	require.NoError(t, err)
	var m map[string]string
	require.NoError(t, json.Unmarshal(b, &m), lang)
	return m
}

// Every key used in the source has a zh and an en translation, both
// files hold the same keys, every text is a valid template, and no file
// carries a key nobody uses.
func TestTranslations_CompleteAndConsistent(t *testing.T) {
	used := usedKeys(t)
	require.Greater(t, len(used), 200, "the scan found the keys")
	for _, lang := range []string{Chinese, English} {
		m := table(t, lang)
		var missing, unused []string
		for k, where := range used {
			if v, ok := m[k]; !ok || v == "" {
				missing = append(missing, k+" ("+where[0]+")")
			}
		}
		for k, v := range m {
			if _, ok := used[k]; !ok {
				unused = append(unused, k)
			}
			_, err := template.New(k).Parse(v)
			require.NoError(t, err, "%s.json %s", lang, k)
		}
		sort.Strings(missing)
		sort.Strings(unused)
		require.Empty(t, missing, "%s.json lacks keys", lang)
		require.Empty(t, unused, "%s.json has keys no code uses", lang)
	}
}

// The English table has no Chinese in it and the Chinese one names its
// parameters as the English one does (a template param typo shows as an
// empty gap otherwise).
func TestTranslations_SameParameters(t *testing.T) {
	zh, en := table(t, Chinese), table(t, English)
	param := regexp.MustCompile(`\{\{[^}]*\.([A-Z][A-Za-z]*)`)
	params := func(s string) []string {
		var out []string
		for _, m := range param.FindAllStringSubmatch(s, -1) {
			out = append(out, m[1])
		}
		sort.Strings(out)
		return out
	}
	han := regexp.MustCompile(`\p{Han}`)
	for k, e := range en {
		require.Equal(t, params(zh[k]), params(e), "parameters of %s", k)
		require.False(t, han.MatchString(e), "en.json %s holds Chinese: %q", k, e)
	}
}

// Chinese loads on every locale that names no language or names Chinese;
// other languages get English; the setting wins over the locale.
func TestResolve(t *testing.T) {
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	for _, c := range []struct {
		setting string
		env     func(string) string
		want    string
	}{
		{"", env(), Chinese},
		{"", env("LANG", "C"), Chinese},
		{"", env("LANG", "C.UTF-8"), Chinese},
		{"", env("LANG", "POSIX"), Chinese},
		{"", env("LANG", "zh_CN.UTF-8"), Chinese},
		{"", env("LANG", "zh_TW.UTF-8"), Chinese},
		{"", env("LANGUAGE", "zh_Hans"), Chinese},
		{"system", env("LANG", "en_US.UTF-8"), English},
		{"system", env("LANG", "fr_FR.UTF-8"), English},
		{"system", env("LC_ALL", "C", "LANGUAGE", "en_US"), Chinese},
		{"zh", env("LANG", "en_US.UTF-8"), Chinese},
		{"en", env("LANG", "zh_CN.UTF-8"), English},
	} {
		require.Equal(t, c.want, Resolve(c.setting, c.env), "%q %v", c.setting, c.env("LANG"))
	}
}

// Messages with parameters come out in the chosen language, money and
// nested messages formatted; an app error is found in a wrapped chain.
func TestTranslate(t *testing.T) {
	require.NoError(t, Use(English))
	defer Use(Chinese)
	err := app.NewError("payment.refund_exceeds").With("Asked", app.Money(1250), "Left", app.Money(300))
	s := Err(errors.Join(errors.New("context"), err))
	require.Contains(t, s, "12.50")
	require.Contains(t, s, "3.00")
	require.Equal(t, "WeChat Pay", M(app.WalletName(app.WalletWeChat)))
	require.Equal(t, "微信支付", In(Chinese, app.WalletName(app.WalletWeChat)), "a receipt is Chinese on an English screen")
	require.Equal(t, "WeChat Pay", M(app.WalletName(app.WalletWeChat)), "In leaves the language in use alone")
	require.NoError(t, Use(Chinese))
	require.Equal(t, "微信支付", M(app.WalletName(app.WalletWeChat)))
	require.Contains(t, Err(app.ErrFieldRequired.With("Field", app.Msg("field.store_name"))), "门店名称")
	require.Contains(t, Err(errors.New("disk I/O error")), "disk I/O error")
	require.NotEmpty(t, format(time.Now()))
}
