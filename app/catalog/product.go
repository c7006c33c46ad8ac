package catalog

import (
	"errors"
	"strings"

	"cashier/app"
)

// Limits on what a product may hold.
const (
	MaxNameLen     = 60
	MaxUnitLen     = 8
	MaxCategoryLen = 20
	MaxBarcodes    = 10
	// MaxTaxRate is 100% in basis points; Chinese VAT rates are 0, 1, 3,
	// 6, 9 and 13% (0, 100, 300, 600, 900, 1300).
	MaxTaxRate = 10_000
)

// PriceCeiling is the highest shelf price: 99,999.99 yuan. A higher price
// at a counter is a typing slip (an extra zero), not a product.
const PriceCeiling app.Money = 9_999_999

// Product is a product as a manager types or imports it.
type Product struct {
	Name            string
	Barcodes        []string // the first is the one printed on shelf labels
	Price           app.Money
	Unit            string // 个, 瓶, kg …; free text
	Category        string
	TaxRate         int // basis points: 1300 is 13%
	Active          bool
	NonDiscountable bool
	Stock           *int64 // nil when the store does not count stock
}

var (
	ErrTaxRate         = app.NewError("catalog.tax_rate.range")
	ErrTooManyBarcodes = app.NewError("catalog.barcode.too_many")
)

// ParsePrice reads a typed or imported shelf price: yuan with at most two
// decimals, more than zero, at most PriceCeiling.
func ParsePrice(s string) (app.Money, error) {
	return app.ParseMoneyWith(s, app.MoneyRules{Ceiling: PriceCeiling})
}

// Normalise returns p with its text trimmed and its barcodes in the form
// they are stored and compared in (NormaliseCode), empty ones dropped.
func (p Product) Normalise() Product {
	p.Name = tidy(p.Name)
	p.Unit = tidy(p.Unit)
	p.Category = tidy(p.Category)
	var codes []string
	for _, b := range p.Barcodes {
		if c := NormaliseCode(b); c != "" {
			codes = append(codes, c)
		}
	}
	p.Barcodes = codes
	return p
}

// Validate checks a product and reports every problem at once (joined),
// each an app error a screen or an import report can put into words. It
// does not know other products: a barcode used by another product is the
// store's check.
func (p Product) Validate() error {
	var errs []error
	errs = append(errs,
		app.CheckText(app.Msg("field.product_name"), p.Name, true, MaxNameLen),
		app.CheckText(app.Msg("field.unit"), p.Unit, false, MaxUnitLen),
		app.CheckText(app.Msg("field.category"), p.Category, false, MaxCategoryLen),
	)
	switch {
	case p.Price < 0:
		errs = append(errs, app.ErrMoneyNegative)
	case p.Price == 0:
		errs = append(errs, app.ErrMoneyZero)
	case p.Price > PriceCeiling:
		errs = append(errs, app.ErrMoneyCeiling.With("Ceiling", PriceCeiling))
	}
	if p.TaxRate < 0 || p.TaxRate > MaxTaxRate {
		errs = append(errs, ErrTaxRate)
	}
	if len(p.Barcodes) > MaxBarcodes {
		errs = append(errs, ErrTooManyBarcodes.With("Max", MaxBarcodes))
	}
	seen := map[string]bool{}
	for _, b := range p.Barcodes {
		code := NormaliseCode(b)
		if _, err := Classify(code); err != nil {
			errs = append(errs, err)
			continue
		}
		if seen[code] {
			errs = append(errs, ErrBarcodeDuplicate.With("Barcode", code))
		}
		seen[code] = true
	}
	return errors.Join(errs...)
}

// tidy trims a typed text and collapses runs of spaces inside it.
func tidy(s string) string { return strings.Join(strings.Fields(s), " ") }
