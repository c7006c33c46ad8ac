package catalog

import (
	"math"
	"math/bits"
	"strings"

	"cashier/app"
)

// Measure is what a scale label carries besides the item code.
type Measure int

const (
	MeasureWeight Measure = iota // the net weight; the total comes from the unit price
	MeasurePrice                 // the total price, already computed by the scale
)

// Layout is how a store's label scales lay out an EAN-13 that starts with
// one of Prefixes: prefix, item code, an optional price/weight verifier
// digit, the value, then the EAN-13 check digit. The parts add up to 13.
type Layout struct {
	Name        string   // for settings and logs: "price13", "weight13" ...
	Prefixes    []string // all of one length, e.g. "20"…"29"
	CodeDigits  int      // the item code (PLU / 货号)
	ValueDigits int      // the embedded weight or price
	Decimals    int      // of the value: kilograms for a weight (≤3), yuan for a price (≤2)
	Measure     Measure
	Verifier    bool // a GS1 price/weight verifier digit precedes a 4-digit value
}

// allPrefixes are the GS1 in-store prefixes 20–29.
var allPrefixes = []string{"20", "21", "22", "23", "24", "25", "26", "27", "28", "29"}

// The layouts Chinese label scales (大华 Dahua, 顶尖 ACLAS and others) print
// in their 13-digit mode, "FF WWWWW EEEEE C": a two-digit flag, a five-digit
// item code, five digits of total price in fen (or of weight in grams), the
// EAN-13 check digit. Which flag a store's scales print is set on the scale,
// so both accept 20–29; a store narrows Prefixes when it uses both layouts.
// Their 18-digit mode (code, price and weight together) is not an EAN-13
// and is not read here.
var (
	LayoutPrice13 = Layout{Name: "price13", Prefixes: allPrefixes, CodeDigits: 5,
		ValueDigits: 5, Decimals: 2, Measure: MeasurePrice}
	LayoutWeight13 = Layout{Name: "weight13", Prefixes: allPrefixes, CodeDigits: 5,
		ValueDigits: 5, Decimals: 3, Measure: MeasureWeight}
	// LayoutGS1Price is the GS1 variable-measure form with a price verifier
	// digit: "2X CCCCC V PPPP C", price in yuan with two decimals.
	LayoutGS1Price = Layout{Name: "gs1price", Prefixes: allPrefixes, CodeDigits: 5,
		ValueDigits: 4, Decimals: 2, Measure: MeasurePrice, Verifier: true}
)

// Label is a decoded scale label.
type Label struct {
	ItemCode string // as printed, leading zeros kept
	Measure  Measure
	Grams    int64     // when Measure is MeasureWeight
	Price    app.Money // when Measure is MeasurePrice
}

var (
	ErrLayout        = app.NewError("catalog.scale.layout")
	ErrScaleLabel    = app.NewError("catalog.scale.invalid")
	ErrScaleLength   = ErrScaleLabel.Sub("catalog.scale.length")
	ErrScalePrefix   = ErrScaleLabel.Sub("catalog.scale.prefix")
	ErrScaleCheck    = ErrScaleLabel.Sub("catalog.scale.check_digit")
	ErrScaleVerifier = ErrScaleLabel.Sub("catalog.scale.verifier")
	ErrWeighedTotal  = app.NewError("catalog.scale.total")
)

// Validate checks the layout adds up to an EAN-13 a scale can print.
func (l Layout) Validate() error {
	if len(l.Prefixes) == 0 {
		return ErrLayout
	}
	pl := len(l.Prefixes[0])
	for _, p := range l.Prefixes {
		if len(p) != pl || p[0] != '2' || strings.Trim(p, "0123456789") != "" {
			return ErrLayout
		}
	}
	v := 0
	if l.Verifier {
		v = 1
		if l.ValueDigits != 4 { // the 5-digit verifier is not implemented
			return ErrLayout
		}
	}
	if l.CodeDigits < 1 || l.ValueDigits < 1 || pl+l.CodeDigits+v+l.ValueDigits+1 != 13 {
		return ErrLayout
	}
	switch l.Measure {
	case MeasureWeight:
		if l.Decimals < 0 || l.Decimals > 3 {
			return ErrLayout
		}
	case MeasurePrice:
		if l.Decimals < 0 || l.Decimals > 2 {
			return ErrLayout
		}
	default:
		return ErrLayout
	}
	return nil
}

