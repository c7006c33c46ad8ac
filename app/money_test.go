package app

import (
	"errors"
	"math"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseMoneyAccepts(t *testing.T) {
	cases := []struct {
		in   string
		want Money
	}{
		{"12.5", 1250},
		{"12.50", 1250},
		{"12", 1200},
		{"0.01", 1},
		{"0.1", 10},
		{"0", 0},
		{"0.00", 0},
		{"-0", 0}, // minus zero is zero, not a negative amount
		{"1,234.50", 123450},
		{"1,234", 123400},
		{"123,456.78", 12345678},
		{"￥8", 800},   // U+FFE5 fullwidth yuan sign
		{"¥8.8", 880}, // U+00A5 yen sign, what some keyboards type
		{"￥ 8", 800},
		{" 3 ", 300},
		{"\t3\n", 300},
		{"+3", 300},
		{"007.00", 700},
		{"1000000.00", 100_000_000}, // exactly the default ceiling
		{"1,000,000", 100_000_000},
	}
	for _, c := range cases {
		got, err := ParseMoney(c.in)
		if assert.NoError(t, err, "ParseMoney(%q)", c.in) {
			assert.Equal(t, c.want, got, "ParseMoney(%q)", c.in)
		}
	}
}

func TestParseMoneyRejects(t *testing.T) {
	cases := []struct {
		in   string
		want error
	}{
		{"12.345", ErrMoneyDecimals},
		{"0.001", ErrMoneyDecimals},
		{"abc", ErrMoneySyntax},
		{"1e3", ErrMoneySyntax},
		{"12.", ErrMoneySyntax},
		{".", ErrMoneySyntax},
		{"-.", ErrMoneySyntax},
		{"", ErrMoneyEmpty},
		{"   ", ErrMoneyEmpty},
		{"￥", ErrMoneyEmpty},
		{"-", ErrMoneySyntax},
		{"+", ErrMoneySyntax},
		{"--1", ErrMoneySyntax},
		{"+-1", ErrMoneySyntax},
		{"- 1", ErrMoneySyntax},
		{"1.2.3", ErrMoneySyntax},
		{"1 000", ErrMoneySyntax},
		{"12a", ErrMoneySyntax},
		{"0x10", ErrMoneySyntax},
		{"１２", ErrMoneySyntax}, // fullwidth digits
		{"12.5a", ErrMoneySyntax},
		{"12.-5", ErrMoneySyntax},
		{"NaN", ErrMoneySyntax},
		{"Inf", ErrMoneySyntax},
		// A comma is only a thousands separator. "12,50" is how a European
		// keyboard writes 12.50; reading it as 1250 yuan would charge 100×.
		{"12,50", ErrMoneySyntax},
		{"1,2,3", ErrMoneySyntax},
		{",5", ErrMoneySyntax},
		{"1,", ErrMoneySyntax},
		{"1,,234", ErrMoneySyntax},
		{"1234,567", ErrMoneySyntax},
		{"1,2345", ErrMoneySyntax},
		{",.5", ErrMoneySyntax},
		{"-1", ErrMoneyNegative},
		{"-0.01", ErrMoneyNegative},
		{"￥-8", ErrMoneyNegative},
		{"1000000.01", ErrMoneyCeiling},
		{"-1000000.01", ErrMoneyCeiling},
		{"99999999", ErrMoneyCeiling},
		{"99999999999999999999", ErrMoneyOverflow},
		{"92233720368547758.08", ErrMoneyOverflow},
		{"123456789012345678901234567890.00", ErrMoneyOverflow},
	}
	for _, c := range cases {
		got, err := ParseMoney(c.in)
		assert.ErrorIs(t, err, c.want, "ParseMoney(%q) = %d", c.in, got)
		assert.Zero(t, got, "ParseMoney(%q) must return 0 with an error", c.in)
	}
}

func TestParseMoneyRules(t *testing.T) {
	neg := MoneyRules{AllowNegative: true, AllowZero: true}
	v, err := ParseMoneyWith("-12.5", neg)
	require.NoError(t, err)
	assert.Equal(t, Money(-1250), v)
	v, err = ParseMoneyWith("￥-0.05", neg)
	require.NoError(t, err)
	assert.Equal(t, Money(-5), v)
	_, err = ParseMoneyWith("-1000000.01", neg)
	assert.ErrorIs(t, err, ErrMoneyCeiling, "the ceiling applies to the absolute value")
	_, err = ParseMoneyWith("--1", neg)
	assert.ErrorIs(t, err, ErrMoneySyntax)

	// Zero: allowed by ParseMoney, refused by ParsePositiveMoney.
	_, err = ParsePositiveMoney("0.00")
	assert.ErrorIs(t, err, ErrMoneyZero)
	_, err = ParsePositiveMoney("-0")
	assert.ErrorIs(t, err, ErrMoneyZero)
	v, err = ParsePositiveMoney("0.01")
	require.NoError(t, err)
	assert.Equal(t, Money(1), v)
	_, err = ParsePositiveMoney("-1")
	assert.ErrorIs(t, err, ErrMoneyNegative)

	// A custom ceiling, both directions.
	low := MoneyRules{Ceiling: 50_000, AllowNegative: true}
	v, err = ParseMoneyWith("500", low)
	require.NoError(t, err)
	assert.Equal(t, Money(50_000), v)
	_, err = ParseMoneyWith("500.01", low)
	assert.ErrorIs(t, err, ErrMoneyCeiling)
	_, err = ParseMoneyWith("-500.01", low)
	assert.ErrorIs(t, err, ErrMoneyCeiling)
	high := MoneyRules{Ceiling: 1_000_000_000_00}
	v, err = ParseMoneyWith("999,999,999.99", high)
	require.NoError(t, err)
	assert.Equal(t, Money(99_999_999_999), v)
	// A non-positive ceiling means the default one.
	_, err = ParseMoneyWith("1000000.01", MoneyRules{Ceiling: -1})
	assert.ErrorIs(t, err, ErrMoneyCeiling)

	// The whole int64 range parses when the ceiling allows it: the overflow
	// check must be exact, not conservative.
	all := MoneyRules{AllowNegative: true, AllowZero: true, Ceiling: math.MaxInt64}
	v, err = ParseMoneyWith("92233720368547758.07", all)
	require.NoError(t, err)
	assert.Equal(t, Money(math.MaxInt64), v)
	v, err = ParseMoneyWith("-92233720368547758.07", all)
	require.NoError(t, err)
	assert.Equal(t, Money(-math.MaxInt64), v)
	_, err = ParseMoneyWith("92233720368547758.08", all)
	assert.ErrorIs(t, err, ErrMoneyOverflow)
	_, err = ParseMoneyWith("-92233720368547758.08", all) // MinInt64: its absolute value does not fit
	assert.ErrorIs(t, err, ErrMoneyOverflow)
}

func TestMoneyFormat(t *testing.T) {
	cases := []struct {
		m    Money
		want string
	}{
		{1250, "12.50"},
		{5, "0.05"},
		{-5, "-0.05"},
		{0, "0.00"},
		{100, "1.00"},
		{-100, "-1.00"},
		{-1250, "-12.50"},
		{123456789, "1234567.89"},
		{math.MaxInt64, "92233720368547758.07"},
		{math.MinInt64, "-92233720368547758.08"},
		{math.MinInt64 + 1, "-92233720368547758.07"},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, c.m.String(), "Money(%d).String()", int64(c.m))
		assert.Equal(t, c.want, c.m.Yuan())
		assert.Equal(t, "\uFFE5"+c.want, c.m.Display())
	}
	assert.True(t, strings.HasPrefix(Money(1).Display(), "\uFFE5"), "Display must use U+FFE5")
	assert.NotContains(t, Money(1).Display(), "\u00A5", "Display must not use U+00A5")
}

