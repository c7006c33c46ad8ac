// Package i18n turns message codes into words in the person's language:
// the translations in assets/translations (zh.json, en.json), chosen by the
// language setting, for the GUI and the CLI alike. app speaks in codes
// (app.Message, app.Error); this is the one place they become sentences.
//
// The lookup is our own, not Fyne's: Fyne matches the OS locale against
// its own bundled languages (zh-Hans) and would miss a file named zh, and
// it cannot be told a language at all on Windows. Fyne's own widget texts
// still follow the OS locale, which Use points at the chosen language on
// Linux and other Unix systems.
package i18n

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"text/template"
	"time"

	"fyne.io/fyne/v2/lang"

	"cashier/app"
	"cashier/assets"
	"cashier/ui/i18n/locale"
)

// Languages the app ships, and the setting that follows the computer.
const (
	Chinese = "zh"
	English = "en"
	System  = "system"
)

var (
	mu      sync.RWMutex
	current = Chinese
	tables  map[string]map[string]string
	parsed  = map[string]*template.Template{}
)

func load() error {
	if tables != nil {
		return nil
	}
	t := map[string]map[string]string{}
	for _, l := range []string{Chinese, English} {
		b, err := assets.Translations.ReadFile("translations/" + l + ".json")
		if err != nil {
			return err
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			return fmt.Errorf("translations/%s.json: %w", l, err)
		}
		t[l] = m
	}
	tables = t
	return nil
}

// Resolve turns the language setting into zh or en. "system" (or empty)
// follows the locale environment: a Chinese locale, or one that names no
// language (C, POSIX), gives Chinese; any other language gives English.
func Resolve(setting string, getenv func(string) string) string {
	switch setting {
	case Chinese, English:
		return setting
	}
	// GNU gettext's order: LANGUAGE wins unless the locale is plain C.
	v := locale.Effective(getenv)
	if l := getenv("LANGUAGE"); l != "" && v != "C" && v != "POSIX" {
		v = l
	}
	v = strings.SplitN(v, ":", 2)[0]
	switch {
	case locale.NoLanguage(v), strings.HasPrefix(strings.ToLower(v), "zh"):
		return Chinese
	}
	return English
}

// SettingTakesEffect reports whether the setting also changes Fyne's own
// widget texts here (it reads the OS locale, which only the environment
// sets on Unix systems).
func SettingTakesEffect() bool {
	switch runtime.GOOS {
	case "windows", "darwin", "android", "ios", "js":
		return false
	}
	return true
}

// Use chooses the language (a setting value: zh, en, or system / "" to
// follow the locale) for every later lookup.
func Use(setting string) error {
	l := Resolve(setting, os.Getenv)
	mu.Lock()
	defer mu.Unlock()
	if err := load(); err != nil {
		return err
	}
	current = l
	if SettingTakesEffect() && (setting == Chinese || setting == English) {
		tag := "zh_CN"
		if l == English {
			tag = "en_US"
		}
		os.Unsetenv("LC_ALL")
		os.Setenv("LC_MESSAGES", tag+".UTF-8")
		os.Setenv("LANGUAGE", tag)
		// Fyne re-reads the locale when translations are added.
		_ = lang.AddTranslationsFS(assets.Translations, "translations")
	}
	return nil
}

// Current is the language in use: zh or en.
func Current() string {
	mu.RLock()
	defer mu.RUnlock()
	return current
}

// Key marks a literal translation key that is looked up later (a title
// kept as a key so it follows a language change); it returns k.
func Key(k string) string { return k }

// T translates key with key/value parameters. A missing key shows itself
// (a test keeps that from shipping).
func T(key string, kv ...any) string {
	return M(app.Msg(key, kv...))
}

// M translates a message into the language in use.
func M(m app.Message) string { return In(Current(), m) }

// In translates a message into lang (zh or en) whatever the language in
// use: a printed receipt, for one, is Chinese on an English screen.
// Parameters are formatted as M does.
func In(lang string, m app.Message) string {
	if m.Code == "" {
		return ""
	}
	tpl := template_(lang, m.Code)
	if tpl == nil {
		return m.Code
	}
	data := make(map[string]any, len(m.Args))
	for k, v := range m.Args {
		data[k] = format(v)
	}
	var b bytes.Buffer
	if err := tpl.Execute(&b, data); err != nil {
		return m.Code
	}
	return b.String()
}

// template_ is code's template in language l (parsed once per language),
// Chinese when l lacks it, nil when neither has it.
func template_(l, code string) *template.Template {
	key := l + "\x00" + code
	mu.RLock()
	tpl, ok := parsed[key]
	mu.RUnlock()
	if ok {
		return tpl
	}
	mu.Lock()
	defer mu.Unlock()
	if err := load(); err != nil {
		return nil
	}
	text, found := tables[l][code]
	if !found {
		text, found = tables[Chinese][code]
	}
	if !found {
		parsed[key] = nil
		return nil
	}
	tpl, err := template.New(code).Option("missingkey=zero").Parse(text)
	if err != nil {
		tpl = nil
	}
	parsed[key] = tpl
	return tpl
}

// format turns a parameter into text in the current language.
func format(v any) any {
	switch x := v.(type) {
	case app.Money:
		return x.Display()
	case app.Message:
		return M(x)
	case *app.Error:
		return Err(x)
	case error:
		return Err(x)
	case time.Time:
		if x.IsZero() {
			return ""
		}
		return x.Local().Format("2006-01-02 15:04:05")
	case time.Duration:
		return int(x.Round(time.Second) / time.Second)
	}
	return v
}

// Err puts an error into words: the first app.Error in its chain, in the
// current language; a refusal of a channel client before sending, with the
// client's technical reason; anything else (a storage or system fault) as
// "internal error" with the technical text for support.
func Err(err error) string {
	if err == nil {
		return ""
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var parts []string
		for _, e := range j.Unwrap() {
			if e != nil {
				parts = append(parts, Err(e))
			}
		}
		return strings.Join(parts, T("list.sep"))
	}
	if m, ok := app.AsMessage(err); ok {
		s := M(m)
		var ns *app.NotSentError
		if errors.As(err, &ns) && m.Code != "payment.not_sent" {
			s += " — " + T("err.not_sent", "Reason", ns.Reason.Error())
		}
		return s
	}
	var ns *app.NotSentError
	if errors.As(err, &ns) {
		return T("err.not_sent", "Reason", ns.Reason.Error())
	}
	return T("err.internal", "Detail", err.Error())
}
