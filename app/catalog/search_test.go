package catalog

import (
	"strings"
	"testing"

	"cashier/app"

	"github.com/stretchr/testify/require"
)

func TestSearchKeys_Polyphonic(t *testing.T) {
	k := SearchKeys("重庆小面")
	require.Equal(t, "重庆小面", k.Name)
	require.Contains(t, k.Full, "chongqingxiaomian")
	require.Contains(t, k.Full, "zhongqingxiaomian")
	require.Contains(t, k.Initials, "cqxm")
	require.Contains(t, k.Initials, "zqxm")

	for _, name := range []string{"银行", "行走"} {
		k := SearchKeys(name)
		var hang, xing bool
		for _, f := range k.Full {
			hang = hang || strings.Contains(f, "hang")
			xing = xing || strings.Contains(f, "xing")
		}
		require.True(t, hang && xing, "%s: %v", name, k.Full)
	}
	require.Contains(t, SearchKeys("银行").Full, "yinhang")
	require.Contains(t, SearchKeys("行走").Full, "xingzou")
	require.Contains(t, SearchKeys("绿茶").Full, "lvcha", "ü is typed as v")
}

func TestSearchKeys_MixedAndWidth(t *testing.T) {
	k := SearchKeys("  ＡＢＣ 饼干 ５００Ｇ ")
	require.Equal(t, "abc 饼干 500g", k.Name)
	require.Contains(t, k.Full, "abcbinggan500g")
	require.Contains(t, k.Initials, "abcbg500g")

	k = SearchKeys("Coca-Cola")
	require.Equal(t, Keys{Name: "coca-cola"}, k, "no Chinese: the name is the only key")
	require.Equal(t, Keys{}, SearchKeys("   "))
	k = SearchKeys("☆")
	require.Equal(t, "☆", k.Name)
	require.Empty(t, k.Full)
}

func TestSearchKeys_Bounded(t *testing.T) {
	k := SearchKeys(strings.Repeat("长行重", 20))
	require.LessOrEqual(t, len(k.Full), MaxReadings)
	require.LessOrEqual(t, len(k.Initials), MaxReadings)
	require.Greater(t, len(k.Full), 1, "the first characters keep every reading")
	var zh, ch bool
	for _, i := range k.Initials {
		zh = zh || strings.HasPrefix(i, "z")
		ch = ch || strings.HasPrefix(i, "c")
	}
	require.True(t, zh && ch, "both readings of the first character: %v", k.Initials)
	for _, f := range k.Full {
		require.Len(t, strings.Fields(f), 1)
	}
}

func entries() []Entry {
	mk := func(id int64, name string, codes ...string) Entry {
		return Entry{ID: id, Codes: codes, Name: name}
	}
	return []Entry{
		mk(1, "重庆小面", "6901234567892"),
		mk(2, "银行卡套", "690123"),
		mk(3, "农夫山泉", "6921168509256"),
		mk(4, "山泉水6901", "A-1001"),
		mk(5, "可口可乐", "96385074"),
	}
}

func TestMatch(t *testing.T) {
	e := entries()
	for _, c := range []struct {
		q    string
		e    Entry
		want Rank
	}{
		{"6901234567892", e[0], RankExactCode},
		{"６９０１２３４５６７８９２", e[0], RankExactCode},
		{"690123", e[0], RankCodePrefix},
		{"a-10", e[3], RankCodePrefix},
		{"重庆", e[0], RankNamePrefix},
		{"小面", e[0], RankName},
		{"cq", e[0], RankNamePrefix},
		{"zq", e[0], RankNamePrefix},
		{"CQXM", e[0], RankNamePrefix},
		{"chong qing", e[0], RankNamePrefix},
		{"xiaomian", e[0], RankName},
		{"yh", e[1], RankNamePrefix},
		{"yinxing", e[1], RankNamePrefix},
		{"sq", e[2], RankName},
		{"6901", e[3], RankName}, // in its name, not its codes
		{"kele", e[4], RankName},
		{"kekoukele", e[4], RankNamePrefix},
		{"kkkl", e[4], RankNamePrefix},
		{"口可", e[4], RankName},
	} {
		r, ok := Match(c.q, c.e)
		require.True(t, ok, c.q)
		require.Equal(t, c.want, r, c.q)
	}
	for _, q := range []string{"", "  ", "xyz", "7", "重庆火锅"} {
		_, ok := Match(q, e[0])
		require.False(t, ok, q)
	}
}

