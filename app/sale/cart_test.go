package sale

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/app/catalog"
)

func product(id int64, name string, price app.Money, unit string) catalog.Scanned {
	return catalog.Scanned{Record: catalog.Record{ID: id, Product: catalog.Product{Name: name, Price: price, Unit: unit,
		Barcodes: []string{"690000000000" + string(rune('0'+id%10))}, Active: true}}}
}

func payable(t *testing.T, c *Cart) app.Money {
	t.Helper()
	o, err := c.Order()
	require.NoError(t, err)
	return o.Payable
}

func TestCart_ScanningTheSameProductAgainAddsToItsLine(t *testing.T) {
	var c Cart
	cola := product(1, "可乐", 350, "瓶")
	i, err := c.Add(cola, 1)
	require.NoError(t, err)
	j, err := c.Add(cola, 2)
	require.NoError(t, err)
	assert.Equal(t, i, j)
	assert.EqualValues(t, 3, c.Lines[0].Qty)
	_, err = c.Add(product(2, "薯片", 600, "袋"), 1)
	require.NoError(t, err)
	_, err = c.Add(cola, 1) // not the last line: a new line, as the customer put it down
	require.NoError(t, err)
	assert.Len(t, c.Lines, 3)
	assert.Equal(t, app.Money(350*4+600), payable(t, &c))
}

func TestCart_ScaleLabelsAndWeighedGoods(t *testing.T) {
	var c Cart
	apple := product(3, "苹果", 1200, "kg")
	_, err := c.Add(apple, 1)
	require.ErrorIs(t, err, ErrNeedsWeight, "a weighed product scanned by its own code needs its weight")
	assert.True(t, c.Empty())

	i, err := c.AddWeighed(apple.Record, 532)
	require.NoError(t, err)
	o, err := c.Order()
	require.NoError(t, err)
	assert.Equal(t, app.Money(638), o.Payable, "0.532 kg × ￥12.00 = ￥6.384 → ￥6.38")
	assert.Equal(t, "苹果 0.532kg", o.Lines[i].Name)
	assert.EqualValues(t, 1, o.Lines[i].Qty)
	require.NoError(t, c.SetGrams(i, 1000))
	assert.Equal(t, app.Money(1200), payable(t, &c))
	require.ErrorIs(t, c.SetQty(i, 2), ErrCartWeighed)
	require.ErrorIs(t, c.SetGrams(i, 0), ErrCartGrams)
	require.ErrorIs(t, c.SetGrams(i, MaxGrams+1), ErrCartGrams)
	_, err = c.AddWeighed(product(1, "可乐", 350, "瓶").Record, 500)
	require.ErrorIs(t, err, ErrCartWeighed)

	weight := apple
	weight.Label = &catalog.Label{ItemCode: "00003", Measure: catalog.MeasureWeight, Grams: 250}
	weight.Amount = 300
	priced := apple
	priced.Label = &catalog.Label{ItemCode: "00003", Measure: catalog.MeasurePrice, Price: 455}
	priced.Amount = 455
	a, err := c.Add(weight, 1)
	require.NoError(t, err)
	b, err := c.Add(priced, 1)
	require.NoError(t, err)
	d, err := c.Add(priced, 1)
	require.NoError(t, err)
	assert.NotEqual(t, b, d, "two labelled packs are two lines")
	assert.NotEqual(t, a, b)
	assert.Equal(t, app.Money(1200+300+455+455), payable(t, &c))
	require.ErrorIs(t, c.SetGrams(b, 300), ErrCartWeighed, "a price label cannot be re-weighed")
}

