package app

import (
	"math"
	"math/rand/v2"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRecomputeSpreadsDiscountToTheFen(t *testing.T) {
	o := Order{
		OrderDiscount: 100,
		Lines: []OrderLine{
			{Name: "A", Qty: 1, UnitPrice: 1000},
			{Name: "B", Qty: 3, UnitPrice: 333},
			{Name: "C", Qty: 7, UnitPrice: 1},
		},
	}
	require.NoError(t, o.Recompute())
	assert.Equal(t, Money(2006), o.Total)
	assert.Equal(t, Money(1906), o.Payable)
	// 100 × 1000/2006 = 49.85, 100 × 999/2006 = 49.80, 100 × 7/2006 = 0.35:
	// floors 49+49+0 = 98, the 2 fen left go to the first lines.
	assert.Equal(t, []Money{50, 50, 0}, []Money{o.Lines[0].Discount, o.Lines[1].Discount, o.Lines[2].Discount})
	assert.Equal(t, []Money{950, 949, 7}, []Money{o.Lines[0].Amount, o.Lines[1].Amount, o.Lines[2].Amount})
	for i, l := range o.Lines {
		assert.Equal(t, i+1, l.LineNo)
	}

	// Recompute is idempotent: the old line discounts are not double-counted.
	before := append([]OrderLine(nil), o.Lines...)
	require.NoError(t, o.Recompute())
	assert.Equal(t, before, o.Lines)
	assert.Equal(t, Money(1906), o.Payable)
}

func TestRecomputeEdges(t *testing.T) {
	// Whole order free.
	o := Order{OrderDiscount: 1500, Lines: []OrderLine{{Qty: 1, UnitPrice: 1000}, {Qty: 1, UnitPrice: 500}}}
	require.NoError(t, o.Recompute())
	assert.Equal(t, Money(0), o.Payable)
	assert.Equal(t, Money(0), o.Lines[0].Amount)
	assert.Equal(t, Money(0), o.Lines[1].Amount)

	// A free gift line takes no share of the discount and never goes negative.
	o = Order{OrderDiscount: 3, Lines: []OrderLine{{Qty: 2, UnitPrice: 0}, {Qty: 1, UnitPrice: 5}}}
	require.NoError(t, o.Recompute())
	assert.Equal(t, Money(0), o.Lines[0].Discount)
	assert.Equal(t, Money(0), o.Lines[0].Amount)
	assert.Equal(t, Money(2), o.Lines[1].Amount)
	assert.Equal(t, Money(2), o.Payable)

	// No discount: amounts are gross.
	o = Order{Lines: []OrderLine{{Qty: 4, UnitPrice: 250, Discount: 99}}}
	require.NoError(t, o.Recompute())
	assert.Equal(t, Money(1000), o.Lines[0].Amount)
	assert.Equal(t, Money(0), o.Lines[0].Discount, "a stale line discount is cleared")
	assert.Equal(t, Money(1000), o.Payable)

	// An order without lines (a typed amount).
	o = Order{Total: 5000, OrderDiscount: 1}
	require.NoError(t, o.Recompute())
	assert.Equal(t, Money(4999), o.Payable)
	o = Order{Total: 5000, OrderDiscount: 5001}
	assert.ErrorIs(t, o.Recompute(), ErrOrderInvalid)
	o = Order{Total: -1}
	assert.ErrorIs(t, o.Recompute(), ErrOrderInvalid)
	o = Order{Total: 5, OrderDiscount: -1}
	assert.ErrorIs(t, o.Recompute(), ErrOrderInvalid)
}

func TestRecomputeRejects(t *testing.T) {
	for name, o := range map[string]Order{
		"zero qty":             {Lines: []OrderLine{{Qty: 0, UnitPrice: 100}}},
		"negative qty":         {Lines: []OrderLine{{Qty: -1, UnitPrice: 100}}},
		"negative price":       {Lines: []OrderLine{{Qty: 1, UnitPrice: -1}}},
		"bad second line":      {Lines: []OrderLine{{Qty: 1, UnitPrice: 100}, {Qty: 0, UnitPrice: 1}}},
		"discount > total":     {OrderDiscount: 101, Lines: []OrderLine{{Qty: 1, UnitPrice: 100}}},
		"negative discount":    {OrderDiscount: -1, Lines: []OrderLine{{Qty: 1, UnitPrice: 100}}},
		"discount on free":     {OrderDiscount: 1, Lines: []OrderLine{{Qty: 1, UnitPrice: 0}}},
		"line discount > line": {Lines: []OrderLine{{Qty: 2, UnitPrice: 100, LineDiscount: 201}}},
		"negative line disc":   {Lines: []OrderLine{{Qty: 1, UnitPrice: 100, LineDiscount: -1}}},
		"non-discountable line discounted": {Lines: []OrderLine{{Qty: 1, UnitPrice: 100, LineDiscount: 1,
			NonDiscountable: true}}},
		"order discount > discountable part": {OrderDiscount: 51, Lines: []OrderLine{{Qty: 1, UnitPrice: 50},
			{Qty: 1, UnitPrice: 1000, NonDiscountable: true}}},
	} {
		err := o.Recompute()
		assert.ErrorIs(t, err, ErrOrderInvalid, name)
	}
	for name, o := range map[string]Order{
		"line overflows": {Lines: []OrderLine{{Qty: 3, UnitPrice: math.MaxInt64 / 2}}},
		"qty overflows":  {Lines: []OrderLine{{Qty: math.MaxInt64, UnitPrice: 2}}},
		"sum overflows":  {Lines: []OrderLine{{Qty: 1, UnitPrice: math.MaxInt64 - 10}, {Qty: 1, UnitPrice: 11}}},
	} {
		err := o.Recompute()
		assert.ErrorIs(t, err, ErrMoneyOverflow, name)
	}
}

func TestRecomputePropertyRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(42, 4242))
	for i := 0; i < 5000; i++ {
		n := 1 + rng.IntN(30)
		o := Order{Lines: make([]OrderLine, n)}
		var total Money
		for j := range o.Lines {
			l := OrderLine{Qty: 1 + rng.Int64N(20), UnitPrice: Money(rng.Int64N(100_000))}
			if rng.IntN(10) == 0 {
				l.UnitPrice = 0
			}
			o.Lines[j] = l
			total += l.UnitPrice * Money(l.Qty)
		}
		var base, nd Money
		for j := range o.Lines {
			l := &o.Lines[j]
			gross := l.UnitPrice * Money(l.Qty)
			switch rng.IntN(4) {
			case 0:
				l.NonDiscountable = true
				nd += gross
				continue
			case 1:
				l.LineDiscount = Money(rng.Int64N(int64(gross) + 1))
			}
			base += gross - l.LineDiscount
		}
		if base > 0 {
			o.OrderDiscount = Money(rng.Int64N(int64(base) + 1))
		}
		require.NoError(t, o.Recompute())
		require.Equal(t, nd, o.NonDiscountable)
		require.Equal(t, total, o.Total)
		require.Equal(t, total-o.Discount, o.Payable)
		var sumAmt, sumDisc Money
		for _, l := range o.Lines {
			gross := l.UnitPrice * Money(l.Qty)
			require.GreaterOrEqual(t, l.Discount, Money(0))
			require.LessOrEqual(t, l.Discount, gross, "a line's discount never exceeds the line")
			require.Equal(t, gross-l.Discount, l.Amount)
			require.GreaterOrEqual(t, l.Discount, l.LineDiscount, "a line keeps its own discount")
			if l.NonDiscountable {
				require.Zero(t, l.Discount, "non-discountable lines take no share")
			}
			sumAmt += l.Amount
			sumDisc += l.Discount
		}
		require.Equal(t, o.Payable, sumAmt, "line amounts add up to the payable amount")
		require.Equal(t, o.Discount, sumDisc)
		again := o
		again.Lines = append([]OrderLine(nil), o.Lines...)
		require.NoError(t, again.Recompute())
		require.Equal(t, o, again, "Recompute reads only its inputs")
	}
}