func TestMoneyAdd(t *testing.T) {
	s, err := Money(1250).Add(-250)
	require.NoError(t, err)
	assert.Equal(t, Money(1000), s)
	s, err = Money(math.MaxInt64).Add(-1)
	require.NoError(t, err)
	assert.Equal(t, Money(math.MaxInt64-1), s)
	s, err = Money(math.MinInt64).Add(math.MaxInt64)
	require.NoError(t, err)
	assert.Equal(t, Money(-1), s)

	for _, c := range [][2]Money{
		{math.MaxInt64, 1},
		{1, math.MaxInt64},
		{math.MinInt64, -1},
		{-1, math.MinInt64},
		{math.MaxInt64 / 2, math.MaxInt64/2 + 2},
		{math.MinInt64, math.MinInt64},
	} {
		s, err := c[0].Add(c[1])
		assert.ErrorIs(t, err, ErrMoneyOverflow, "%d + %d", c[0], c[1])
		assert.Zero(t, s)
	}
}

func TestMoneyMul(t *testing.T) {
	for _, c := range []struct {
		m    Money
		q    int64
		want Money
	}{
		{1250, 3, 3750},
		{0, math.MaxInt64, 0},
		{math.MaxInt64, 0, 0},
		{math.MaxInt64, 1, math.MaxInt64},
		{math.MinInt64, 1, math.MinInt64},
		{-5, 3, -15},
		{5, -3, -15},
		{math.MaxInt64, -1, -math.MaxInt64},
		{math.MaxInt64 / 2, 2, math.MaxInt64 - 1},
	} {
		got, err := c.m.Mul(c.q)
		require.NoError(t, err, "%d × %d", c.m, c.q)
		assert.Equal(t, c.want, got, "%d × %d", c.m, c.q)
	}
	for _, c := range []struct {
		m Money
		q int64
	}{
		{math.MaxInt64, 2},
		{math.MaxInt64/2 + 1, 2},
		{2, math.MaxInt64/2 + 1},
		{math.MinInt64, -1}, // −MinInt64 does not fit; a plain r/q check misses this one
		{-1, math.MinInt64},
		{math.MinInt64, 2},
		{1 << 32, 1 << 31},
		{100_000_000, 100_000_000_000},
	} {
		got, err := c.m.Mul(c.q)
		assert.ErrorIs(t, err, ErrMoneyOverflow, "%d × %d", c.m, c.q)
		assert.Zero(t, got)
	}
}