func TestCart_DiscountsByAmountAndPercentRespectTheFloor(t *testing.T) {
	c := Cart{FloorPct: 80}
	_, err := c.Add(product(1, "洗发水", 3990, "瓶"), 1)
	require.NoError(t, err)
	_, err = c.Add(product(2, "毛巾", 1000, "条"), 2)
	require.NoError(t, err)
	nd := product(4, "香烟", 2500, "包")
	nd.NonDiscountable = true
	_, err = c.Add(nd, 1)
	require.NoError(t, err)

	require.NoError(t, c.SetLinePercent(0, 85)) // 85折: pays 33.915 → 33.92
	assert.Equal(t, app.Money(3990-3392), c.Lines[0].LineDiscount)
	require.ErrorIs(t, c.SetLinePercent(0, 79), ErrBelowFloor, "below 80 % of list")
	assert.Equal(t, app.Money(3990-3392), c.Lines[0].LineDiscount, "a refused change leaves the cart as it was")
	require.ErrorIs(t, c.SetLineDiscount(1, 401), ErrBelowFloor) // 2000 list, floor 1600
	require.NoError(t, c.SetLineDiscount(1, 400))
	require.ErrorIs(t, c.SetLineDiscount(2, 100), ErrNonDiscount)
	require.ErrorIs(t, c.SetLinePercent(1, 0), ErrCartPercent)
	require.ErrorIs(t, c.SetLinePercent(1, 101), ErrCartPercent)
	require.ErrorIs(t, c.SetLineDiscount(1, -1), ErrCartDiscount)

	// Discountable lines: list 5990, after own discounts 3392+1600 = 4992;
	// the floor is 4792, so at most 200 more on the order.
	require.ErrorIs(t, c.SetOrderDiscount(201), ErrBelowFloor)
	require.NoError(t, c.SetOrderDiscount(200))
	o, err := c.Order()
	require.NoError(t, err)
	assert.Equal(t, app.Money(4792+2500), o.Payable)
	assert.Equal(t, app.Money(2500), o.NonDiscountable)

	free := Cart{}
	_, err = free.Add(product(1, "洗发水", 3990, "瓶"), 1)
	require.NoError(t, err)
	require.NoError(t, free.SetOrderPercent(50))
	assert.Equal(t, app.Money(1995), payable(t, &free))
	require.ErrorIs(t, free.SetOrderDiscount(3991), app.ErrOrderInvalid)
}

func TestCart_QuantitiesLinesAndDepositPart(t *testing.T) {
	var c Cart
	_, err := c.AddAmount("金额", 0, false)
	require.ErrorIs(t, err, app.ErrMoneyZero)
	_, err = c.AddAmount("消费", 12050, false)
	require.NoError(t, err)
	_, err = c.AddAmount("押金", 50000, true)
	require.NoError(t, err)
	require.NoError(t, c.SetDepositPart(50000))
	require.ErrorIs(t, c.SetDepositPart(62051), ErrDepositAmount)
	require.ErrorIs(t, c.SetDepositPart(-1), ErrDepositAmount)
	in, err := c.Input(app.Staff{ID: 7})
	require.NoError(t, err)
	assert.Equal(t, app.Money(50000), in.DepositPart)
	assert.Len(t, in.Lines, 2)

	require.ErrorIs(t, c.SetQty(0, 0), ErrCartQty)
	require.ErrorIs(t, c.SetQty(0, MaxQty+1), ErrCartQty)
	require.ErrorIs(t, c.SetQty(5, 1), ErrCartLine)
	require.ErrorIs(t, c.Remove(-1), ErrCartLine)
	require.ErrorIs(t, c.Remove(1), ErrDepositAmount, "removing the deposit line would leave a deposit above the total")
	require.NoError(t, c.SetDepositPart(0))
	require.NoError(t, c.Remove(1))
	require.NoError(t, c.Remove(0))
	assert.True(t, c.Empty())
	_, err = c.Input(app.Staff{ID: 7})
	require.ErrorIs(t, err, ErrCartEmpty)

	for range MaxCartLines {
		_, err = c.AddAmount("x", 1, false)
		require.NoError(t, err)
	}
	_, err = c.AddAmount("x", 1, false)
	require.ErrorIs(t, err, ErrCartFull)
}
