package chart

import (
	"math"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cashier/app"
)

func show(t *testing.T, c *BarChart, size fyne.Size) {
	t.Helper()
	test.NewTempApp(t)
	w := test.NewTempWindow(t, c)
	w.SetPadded(false)
	w.Resize(size)
	c.Resize(size)
}

// baseline is the zero line's y: where every bar of a non-negative value
// stands.
func baseline(c *BarChart) float32 { return c.r.zero.Position1.Y }

func TestBarChart_OneBarPerValueProportional(t *testing.T) {
	c := NewBarChart()
	show(t, c, fyne.NewSize(600, 300))
	values := []app.Money{10000, 0, 25000, 5000, 100000}
	c.SetData([]string{"1", "2", "3", "4", "5"}, values)
	bars := c.Bars()
	require.Len(t, bars, len(values))
	base := baseline(c)
	unit := bars[4].Size().Height / 100000
	require.Greater(t, unit, float32(0))
	for i, b := range bars {
		assert.InDelta(t, float64(values[i])*float64(unit), float64(b.Size().Height), 0.5, "bar %d", i)
		assert.InDelta(t, base, b.Position().Y+b.Size().Height, 0.5, "bar %d stands on the zero line", i)
		if i > 0 {
			assert.Greater(t, b.Position().X, bars[i-1].Position().X, "in order, left to right")
		}
	}
	// The highest bar's value is written over it.
	assert.Equal(t, "￥1000.00", c.r.peak.Text)
	assert.LessOrEqual(t, c.r.peak.Position().Y+c.r.peak.Size().Height, bars[4].Position().Y+0.5)
}

func TestBarChart_ResizesWithTheWindow(t *testing.T) {
	c := NewBarChart()
	show(t, c, fyne.NewSize(400, 200))
	c.SetData([]string{"a", "b"}, []app.Money{100, 200})
	small := c.Bars()[1].Size()
	c.Resize(fyne.NewSize(1200, 600))
	big := c.Bars()[1].Size()
	assert.Greater(t, big.Width, small.Width*2)
	assert.Greater(t, big.Height, small.Height*2)
	// Still proportional after the resize.
	assert.InDelta(t, 2*c.Bars()[0].Size().Height, big.Height, 0.5)
	for _, b := range c.Bars() {
		assert.LessOrEqual(t, b.Position().X+b.Size().Width, float32(1200))
	}
}

func TestBarChart_AllZeroAndEmpty(t *testing.T) {
	c := NewBarChart()
	show(t, c, fyne.NewSize(500, 250))
	c.SetData(make([]string, 31), make([]app.Money, 31))
	require.Len(t, c.Bars(), 31)
	for _, b := range c.Bars() {
		assert.Zero(t, b.Size().Height)
		assert.False(t, math.IsNaN(float64(b.Position().Y)))
	}
	assert.Empty(t, c.r.peak.Text, "no highest bar among zeros")
	c.SetData(nil, nil)
	assert.Empty(t, c.Bars())
	c.SetData([]string{"1"}, []app.Money{math.MaxInt64})
	plot := c.r.yAxis.Position2.Y - c.r.yAxis.Position1.Y
	assert.InDelta(t, plot, c.Bars()[0].Size().Height, 1, "the largest amount there is stays inside the plot")
	c.Resize(fyne.NewSize(10, 10)) // smaller than its minimum: nothing breaks
}

func TestBarChart_OneHugeValue(t *testing.T) {
	c := NewBarChart()
	show(t, c, fyne.NewSize(800, 300))
	values := make([]app.Money, 24)
	values[13] = app.Money(math.MaxInt64 / 4)
	values[2] = 100
	c.SetData(nil, values)
	bars := c.Bars()
	plot := c.r.yAxis.Position2.Y - c.r.yAxis.Position1.Y
	assert.Greater(t, bars[13].Size().Height, plot/2, "the huge bar fills most of the plot")
	assert.LessOrEqual(t, bars[13].Size().Height, plot+0.5)
	assert.Less(t, bars[2].Size().Height, float32(1), "a small one beside it is a sliver")
	for _, b := range bars {
		assert.GreaterOrEqual(t, b.Position().Y, float32(0))
	}
}

func TestBarChart_NegativeGoesBelowZero(t *testing.T) {
	c := NewBarChart()
	show(t, c, fyne.NewSize(400, 300))
	c.SetData(nil, []app.Money{5000, -2000})
	base := baseline(c)
	b := c.Bars()
	assert.InDelta(t, base, b[0].Position().Y+b[0].Size().Height, 0.5)
	assert.InDelta(t, base, b[1].Position().Y, 0.5, "a refund-heavy day hangs under the zero line")
	assert.InDelta(t, 2.5*b[1].Size().Height, b[0].Size().Height, 0.5)
}

func TestBarChart_HoverAndTapShowTheValue(t *testing.T) {
	c := NewBarChart()
	show(t, c, fyne.NewSize(400, 300))
	c.SetData([]string{"09:00", "10:00"}, []app.Money{1234, 99})
	var pointed []int
	c.OnPoint = func(i int) { pointed = append(pointed, i) }
	b := c.Bars()[1]
	c.MouseMoved(&desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: b.Position().Add(fyne.NewPos(b.Size().Width/2, -1))}})
	assert.Equal(t, 1, c.Active())
	assert.Equal(t, "10:00  ￥0.99", c.r.tip.Text)
	c.MouseOut()
	assert.Equal(t, -1, c.Active())
	assert.Empty(t, c.r.tip.Text)
	test.TapAt(c, c.Bars()[0].Position().Add(fyne.NewPos(1, 1)))
	assert.Equal(t, 0, c.Active())
	assert.Equal(t, []int{1, -1, 0}, pointed)
}

func TestNiceScale(t *testing.T) {
	for _, tc := range []struct {
		in   []app.Money
		want Scale
	}{
		{nil, Scale{0, 100, 100}},
		{[]app.Money{0, 0}, Scale{0, 100, 100}},
		{[]app.Money{1}, Scale{0, 100, 100}},
		{[]app.Money{99900}, Scale{0, 100000, 50000}},
		{[]app.Money{123456}, Scale{0, 150000, 50000}},
		{[]app.Money{1000000, -250000}, Scale{-500000, 1000000, 500000}},
	} {
		s := NiceScale(tc.in)
		assert.Equal(t, tc.want, s, "%v", tc.in)
		for _, tick := range s.Ticks() {
			assert.Zero(t, tick%100, "ticks on whole yuan")
		}
	}
	extreme := NiceScale([]app.Money{math.MaxInt64, math.MinInt64})
	assert.NotEmpty(t, extreme.Ticks(), "the widest int64 range still has an axis")
	assert.Equal(t, "-￥92,233,720,368,547,758", TickLabel(math.MinInt64))
	huge := NiceScale([]app.Money{math.MaxInt64 / 4})
	assert.Greater(t, huge.Hi, int64(math.MaxInt64/4-1))
	assert.LessOrEqual(t, len(huge.Ticks()), 6)
	assert.Equal(t, "￥12,000", TickLabel(1200000))
	assert.Equal(t, "-￥500", TickLabel(-50000))
	assert.Equal(t, "￥0", TickLabel(0))
}
