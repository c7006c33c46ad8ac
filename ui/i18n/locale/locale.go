// Package locale fixes up the process's locale environment before Fyne's
// lang package reads it during its package initialisation.
//
// Why a package of its own: Fyne parses the locale in lang's init(), before
// main runs, and a "C.UTF-8" or "POSIX.UTF-8" locale (the default in many
// containers and service managers) makes it log "Error parsing user locale
// C" on every start, CLI commands included. Go initialises packages in
// import-path order once their imports are ready (Go spec, "Package
// initialization"), so this package — importing only the standard library,
// under the module path "cashier", which sorts before "fyne.io" — runs first
// and can set LANGUAGE, which the locale reader consults for such values.
// Chinese is the default for a locale that names no language.
package locale

import (
	"os"
	"strings"
)

// Chinese is what a locale that names no language falls back to.
const Chinese = "zh_CN"

func init() { Fix(os.Getenv, os.Setenv) }

// Fix sets LANGUAGE to Chinese when the locale variables name no language
// (unset, C, POSIX, C.UTF-8 ...) and LANGUAGE is empty. It never overrides
// a language a person chose.
func Fix(get func(string) string, set func(string, string) error) {
	if get("LANGUAGE") != "" {
		return
	}
	if NoLanguage(Effective(get)) {
		_ = set("LANGUAGE", Chinese)
	}
}

// Effective is the locale that decides the language for messages, by the
// POSIX precedence LC_ALL, LC_MESSAGES, LANG.
func Effective(get func(string) string) string {
	for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if v := get(k); v != "" {
			return v
		}
	}
	return ""
}

// NoLanguage reports whether a locale value names no language.
func NoLanguage(v string) bool {
	base, _, _ := strings.Cut(v, ".")
	base, _, _ = strings.Cut(base, "@")
	switch base {
	case "", "C", "POSIX":
		return true
	}
	return false
}
