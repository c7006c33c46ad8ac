package catalog

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"cashier/app"
)

func goodProduct() Product {
	return Product{Name: "可口可乐 500ml", Barcodes: []string{"6901234567892", "A-1001"},
		Price: 350, Unit: "瓶", Category: "饮料", TaxRate: 1300, Active: true}
}

func TestProduct_ValidateGood(t *testing.T) {
	require.NoError(t, goodProduct().Validate())
	p := goodProduct()
	p.Barcodes = nil
	p.Price = PriceCeiling
	p.TaxRate = 0
	require.NoError(t, p.Validate(), "a product without a barcode is sold by search")
}

// codes lists every app error code in err, in order.
func codes(err error) []string {
	var out []string
	var walk func(error)
	walk = func(e error) {
		if j, ok := e.(interface{ Unwrap() []error }); ok {
			for _, x := range j.Unwrap() {
				walk(x)
			}
			return
		}
		if m, ok := app.AsMessage(e); ok {
			out = append(out, m.Code)
		}
	}
	walk(err)
	return out
}

func TestProduct_ValidateBad(t *testing.T) {
	for _, c := range []struct {
		name string
		edit func(*Product)
		want []string
	}{
		{"no name", func(p *Product) { p.Name = "  " }, []string{"field.required"}},
		{"long name", func(p *Product) { p.Name = strings.Repeat("茶", MaxNameLen+1) }, []string{"field.too_long"}},
		{"long unit", func(p *Product) { p.Unit = "123456789" }, []string{"field.too_long"}},
		{"long category", func(p *Product) { p.Category = strings.Repeat("类", 21) }, []string{"field.too_long"}},
		{"zero price", func(p *Product) { p.Price = 0 }, []string{"money.zero"}},
		{"negative price", func(p *Product) { p.Price = -1 }, []string{"money.negative"}},
		{"price over ceiling", func(p *Product) { p.Price = PriceCeiling + 1 }, []string{"money.ceiling"}},
		{"tax below", func(p *Product) { p.TaxRate = -1 }, []string{"catalog.tax_rate.range"}},
		{"tax above", func(p *Product) { p.TaxRate = MaxTaxRate + 1 }, []string{"catalog.tax_rate.range"}},
		{"check digit", func(p *Product) { p.Barcodes = []string{"4006381333932"} }, []string{"catalog.barcode.check_digit"}},
		{"duplicate", func(p *Product) { p.Barcodes = []string{"96385074", "A1", "９６３８５０７４"} }, []string{"catalog.barcode.duplicate"}},
		{"duplicate by case", func(p *Product) { p.Barcodes = []string{"a1", "A1"} }, []string{"catalog.barcode.duplicate"}},
		{"empty barcode", func(p *Product) { p.Barcodes = []string{""} }, []string{"catalog.barcode.empty"}},
		{"too many", func(p *Product) {
			p.Barcodes = nil
			for i := 0; i <= MaxBarcodes; i++ {
				p.Barcodes = append(p.Barcodes, "C"+string(rune('A'+i)))
			}
		}, []string{"catalog.barcode.too_many"}},
		{"everything", func(p *Product) {
			p.Name, p.Price, p.TaxRate, p.Barcodes = "", 0, 20000, []string{"96385075"}
		}, []string{"field.required", "money.zero", "catalog.tax_rate.range", "catalog.barcode.check_digit"}},
	} {
		p := goodProduct()
		c.edit(&p)
		require.Equal(t, c.want, codes(p.Validate()), c.name)
	}
	p := goodProduct()
	p.Barcodes = []string{"4006381333932"}
	m, _ := app.AsMessage(p.Validate())
	require.Equal(t, "4006381333932", m.Args["Barcode"])
}

func TestProduct_Normalise(t *testing.T) {
	p := Product{Name: "  可口可乐   500ml ", Unit: " 瓶 ", Category: "饮料 ",
		Barcodes: []string{" ６９０１２３４５６７８９２ ", "", "a-1"}}
	n := p.Normalise()
	require.Equal(t, "可口可乐 500ml", n.Name)
	require.Equal(t, "瓶", n.Unit)
	require.Equal(t, "饮料", n.Category)
	require.Equal(t, []string{"6901234567892", "A-1"}, n.Barcodes)
	require.Equal(t, " 瓶 ", p.Unit, "the original is untouched")
}

func TestParsePrice(t *testing.T) {
	for s, want := range map[string]app.Money{"3.5": 350, "￥12.50": 1250, "99999.99": PriceCeiling, "1,000": 100000} {
		got, err := ParsePrice(s)
		require.NoError(t, err, s)
		require.Equal(t, want, got, s)
	}
	for s, want := range map[string]*app.Error{
		"3.505": app.ErrMoneyDecimals, "0": app.ErrMoneyZero, "0.00": app.ErrMoneyZero,
		"100000": app.ErrMoneyCeiling, "-1": app.ErrMoneyNegative, "": app.ErrMoneyEmpty, "abc": app.ErrMoneySyntax,
	} {
		_, err := ParsePrice(s)
		require.ErrorIs(t, err, want, s)
	}
}