// refAllocate is the specification of Allocate in big integers: floor
// shares of |m|, then one fen each to the first parts with a non-zero ratio
// until nothing is left; negated for a negative amount.
func refAllocate(m Money, ratios []int64) []Money {
	abs := new(big.Int).Abs(big.NewInt(int64(m)))
	total := new(big.Int)
	for _, r := range ratios {
		total.Add(total, big.NewInt(r))
	}
	out := make([]*big.Int, len(ratios))
	given := new(big.Int)
	for i, r := range ratios {
		out[i] = new(big.Int).Mul(abs, big.NewInt(r))
		out[i].Quo(out[i], total)
		given.Add(given, out[i])
	}
	left := new(big.Int).Sub(abs, given).Int64()
	for i := 0; left > 0; i++ {
		if ratios[i] != 0 {
			out[i].Add(out[i], big.NewInt(1))
			left--
		}
	}
	res := make([]Money, len(out))
	for i, v := range out {
		if m < 0 {
			v.Neg(v)
		}
		res[i] = Money(v.Int64())
	}
	return res
}

func TestAllocateExamples(t *testing.T) {
	for _, c := range []struct {
		m      Money
		ratios []int64
		want   []Money
	}{
		{100, []int64{1, 1, 1}, []Money{34, 33, 33}},
		{-100, []int64{1, 1, 1}, []Money{-34, -33, -33}},
		{5, []int64{0, 1, 1}, []Money{0, 3, 2}},
		{1, []int64{1, 1, 1}, []Money{1, 0, 0}},
		{0, []int64{3, 7}, []Money{0, 0}},
		{1000, []int64{7}, []Money{1000}},
		{100, []int64{1000, 999, 7}, []Money{50, 50, 0}},
		{10, []int64{0, 0, 1}, []Money{0, 0, 10}},
		{math.MaxInt64, []int64{1, 1}, []Money{math.MaxInt64/2 + 1, math.MaxInt64 / 2}},
		{-math.MaxInt64, []int64{1, 1}, []Money{-(math.MaxInt64/2 + 1), -(math.MaxInt64 / 2)}},
		{math.MaxInt64, []int64{math.MaxInt64 - 1, 1}, []Money{math.MaxInt64 - 1, 1}},
	} {
		got, err := c.m.Allocate(c.ratios...)
		require.NoError(t, err, "%d by %v", c.m, c.ratios)
		assert.Equal(t, c.want, got, "%d by %v", c.m, c.ratios)
	}
}

