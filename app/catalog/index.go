package catalog

import (
	"slices"
	"strings"
	"sync"
	"unicode"

	"github.com/mozillazg/go-pinyin"
)

// The search index is a list of terms per product; a query becomes one
// term prefix (IndexQuery), so a storage engine with a prefix-searchable
// term index (SQLite FTS5) answers a keystroke from a handful of index
// pages whatever the catalogue's size. Every term is a window that starts
// at one place in a name's text and runs for a few characters:
//
//   - the name (letters, digits and Han characters only) from every
//     character: 可乐 is a prefix of the window starting at 可 in 百事可乐;
//   - the pinyin initials from every character: kl in bskl;
//   - the full pinyin from every syllable: kele in baishikele.
//
// Polyphonic characters multiply readings only inside a window, so a name
// of ten of them gives a few dozen terms, not 2^10 spellings. A query
// longer than a window is looked up by its first window and confirmed by
// Match against the whole keys.
//
// A window that starts at the very beginning of the name is indexed a
// second time with StartMark in front, so "starts with" is a term prefix
// too and ranks above "contains" without reading every hit.
const (
	// Window is a term's length in characters: ten Han characters of a
	// name, ten initials, or ten letters of full pinyin (about three
	// syllables). A query is cut to it, so every kind of term is this long.
	Window = 10
	// windowReadings caps the spellings of one window; beyond it, the
	// window's later characters keep only their first reading.
	windowReadings = 8
	// readingDepth is how many characters at the start of a window give
	// every reading; later ones give their first (most common). A window
	// starts at every character, so every reading of every character
	// starts some window: 重庆 is found as zhongqing and chongqing, and
	// 长城 as changcheng and zhangcheng; only a query running on across
	// three polyphonic characters in a row needs their common readings.
	readingDepth = 2
)

// IndexVersion changes whenever IndexTerms does: a database whose terms
// were written by another version has them written again at start.
const IndexVersion = 1

// StartMark begins the terms of a name's start. It is a private-use
// character: no typed query contains it.
const StartMark = "\ue000"

// Compact is the form the index and the query share: Normalise, then
// letters, digits and Han characters only ("可口可乐 330ml" → "可口可乐330ml").
func Compact(s string) string {
	var b strings.Builder
	for _, r := range Normalise(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// syllable is one character of a name with its readings.
type syllable struct {
	r        rune
	readings []string // pinyin readings; nil for a letter or digit
	initials []string // their first letters, each once
}

// readingCache keeps each Han character's readings: go-pinyin restyles
// every reading through a regexp on each call, and a catalogue import
// asks for the same few thousand characters a million times.
var readingCache sync.Map // rune → syllable

func lookupReadings(r rune) syllable {
	if v, ok := readingCache.Load(r); ok {
		return v.(syllable)
	}
	s := syllable{r: r, readings: dedupe(pinyin.SinglePinyin(r, pinyinArgs))}
	for _, py := range s.readings {
		s.initials = append(s.initials, py[:1])
	}
	s.initials = dedupe(s.initials)
	readingCache.Store(r, s)
	return s
}

// asciiText holds each ASCII character as a one-letter string, so a
// letter or digit in a name costs no allocation.
var asciiText = func() (t [unicode.MaxASCII][]string) {
	for i := range t {
		t[i] = []string{string(rune(i))}
	}
	return t
}()

func syllables(name string) []syllable {
	c := Compact(name)
	out := make([]syllable, 0, len(c))
	for _, r := range c {
		if unicode.Is(unicode.Han, r) {
			out = append(out, lookupReadings(r))
		} else {
			out = append(out, syllable{r: r})
		}
	}
	return out
}

// spell appends to out the spellings of syls (at most windowReadings),
// each letter or digit standing for itself, each Han character by its
// readings' initials (initials) or whole readings, stopping once a
// spelling reaches limit letters, and cut to limit.
func spell(out []string, syls []syllable, initials bool, limit int) []string {
	combos := [][]byte{make([]byte, 0, limit+8)}
	for k, s := range syls {
		if len(combos[0]) >= limit {
			break
		}
		readings := s.readings
		if initials {
			readings = s.initials
		}
		if len(readings) == 0 {
			if s.r >= unicode.MaxASCII {
				continue // a Han character without a reading
			}
			readings = asciiText[s.r]
		}
		if k >= readingDepth || len(combos)*len(readings) > windowReadings {
			readings = readings[:1]
		}
		if len(readings) == 1 {
			for i := range combos {
				combos[i] = append(combos[i], readings[0]...)
			}
			continue
		}
		next := make([][]byte, 0, len(combos)*len(readings))
		for _, c := range combos {
			for _, r := range readings {
				n := make([]byte, 0, limit+8)
				next = append(next, append(append(n, c...), r...))
			}
		}
		combos = next
	}
	for _, c := range combos {
		if len(c) > limit {
			c = c[:limit]
		}
		if len(c) > 0 {
			out = append(out, string(c))
		}
	}
	return out
}

// IndexTerms are the terms a product name is found by (see above), each
// once, sorted.
func IndexTerms(name string) []string {
	syls := syllables(name)
	runes := make([]rune, len(syls))
	hasHan := false
	for i, s := range syls {
		runes[i] = s.r
		hasHan = hasHan || s.readings != nil
	}
	terms := make([]string, 0, 4*len(syls))
	for i := range syls {
		from := len(terms)
		terms = append(terms, string(runes[i:min(len(runes), i+Window)]))
		if hasHan {
			terms = spell(terms, syls[i:min(len(syls), i+Window)], true, Window)
			if syls[i].readings != nil || i == 0 {
				terms = spell(terms, syls[i:], false, Window)
			}
		}
		if i == 0 {
			for k := from; k < len(terms); k++ {
				terms[k] = StartMark + terms[k]
			}
		}
	}
	slices.Sort(terms)
	return slices.Compact(terms)
}

// IndexQuery turns a typed query into the term prefixes the index is
// asked for: start for "starts with", within for "contains". Both are
// empty for a query with nothing to look up, and within is empty for a
// single character: "contains k" or "contains 面" is every tenth product,
// not a list to pick from, so the first keystroke finds the names that
// start with it and the second narrows. A query longer than a window is
// cut to the window, and its hits need Match to confirm them.
func IndexQuery(q string) (start, within string, cut bool) {
	c := []rune(Compact(q))
	if len(c) == 0 {
		return "", "", false
	}
	if len(c) > Window {
		c, cut = c[:Window], true
	}
	if len(c) == 1 {
		return StartMark + string(c), "", false
	}
	return StartMark + string(c), string(c), cut
}