// A line discount stays on its line, the order discount is spread over
// the discountable lines by what they cost after their own discounts, and
// a non-discountable line is left whole and counted apart.
func TestRecomputeLineAndOrderDiscounts(t *testing.T) {
	o := Order{
		OrderDiscount: 100,
		Lines: []OrderLine{
			{Name: "可乐", Qty: 2, UnitPrice: 300, LineDiscount: 100}, // 600 − 100 = 500
			{Name: "薯片", Qty: 1, UnitPrice: 500},                    // 500
			{Name: "香烟", Qty: 1, UnitPrice: 2500, NonDiscountable: true},
		},
	}
	require.NoError(t, o.Recompute())
	assert.Equal(t, Money(3600), o.Total)
	assert.Equal(t, Money(200), o.Discount, "the line's 100 and the order's 100")
	assert.Equal(t, Money(3400), o.Payable)
	assert.Equal(t, Money(2500), o.NonDiscountable)
	assert.Equal(t, []Money{150, 50, 0}, []Money{o.Lines[0].Discount, o.Lines[1].Discount, o.Lines[2].Discount})
	assert.Equal(t, []Money{450, 450, 2500}, []Money{o.Lines[0].Amount, o.Lines[1].Amount, o.Lines[2].Amount})
}

var orderNoRE = regexp.MustCompile(`^T01-(\d{12})(\d{6})$`)