// Matches reports whether code starts with one of the layout's prefixes;
// a scanner uses it to decide whether to decode a label or look up a code.
func (l Layout) Matches(code string) bool {
	for _, p := range l.Prefixes {
		if strings.HasPrefix(code, p) {
			return true
		}
	}
	return false
}

// DecodeScaleLabel reads a price-embedded EAN-13 printed by a label scale.
func DecodeScaleLabel(code string, l Layout) (Label, error) {
	if err := l.Validate(); err != nil {
		return Label{}, err
	}
	code = NormaliseCode(code)
	if len(code) != 13 || strings.Trim(code, "0123456789") != "" {
		return Label{}, ErrScaleLength.With("Barcode", code)
	}
	if !l.Matches(code) {
		return Label{}, ErrScalePrefix.With("Barcode", code)
	}
	if !ValidCheckDigit(code) {
		return Label{}, ErrScaleCheck.With("Barcode", code)
	}
	at := len(l.Prefixes[0])
	item := code[at : at+l.CodeDigits]
	at += l.CodeDigits
	var verifier byte
	if l.Verifier {
		verifier = code[at]
		at++
	}
	value := code[at : at+l.ValueDigits]
	if l.Verifier && priceVerifier(value) != verifier {
		return Label{}, ErrScaleVerifier.With("Barcode", code)
	}
	var n int64
	for i := 0; i < len(value); i++ {
		n = n*10 + int64(value[i]-'0')
	}
	lb := Label{ItemCode: item, Measure: l.Measure}
	if l.Measure == MeasureWeight {
		lb.Grams = n * pow10(3-l.Decimals)
	} else {
		lb.Price = app.Money(n * pow10(2-l.Decimals))
	}
	return lb, nil
}

func pow10(n int) int64 {
	p := int64(1)
	for ; n > 0; n-- {
		p *= 10
	}
	return p
}

// The GS1 verifier digit tables (General Specifications 7.9.3): each digit
// position has a weighting factor; the tables give the weighted product.
var (
	wt2minus = [10]int{0, 2, 4, 6, 8, 9, 1, 3, 5, 7}
	wt3      = [10]int{0, 3, 6, 9, 2, 5, 8, 1, 4, 7}
	wt5minus = [10]int{0, 5, 9, 4, 8, 3, 7, 2, 6, 1}
)

// priceVerifier is the GS1 verifier digit of a 4-digit price or weight:
// factors 2-, 2-, 3, 5-, and the digit is the units of 3 × their sum.
func priceVerifier(v string) byte {
	d := func(i int) int { return int(v[i] - '0') }
	s := wt2minus[d(0)] + wt2minus[d(1)] + wt3[d(2)] + wt5minus[d(3)]
	return byte('0' + (s*3)%10)
}

// WeighedTotal is what a weighed item costs: unitPrice is the price of
// perGrams grams (1000 for a price per kilogram, 500 for one per 斤), and the
// result is rounded half up to the fen — 2.5 fen is 3 fen — the rule the
// scale itself prints. Negative inputs and overflow are errors.
func WeighedTotal(unitPrice app.Money, perGrams, grams int64) (app.Money, error) {
	if unitPrice < 0 || perGrams <= 0 || grams < 0 {
		return 0, ErrWeighedTotal
	}
	// (price×grams + perGrams/2) / perGrams in 128 bits: exact half up.
	hi, lo := bits.Mul64(uint64(unitPrice), uint64(grams))
	var carry uint64
	lo, carry = bits.Add64(lo, uint64(perGrams)/2, 0)
	hi += carry
	if hi >= uint64(perGrams) {
		return 0, app.ErrMoneyOverflow
	}
	q, _ := bits.Div64(hi, lo, uint64(perGrams))
	if q > math.MaxInt64 {
		return 0, app.ErrMoneyOverflow
	}
	return app.Money(q), nil
}