func TestAllocateErrors(t *testing.T) {
	for _, ratios := range [][]int64{nil, {}, {0}, {0, 0, 0}, {1, -1}, {-5}} {
		got, err := Money(100).Allocate(ratios...)
		assert.ErrorIs(t, err, ErrAllocateRatios, "ratios %v", ratios)
		assert.Nil(t, got)
	}
	_, err := Money(100).Allocate(math.MaxInt64, 1)
	assert.ErrorIs(t, err, ErrMoneyOverflow, "ratio total overflows")
	// MinInt64 has no positive counterpart; the shares would come out with
	// the wrong sign.
	got, err := Money(math.MinInt64).Allocate(1, 1)
	assert.ErrorIs(t, err, ErrMoneyOverflow, "got %v", got)
	_, err = Money(math.MinInt64).Allocate(1, 2)
	assert.ErrorIs(t, err, ErrMoneyOverflow)
}

func TestAllocateNeverLosesAFen(t *testing.T) {
	rng := rand.New(rand.NewPCG(20240601, 7))
	amount := func() Money {
		switch rng.IntN(5) {
		case 0:
			return Money(rng.Int64N(1000)) // small amounts: remainders matter most
		case 1:
			return -Money(rng.Int64N(100_000_000))
		case 2:
			return Money(rng.Int64()) // anything up to MaxInt64
		case 3:
			return -Money(rng.Int64())
		default:
			return Money(rng.Int64N(100_000_000))
		}
	}
	ratio := func(n int) int64 {
		switch rng.IntN(6) {
		case 0:
			return 0
		case 1:
			return rng.Int64N(math.MaxInt64 / int64(n)) // huge ratios: 128-bit path
		case 2:
			return 1
		default:
			return rng.Int64N(100_000)
		}
	}
	for i := 0; i < 20_000; i++ {
		m := amount()
		n := 1 + rng.IntN(12)
		ratios := make([]int64, n)
		var nonzero bool
		for j := range ratios {
			ratios[j] = ratio(n)
			nonzero = nonzero || ratios[j] != 0
		}
		if !nonzero {
			ratios[rng.IntN(n)] = 1 + rng.Int64N(10)
		}
		got, err := m.Allocate(ratios...)
		require.NoError(t, err, "%d by %v", m, ratios)
		require.Len(t, got, n)
		sum := new(big.Int)
		for j, p := range got {
			sum.Add(sum, big.NewInt(int64(p)))
			if ratios[j] == 0 {
				require.Zero(t, p, "part %d has ratio 0: %d by %v → %v", j, m, ratios, got)
			}
			if m > 0 {
				require.GreaterOrEqual(t, p, Money(0))
			} else {
				require.LessOrEqual(t, p, Money(0))
			}
		}
		require.Equal(t, big.NewInt(int64(m)).String(), sum.String(), "%d by %v → %v", m, ratios, got)
		require.Equal(t, refAllocate(m, ratios), got, "%d by %v", m, ratios)
	}
}