func TestNewOrderNoFormat(t *testing.T) {
	now := time.Date(2024, 12, 31, 23, 59, 58, 999_000_000, time.FixedZone("CST", 8*3600))
	no := NewOrderNo("T01-", now)
	m := orderNoRE.FindStringSubmatch(no)
	require.NotNil(t, m, "order number %q", no)
	assert.Equal(t, "241231235958", m[1])
	assert.LessOrEqual(t, len(no), 32, "channels limit merchant order numbers to 32 characters")
	// A Cloud Pay cashier id (10) + terminal tag (6) + R still fits, with
	// fewer random digits.
	long := NewOrderNo("sz01abcdefT9K2PQR", now)
	assert.Equal(t, 10, MaxOrderPrefixLen)
	assert.Len(t, long, 32)
	assert.Regexp(t, `^sz01abcdefT9K2PQR241231235958\d{3}$`, long)

	// Sortable: a later second sorts after an earlier one.
	a := NewOrderNo("T01-", now)
	b := NewOrderNo("T01-", now.Add(time.Second))
	assert.Less(t, a, b)
}

// Many numbers issued within one second by one terminal must all differ:
// 6 random digits alone collide with probability ~40 % after 1000 draws.
func TestNewOrderNoUniqueWithinASecond(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	const n = 20_000
	var mu sync.Mutex
	seen := make(map[string]bool, n)
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < n/4; i++ {
				no := NewOrderNo("P9", now)
				mu.Lock()
				if seen[no] {
					mu.Unlock()
					t.Errorf("duplicate order number %s after %d", no, len(seen))
					return
				}
				seen[no] = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	require.Equal(t, n, len(seen), "distinct order numbers")

	// The random part is really random: not a counter starting at 0.
	var tails []string
	for no := range seen {
		tails = append(tails, no[len(no)-6:])
	}
	sort.Strings(tails)
	assert.Less(t, tails[0], "001000")
	assert.Greater(t, tails[len(tails)-1], "999000")
}

func TestGuest_CheckAndMaskPhone(t *testing.T) {
	assert.NoError(t, Guest{Room: "1208", Name: "陈静", Phone: "+86 138-1234-5678"}.Check())
	assert.ErrorIs(t, Guest{Phone: "138abc"}.Check(), ErrGuestInvalid)
	assert.ErrorIs(t, Guest{Name: "a\nb"}.Check(), ErrGuestInvalid)
	assert.ErrorIs(t, Guest{Room: "12345678901234567"}.Check(), ErrGuestTooLong)
	assert.NoError(t, Guest{Name: strings.Repeat("名", GuestNameMax)}.Check(), "limits count characters, not bytes")
	assert.True(t, Guest{}.Empty())

	assert.Equal(t, "138****5678", MaskPhone("13812345678"))
	assert.Equal(t, "861******5678", MaskPhone("+86 138-1234-5678"))
	assert.Equal(t, "****78", MaskPhone("123478"))
	assert.Equal(t, "**", MaskPhone("12"))
	assert.Equal(t, "", MaskPhone(""))
}
