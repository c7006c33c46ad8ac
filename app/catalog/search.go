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
	Keys  Keys
}

// Hit is a matched entry and how well it matched.
type Hit struct {
	ID   int64
	Rank Rank
}

// Match reports how entry e matches query q, or false. Codes match by
// exact value or prefix (a scanned or typed code); names match by
// substring, pinyin and initials by prefix or substring, spaces in the
// query ignored for pinyin ("chong qing" finds 重庆).
func Match(q string, e Entry) (Rank, bool) {
	return prepare(q).match(e)
}

// query is a query normalised once for matching many entries.
type query struct{ text, code, compact string }

func prepare(q string) query {
	t := Normalise(q)
	return query{text: t, code: NormaliseCode(q), compact: strings.ReplaceAll(t, " ", "")}
}

func (q query) match(e Entry) (Rank, bool) {
	if q.text == "" {
		return 0, false
	}
	best, found := Rank(0), false
	better := func(r Rank) {
		if !found || r < best {
			best, found = r, true
		}
	}
	for _, c := range e.Codes {
		if c == q.code {
			return RankExactCode, true
		}
		if strings.HasPrefix(c, q.code) {
			better(RankCodePrefix)
		}
	}
	if found {
		return best, true
	}
	if strings.HasPrefix(e.Keys.Name, q.text) {
		return RankNamePrefix, true
	}
	if strings.Contains(e.Keys.Name, q.text) {
		better(RankName)
	}
	for _, set := range [][]string{e.Keys.Initials, e.Keys.Full} {
		for _, s := range set {
			if strings.HasPrefix(s, q.compact) {
				return RankNamePrefix, true
			}
			if strings.Contains(s, q.compact) {
				better(RankName)
			}
		}
	}
	return best, found
}

// Search matches q against entries and returns at most MaxResults hits,
// best rank first, then in the entries' order (a caller passes them sorted
// the way it wants ties shown, by name or by sales). It is the ranking
// every search shares; an index for a million products narrows the entries
// first and ranks what it found with this.
func Search(q string, entries []Entry) []Hit {
	pq := prepare(q)
	var hits []Hit
	for _, e := range entries {
		if r, ok := pq.match(e); ok {
			hits = append(hits, Hit{ID: e.ID, Rank: r})
		}
	}
	sort.SliceStable(hits, func(i, j int) bool { return hits[i].Rank < hits[j].Rank })
	if len(hits) > MaxResults {
		hits = hits[:MaxResults]
	}
	return hits
}
