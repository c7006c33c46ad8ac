package catalogfile

import "strings"

// Field is a product column.
type Field string

const (
	FieldName            Field = "name"
	FieldBarcode         Field = "barcode"
	FieldPrice           Field = "price"
	FieldUnit            Field = "unit"
	FieldCategory        Field = "category"
	FieldTaxRate         Field = "tax_rate"
	FieldActive          Field = "active"
	FieldNonDiscountable Field = "non_discountable"
	FieldStock           Field = "stock"
)

// Fields is the order files are written in.
var Fields = []Field{FieldName, FieldBarcode, FieldPrice, FieldUnit, FieldCategory,
	FieldTaxRate, FieldActive, FieldNonDiscountable, FieldStock}

// chinese is each field's header in a written file; the first alias.
var chinese = map[Field]string{
	FieldName: "名称", FieldBarcode: "条码", FieldPrice: "价格", FieldUnit: "单位",
	FieldCategory: "分类", FieldTaxRate: "税率", FieldActive: "启用",
	FieldNonDiscountable: "不打折", FieldStock: "库存",
}

// aliases are the headers other systems' exports use (compared after
// normalise). A barcode column may also carry a number: 条码2, barcode3.
var aliases = map[string]Field{}

func init() {
	for f, names := range map[Field][]string{
		FieldName: {"名称", "商品名称", "品名", "商品名", "商品", "name", "productname", "product", "品名规格"},
		// 货号 / PLU: the store's own item code (a label scale prints it);
		// a file with both a barcode and an item code column gives the
		// product both codes.
		FieldBarcode: {"条码", "条形码", "商品条码", "国际条码", "barcode", "barcodes", "ean", "upc", "code",
			"货号", "商品编码", "商品编号", "自编码", "plu", "itemcode", "sku"},
		FieldPrice:           {"价格", "售价", "零售价", "单价", "销售价", "price", "retailprice", "saleprice"},
		FieldUnit:            {"单位", "计量单位", "unit"},
		FieldCategory:        {"分类", "类别", "商品分类", "品类", "category"},
		FieldTaxRate:         {"税率", "taxrate", "tax", "vat"},
		FieldActive:          {"状态", "启用", "是否启用", "active", "enabled", "status"},
		FieldNonDiscountable: {"不打折", "不参与折扣", "不可打折", "nodiscount", "nondiscountable"},
		FieldStock:           {"库存", "库存数量", "库存量", "stock", "qty", "quantity"},
	} {
		for _, n := range names {
			aliases[normalise(n)] = f
		}
	}
}

// normalise makes "Tax Rate", "tax_rate" and "TAXRATE" one header.
func normalise(h string) string {
	h = strings.ToLower(strings.TrimSpace(h))
	return strings.NewReplacer(" ", "", "_", "", "-", "", "\u3000", "", "（", "(", "）", ")").Replace(h)
}

// FieldOf maps a header cell to a field.
func FieldOf(header string) (Field, bool) {
	h := normalise(header)
	if f, ok := aliases[h]; ok {
		return f, true
	}
	// 条码2, barcode3: more barcodes for the same product.
	if t := strings.TrimRight(h, "0123456789"); t != h {
		if f, ok := aliases[t]; ok && f == FieldBarcode {
			return f, true
		}
	}
	return "", false
}

// Label names a field in both languages for messages: "名称 / name".
func (f Field) Label() string { return chinese[f] + " / " + string(f) }

// Header is the language of a written file's header row.
type Header int

const (
	HeaderChinese Header = iota
	HeaderEnglish
)

func headerRow(h Header) []string {
	out := make([]string, len(Fields))
	for i, f := range Fields {
		if h == HeaderEnglish {
			out[i] = string(f)
		} else {
			out[i] = chinese[f]
		}
	}
	return out
}

// cells is a row in Fields order; several barcodes share one cell.
func cells(r Row) []string {
	return []string{r.Name, strings.Join(r.Barcodes, ";"), r.Price, r.Unit, r.Category,
		r.TaxRate, r.Active, r.NonDiscountable, r.Stock}
}
