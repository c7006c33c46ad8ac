package channel

import (
	"fmt"
	"sort"
	"strings"
)

// Secret holds a key, password or private key. It never shows its value
// through fmt (%v, %+v, %#v, %s, %q) or JSON, so a Config printed into a log
// line or exported as JSON carries "***" instead. Code that really needs the
// value (signing, or the settings store writing it to disk) calls Reveal.
type Secret string

const redacted = "***"

// Reveal returns the secret value. Call it only where the value is used.
func (s Secret) Reveal() string { return string(s) }

// IsSet reports whether a value is present.
func (s Secret) IsSet() bool { return s != "" }

// String implements fmt.Stringer without exposing the value.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// GoString implements fmt.GoStringer for %#v.
func (s Secret) GoString() string { return fmt.Sprintf("%q", s.String()) }

// Format makes every verb (%s %v %q %x ...) print the redacted form.
func (s Secret) Format(f fmt.State, verb rune) {
	switch verb {
	case 'q':
		fmt.Fprintf(f, "%q", s.String())
	default:
		fmt.Fprint(f, s.String())
	}
}

// MarshalJSON exports the redacted form: exports never carry secrets.
// The settings store must persist Reveal() explicitly.
func (s Secret) MarshalJSON() ([]byte, error) {
	return []byte(fmt.Sprintf("%q", s.String())), nil
}

// MarshalText keeps encoding/xml, TOML and friends from seeing the value.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Redact replaces every occurrence of each non-trivial secret in text with
// "***". Secrets shorter than 4 characters are ignored (they would blank out
// ordinary words). Longer secrets are replaced first so a secret that
// contains another is removed whole. PEM keys are also matched line by line,
// so a single base64 line of a private key is caught too.
func Redact(text string, secrets ...string) string {
	var parts []string
	for _, s := range secrets {
		s = strings.TrimSpace(s)
		if len(s) < 4 {
			continue
		}
		parts = append(parts, s)
		if strings.Contains(s, "\n") {
			for _, line := range strings.Split(s, "\n") {
				line = strings.TrimSpace(line)
				if len(line) >= 16 && !strings.HasPrefix(line, "-----") {
					parts = append(parts, line)
				}
			}
		}
	}
	sort.Slice(parts, func(i, j int) bool { return len(parts[i]) > len(parts[j]) })
	for _, p := range parts {
		text = strings.ReplaceAll(text, p, redacted)
	}
	return text
}
