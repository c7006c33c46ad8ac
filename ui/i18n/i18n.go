// Package i18n loads the zh and en translations into fyne's lang package
// and applies the language setting.
//
// Fyne offers no call to choose a language: it reads the OS locale. On
// Linux and other Unix systems the OS locale is the environment, so the
// setting is applied by setting LANGUAGE/LC_MESSAGES for this process before
// the translations load. On Windows, macOS and Android Fyne follows the OS.
package i18n

import (
	"os"
	"runtime"

	"fyne.io/fyne/v2/lang"

	"cashier/assets"
)

// Languages the app ships.
const (
	Chinese = "zh"
	English = "en"
	System  = "system"
)

// SettingTakesEffect reports whether the language setting can override the
// OS on this platform.
func SettingTakesEffect() bool {
	switch runtime.GOOS {
	case "windows", "darwin", "android", "ios", "js":
		return false
	}
	return true
}

// Load applies language ("zh", "en", "system" or "" = zh, Chinese first)
// and loads the translations. Call it once, before building any window.
func Load(language string) error {
	if language == "" {
		language = Chinese
	}
	if SettingTakesEffect() && language != System {
		tag := "zh_CN"
		if language == English {
			tag = "en_US"
		}
		// LC_ALL would win over LC_MESSAGES; this process formats nothing
		// through the C locale, so clearing it is harmless.
		os.Unsetenv("LC_ALL")
		os.Setenv("LC_MESSAGES", tag+".UTF-8")
		os.Setenv("LANGUAGE", tag)
	}
	return lang.AddTranslationsFS(assets.Translations, "translations")
}

// T looks up key, falling back to the Chinese text zh.
func T(key, zh string, data ...any) string { return lang.X(key, zh, data...) }
