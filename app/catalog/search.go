package catalog

import (
	"sort"
	"strings"
	"unicode"

	"github.com/mozillazg/go-pinyin"
	"golang.org/x/text/width"
)

// MaxResults is the most a search returns: a cashier picks from a short
// list; more means the query needs another keystroke.
const MaxResults = 50

// MaxReadings caps the pinyin spellings kept for one name. Every reading of
// every polyphonic character is combined until the next character would
// take the count past the cap; from there on, characters contribute only
// their first (most common) reading. A name of twenty polyphonic characters
// thus gives at most MaxReadings spellings, not 2^20, and the readings of
// its first characters — the ones people type — are all there.
const MaxReadings = 16

// Keys is what a search matches a product name by, all in Normalise form.
type Keys struct {
	Name     string   // the name itself
	Full     []string // full pinyin without tones or spaces: "chongqing", "zhongqing"
	Initials []string // the first letter of each syllable: "cq", "zq"
}

// Normalise is the form names and queries are compared in: full-width
// letters and digits folded to ASCII, lower case, inner spaces collapsed.
func Normalise(s string) string {
	s = strings.ToLower(width.Fold.String(s))
	return strings.Join(strings.Fields(s), " ")
}

var pinyinArgs = func() pinyin.Args {
	a := pinyin.NewArgs()
	a.Style = pinyin.Normal
	a.Heteronym = true
	a.Fallback = func(rune, pinyin.Args) []string { return nil }
	return a
}()

// SearchKeys turns a product name into the keys a search matches. Letters
// and digits outside Chinese (500ml, A4) stay as they are in both the full
// and the initials forms; spaces and punctuation are dropped from them.
func SearchKeys(name string) Keys {
	n := Normalise(name)
	k := Keys{Name: n}
	type spelling struct{ full, initials string }
	combos := []spelling{{}}
	hasHan := false
	for _, r := range n {
		var readings []string
		switch {
		case unicode.Is(unicode.Han, r):
			readings = pinyin.SinglePinyin(r, pinyinArgs)
		case r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			for i := range combos {
				combos[i].full += string(r)
				combos[i].initials += string(r)
			}
			continue
		default:
			continue
		}
		readings = dedupe(readings)
		if len(readings) == 0 {
			continue
		}
		hasHan = true
		if len(combos)*len(readings) > MaxReadings {
			readings = readings[:1]
		}
		next := make([]spelling, 0, len(combos)*len(readings))
		for _, c := range combos {
			for _, py := range readings {
				next = append(next, spelling{c.full + py, c.initials + py[:1]})
			}
		}
		combos = next
	}
	if !hasHan {
		return k // the name itself already is everything a query could match
	}
	for _, c := range combos {
		k.Full = append(k.Full, c.full)
		k.Initials = append(k.Initials, c.initials)
	}
	k.Full = dedupe(k.Full)
	k.Initials = dedupe(k.Initials)
	return k
}

func dedupe(ss []string) []string {
	out := ss[:0:0]
	seen := make(map[string]bool, len(ss))
	for _, s := range ss {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// Rank orders search hits: lower is better.
type Rank int

const (
	RankExactCode  Rank = iota // the query is one of the product's codes
	RankCodePrefix             // a code starts with the query
	RankNamePrefix             // the name, its pinyin or its initials start with the query
	RankName                   // the name, its pinyin or its initials contain the query
)

// Entry is a product as search sees it.
type Entry struct {
	ID    int64
	Codes []string // NormaliseCode form
	Name  string
}

// Hit is a matched entry and how well it matched.
type Hit struct {
	ID   int64
	Rank Rank
}

// Match reports how entry e matches query q, or false: the rule the index
// applies (IndexTerms, IndexQuery), for one entry. Codes match by exact
// value or prefix (a scanned or typed code); names by a term that starts
// with the query: the name from any character, its initials from any
// character, its full pinyin from any syllable ("chong qing" finds 重庆,
// spaces in a query are ignored).
func Match(q string, e Entry) (Rank, bool) {
	if r, ok := MatchCode(q, e.Codes); ok {
		return r, true
	}
	start, within, cut := IndexQuery(q)
	if start == "" {
		return 0, false
	}
	best, found := RankName, false
	for _, t := range IndexTerms(e.Name) {
		if strings.HasPrefix(t, start) {
			best, found = RankNamePrefix, true
			break
		}
		found = found || within != "" && strings.HasPrefix(t, within)
	}
	if found && cut && !Confirm(q, e.Name) {
		return 0, false
	}
	return best, found
}

// MatchCode matches a query against a product's codes: exact, or prefix.
func MatchCode(q string, codes []string) (Rank, bool) {
	code := NormaliseCode(q)
	if code == "" {
		return 0, false
	}
	found := false
	for _, c := range codes {
		if c == code {
			return RankExactCode, true
		}
		found = found || strings.HasPrefix(c, code)
	}
	return RankCodePrefix, found
}

// Confirm checks a query longer than a term (IndexQuery cut it) against a
// whole name: its compact form, initials or full pinyin contain the
// query's compact form.
func Confirm(q, name string) bool {
	c := Compact(q)
	if c == "" {
		return false
	}
	if strings.Contains(Compact(name), c) {
		return true
	}
	k := SearchKeys(name)
	for _, set := range [][]string{k.Initials, k.Full} {
		for _, s := range set {
			if strings.Contains(s, c) {
				return true
			}
		}
	}
	return false
}

// Search matches q against entries and returns at most MaxResults hits,
// best rank first, then in the entries' order (a caller passes them sorted
// the way it wants ties shown). It is the ranking the index gives a
// million products, for a list already in memory.
func Search(q string, entries []Entry) []Hit {
	var hits []Hit
	for _, e := range entries {
		if r, ok := Match(q, e); ok {
			hits = append(hits, Hit{ID: e.ID, Rank: r})
		}
	}
	sort.SliceStable(hits, func(i, j int) bool { return hits[i].Rank < hits[j].Rank })
	if len(hits) > MaxResults {
		hits = hits[:MaxResults]
	}
	return hits
}
