package receipt

import (
	"fmt"
	"strings"

	"cashier/app"
	"cashier/app/catalog"
	"cashier/hardware/escpos"
)

// ShelfLabel is a product's shelf label (价签): its name, its price per
// unit and its code as a barcode a counter scanner reads back.
type ShelfLabel struct {
	Name    string
	Price   app.Money
	Unit    string // printed after the price ("/瓶"); "" prints the price alone
	Barcode string // the product's first code
}

// Barcode symbologies of ESC/POS GS k, function B (GS k m n d1…dn).
const (
	gsKUPCA  = 65
	gsKEAN13 = 67
	gsKEAN8  = 68
)

// Shelf label barcodes: 3 dots a module keeps an EAN-13 with its quiet
// zones (113 modules, 339 dots) inside 58 mm paper at about 114% of the
// nominal size, which every counter scanner reads.
const (
	labelBarHeight = 80
	labelBarModule = 3
)

// ShelfLabelJob lays out a shelf label. A GTIN (EAN-13, EAN-8, UPC-A, and
// the store's own 20–29 EAN-13 codes) is printed in its own symbology, so
// the label carries the same bars as the package; an internal code is
// printed as CODE128. A code that is not a valid code of either kind is
// refused: a label that scans as something else is worse than none.
func ShelfLabelJob(l ShelfLabel, o Options) ([]byte, error) {
	if strings.TrimSpace(l.Name) == "" {
		return nil, fmt.Errorf("%w: 商品名称 / product name", ErrMissing)
	}
	code := catalog.NormaliseCode(l.Barcode)
	kind, err := catalog.Classify(code)
	if err != nil {
		return nil, err
	}
	p := o.Paper
	if p == 0 {
		p = escpos.Paper80
	}
	b := escpos.New(p)
	b.Align(escpos.AlignCenter).Bold(true).Size(1, 2)
	for _, line := range escpos.Wrap(l.Name, b.Columns()) {
		b.Line(line)
	}
	b.Normal()
	priceLine(b, l.Price.Display(), l.Unit)
	switch kind {
	case catalog.KindEAN13, catalog.KindInStore:
		gtin(b, gsKEAN13, code)
	case catalog.KindEAN8:
		gtin(b, gsKEAN8, code)
	case catalog.KindUPCA:
		gtin(b, gsKUPCA, code)
	default:
		b.Code128(code, escpos.Code128Options{Height: labelBarHeight, Module: labelBarModule, HRI: escpos.HRIBelow})
	}
	// Feed sets the line start itself: the cut adds no blank line after
	// the barcode (which the printer ends on its own).
	b.Feed(3).Cut()
	return b.Bytes()
}

// priceLine prints the price as large as the paper allows (3×, else 2×,
// else normal), the unit after it at normal size when it fits beside it,
// else on the line below.
func priceLine(b *escpos.Builder, price, unit string) {
	cols := b.Columns()
	size := 3
	for size > 1 && escpos.Width(price)*size > cols {
		size--
	}
	per := ""
	if unit = strings.TrimSpace(unit); unit != "" {
		per = "/" + unit
	}
	b.Bold(true).Size(size, size).Text(price).Normal()
	if per != "" && escpos.Width(price)*size+escpos.Width(per) <= cols {
		b.Line(per)
		return
	}
	b.Newline()
	if per != "" {
		b.Line(escpos.Truncate(per, cols))
	}
}

// gtin prints a GTIN with the printer's own symbology (GS k m n, function
// B), text below. The Builder has no command for these, so the bytes go
// raw: the alignment is already centred by the lines before (Raw does not
// send the Builder's pending alignment), and the label ends after it.
func gtin(b *escpos.Builder, m byte, code string) {
	b.Raw(escpos.GS, 'h', labelBarHeight, escpos.GS, 'w', labelBarModule, escpos.GS, 'H', byte(escpos.HRIBelow))
	b.Raw(append([]byte{escpos.GS, 'k', m, byte(len(code))}, code...)...)
}