func TestSearch_RanksAndCaps(t *testing.T) {
	hits := Search("690123", entries())
	require.Equal(t, []Hit{{2, RankExactCode}, {1, RankCodePrefix}}, hits, "the exact code first")
	hits = Search("6901", entries())
	// 4 has 6901 only in its name, so it comes after both code prefixes.
	require.Equal(t, []Hit{{1, RankCodePrefix}, {2, RankCodePrefix}, {4, RankName}}, hits)

	hits = Search("sq", entries())
	require.Equal(t, []Hit{{4, RankNamePrefix}, {3, RankName}}, hits)
	require.Empty(t, Search("", entries()))

	var many []Entry
	for i := int64(0); i < 200; i++ {
		many = append(many, Entry{ID: i, Name: "面包"})
	}
	hits = Search("mb", many)
	require.Len(t, hits, MaxResults)
	require.Equal(t, int64(0), hits[0].ID, "ties keep the caller's order")
	require.Equal(t, int64(MaxResults-1), hits[MaxResults-1].ID)
}

func TestIndex_TermsAndQueries(t *testing.T) {
	terms := IndexTerms("百事可乐 500ml")
	has := func(prefix string) bool {
		for _, tm := range terms {
			if strings.HasPrefix(tm, prefix) {
				return true
			}
		}
		return false
	}
	for _, q := range []string{"百事", "bskl", "baishi", "boshi", "baishikele", "boshikele"} {
		start, _, _ := IndexQuery(q)
		require.True(t, has(start), "starts with %q", q)
	}
	for _, q := range []string{"可乐", "kl", "kele", "yue", "500ml", "ml", "乐500"} {
		start, within, _ := IndexQuery(q)
		require.True(t, has(within), "contains %q", q)
		require.False(t, has(start), "does not start with %q", q)
	}
	for _, q := range []string{"ele", "xyz", "可口"} {
		_, within, _ := IndexQuery(q)
		require.False(t, has(within), "mid-syllable or absent %q", q)
	}
	// A long query is cut to one term and confirmed against the whole name.
	name := "农夫山泉饮用天然水矿物质 550ml"
	start, _, cut := IndexQuery("nongfushanquanyinyong")
	require.True(t, cut)
	require.Equal(t, StartMark+"nongfushan", start)
	r, ok := Match("nongfushanquanyinyong", Entry{Name: name})
	require.True(t, ok)
	require.Equal(t, RankNamePrefix, r)
	_, ok = Match("nongfushanquanxxxx", Entry{Name: name})
	require.False(t, ok, "the cut part matches, the rest does not")
	require.Equal(t, "", Compact(" ☆ "))
	s, w, _ := IndexQuery("☆")
	require.Empty(t, s+w)
}

func TestIndex_BoundedTerms(t *testing.T) {
	// Twenty polyphonic characters: terms grow with the length, not 2^n.
	terms := IndexTerms(strings.Repeat("长行重", 7))
	require.Less(t, len(terms), 21*(1+windowReadings*2)*2)
	require.NotEmpty(t, terms)
}

func TestLayouts_NamedInStoreSettings(t *testing.T) {
	require.Equal(t, LayoutNone, app.ScaleLayouts[0])
	for _, name := range app.ScaleLayouts[1:] {
		l, ok := LayoutNamed(name)
		require.True(t, ok, name)
		require.NoError(t, l.Validate())
	}
	require.Len(t, app.ScaleLayouts, len(Layouts)+1)
}

// One character finds the names that start with it; "contains" starts at
// two, where a list is short enough to pick from.
func TestIndex_OneCharacterStartsOnly(t *testing.T) {
	e := Entry{Name: "牛肉面"}
	r, ok := Match("牛", e)
	require.True(t, ok)
	require.Equal(t, RankNamePrefix, r)
	r, ok = Match("n", e)
	require.True(t, ok)
	require.Equal(t, RankNamePrefix, r)
	_, ok = Match("面", e)
	require.False(t, ok)
	r, ok = Match("肉面", e)
	require.True(t, ok)
	require.Equal(t, RankName, r)
}