func TestSplit(t *testing.T) {
	got, err := Money(1000).Split(3)
	require.NoError(t, err)
	assert.Equal(t, []Money{334, 333, 333}, got)
	got, err = Money(-1000).Split(3)
	require.NoError(t, err)
	assert.Equal(t, []Money{-334, -333, -333}, got)
	got, err = Money(2).Split(5)
	require.NoError(t, err)
	assert.Equal(t, []Money{1, 1, 0, 0, 0}, got)
	got, err = Money(0).Split(2)
	require.NoError(t, err)
	assert.Equal(t, []Money{0, 0}, got)
	for _, n := range []int{0, -1} {
		_, err = Money(100).Split(n)
		assert.ErrorIs(t, err, ErrAllocateRatios, "n=%d", n)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 2000; i++ {
		m := Money(rng.Int64N(2_000_000_000) - 1_000_000_000)
		n := 1 + rng.IntN(50)
		parts, err := m.Split(n)
		require.NoError(t, err)
		var sum Money
		lo, hi := parts[0], parts[0]
		for _, p := range parts {
			sum += p
			lo, hi = min(lo, p), max(hi, p)
		}
		require.Equal(t, m, sum, "%d / %d", m, n)
		require.LessOrEqual(t, int64(hi-lo), int64(1), "%d / %d → %v", m, n, parts)
	}
}

// allRange parses the whole int64 range that has an absolute value.
var allRange = MoneyRules{AllowNegative: true, AllowZero: true, Ceiling: math.MaxInt64}

func FuzzMoneyRoundTrip(f *testing.F) {
	for _, s := range []string{"12.5", "12.50", "0.01", "1,234.50", "￥8", " 3 ", "12.345", "abc", "1e3",
		"12.", ".", "", "--1", "1.2.3", "-1", "1000000.01", "99999999999999999999", ".5", "-.5",
		"92233720368547758.07", "-92233720368547758.08", "12,50", "+0.0", "¥1"} {
		f.Add(s, int64(0))
	}
	for _, m := range []int64{0, 1, -1, 5, 1250, -1250, 100_000_000, 100_000_001, math.MaxInt64, math.MinInt64, math.MinInt64 + 1} {
		f.Add("", m)
	}
	f.Fuzz(func(t *testing.T, s string, n int64) {
		// Any string that parses formats to a string that parses back to the
		// same value, under the default rules and the widest rules.
		for _, rules := range []MoneyRules{{AllowZero: true}, {}, allRange, {AllowNegative: true, Ceiling: 12345}} {
			v, err := ParseMoneyWith(s, rules)
			if err != nil {
				if v != 0 {
					t.Fatalf("ParseMoneyWith(%q, %+v) = %d with error %v; want 0", s, rules, v, err)
				}
				continue
			}
			for _, form := range []string{v.String(), v.Display(), v.Yuan()} {
				back, err := ParseMoneyWith(form, rules)
				if err != nil || back != v {
					t.Fatalf("ParseMoneyWith(%q, %+v) = %d, but %q parses to %d, %v", s, rules, v, form, back, err)
				}
			}
		}

		// Any int64 formats to a string that parses back to it.
		m := Money(n)
		str := m.String()
		back, err := ParseMoneyWith(str, allRange)
		if n == math.MinInt64 {
			if !errors.Is(err, ErrMoneyOverflow) {
				t.Fatalf("MinInt64 %q: got %d, %v; want overflow", str, back, err)
			}
		} else if err != nil || back != m {
			t.Fatalf("Parse(Format(%d)) = Parse(%q) = %d, %v", n, str, back, err)
		}
		def, err := ParseMoney(str)
		switch {
		case m >= 0 && m <= DefaultCeiling:
			if err != nil || def != m {
				t.Fatalf("ParseMoney(%q) = %d, %v; want %d", str, def, err, n)
			}
		case err == nil:
			t.Fatalf("ParseMoney(%q) = %d; want an error (negative or over the ceiling)", str, def)
		}
	})
}
