package catalog

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"cashier/app"
)

func TestDecodeScaleLabel_Price13(t *testing.T) {
	// 28 | 00123 | 01250 | 2: item 00123, 12.50 yuan.
	l, err := DecodeScaleLabel("2800123012502", LayoutPrice13)
	require.NoError(t, err)
	require.Equal(t, Label{ItemCode: "00123", Measure: MeasurePrice, Price: 1250}, l)
}

func TestDecodeScaleLabel_Weight13(t *testing.T) {
	// 21 | 00045 | 00750 | 2: item 00045, 0.750 kg.
	l, err := DecodeScaleLabel("2100045007502", LayoutWeight13)
	require.NoError(t, err)
	require.Equal(t, Label{ItemCode: "00045", Measure: MeasureWeight, Grams: 750}, l)
	l, err = DecodeScaleLabel("2200012000007", LayoutWeight13)
	require.NoError(t, err)
	require.Equal(t, int64(0), l.Grams)
	// A layout in whole grams (no decimals) reads the same digits as grams.
	g := LayoutWeight13
	g.Decimals = 0
	l, err = DecodeScaleLabel("2100045007502", g)
	require.NoError(t, err)
	require.Equal(t, int64(750_000), l.Grams)
}

func TestDecodeScaleLabel_GS1PriceVerifier(t *testing.T) {
	// 2875 has verifier digit 9 (the GS1 General Specifications' example).
	require.Equal(t, byte('9'), priceVerifier("2875"))
	l, err := DecodeScaleLabel("2001234928755", LayoutGS1Price)
	require.NoError(t, err)
	require.Equal(t, Label{ItemCode: "01234", Measure: MeasurePrice, Price: 2875}, l)
	// Same price, wrong verifier, valid EAN-13 check digit.
	_, err = DecodeScaleLabel("2001234128759", LayoutGS1Price)
	require.ErrorIs(t, err, ErrScaleVerifier)
}

func TestDecodeScaleLabel_Bad(t *testing.T) {
	only28 := LayoutPrice13
	only28.Prefixes = []string{"28"}
	for _, c := range []struct {
		code string
		l    Layout
		want *app.Error
	}{
		{"2800123012503", LayoutPrice13, ErrScaleCheck},
		{"2100045007502", only28, ErrScalePrefix},
		{"4006381333931", LayoutPrice13, ErrScalePrefix},
		{"280012301250", LayoutPrice13, ErrScaleLength},
		{"28001230125022", LayoutPrice13, ErrScaleLength},
		{"28001230125O2", LayoutPrice13, ErrScaleLength},
		{"", LayoutPrice13, ErrScaleLength},
		{"2800123012502", Layout{}, ErrLayout},
	} {
		_, err := DecodeScaleLabel(c.code, c.l)
		require.ErrorIs(t, err, c.want, c.code)
	}
}

func TestLayout_Validate(t *testing.T) {
	for _, l := range []Layout{LayoutPrice13, LayoutWeight13, LayoutGS1Price} {
		require.NoError(t, l.Validate(), l.Name)
	}
	bad := []func(*Layout){
		func(l *Layout) { l.Prefixes = nil },
		func(l *Layout) { l.Prefixes = []string{"20", "2"} },
		func(l *Layout) { l.Prefixes = []string{"30"} },
		func(l *Layout) { l.Prefixes = []string{"2a"} },
		func(l *Layout) { l.CodeDigits = 6 },
		func(l *Layout) { l.CodeDigits, l.ValueDigits = 0, 10 },
		func(l *Layout) { l.Decimals = 3 }, // a price has at most two
		func(l *Layout) { l.Decimals = -1 },
		func(l *Layout) { l.Verifier = true }, // 5-digit value: not supported
		func(l *Layout) { l.Measure = 7 },
	}
	for i, f := range bad {
		l := LayoutPrice13
		l.Prefixes = append([]string(nil), l.Prefixes...)
		f(&l)
		require.ErrorIs(t, l.Validate(), ErrLayout, i)
	}
	w := LayoutWeight13
	w.Decimals = 4
	require.ErrorIs(t, w.Validate(), ErrLayout)
}

func TestWeighedTotal(t *testing.T) {
	for _, c := range []struct {
		price      app.Money
		per, grams int64
		want       app.Money
	}{
		{2598, 1000, 750, 1949},  // 19.485 → 19.49: half up
		{2598, 1000, 751, 1951},  // 19.51098
		{1000, 1000, 1234, 1234}, // exact
		{999, 500, 250, 500},     // per 斤: 4.995 → 5.00
		{333, 1000, 1, 0},        // 0.333 fen → 0
		{500, 1000, 1, 1},        // 0.5 fen → 1
		{2598, 1000, 0, 0},
	} {
		got, err := WeighedTotal(c.price, c.per, c.grams)
		require.NoError(t, err)
		require.Equal(t, c.want, got, "%v/%dg × %dg", c.price, c.per, c.grams)
	}
	for _, c := range [][3]int64{{-1, 1000, 5}, {100, 0, 5}, {100, 1000, -5}} {
		_, err := WeighedTotal(app.Money(c[0]), c[1], c[2])
		require.ErrorIs(t, err, ErrWeighedTotal)
	}
	_, err := WeighedTotal(math.MaxInt64, 1, 2)
	require.ErrorIs(t, err, app.ErrMoneyOverflow)
	_, err = WeighedTotal(math.MaxInt64, 1000, 2000)
	require.ErrorIs(t, err, app.ErrMoneyOverflow)
	big, err := WeighedTotal(math.MaxInt64, 1000, 1000)
	require.NoError(t, err)
	require.Equal(t, app.Money(math.MaxInt64), big)
}
