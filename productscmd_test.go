package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	xunicode "golang.org/x/text/encoding/unicode"

	"cashier/app/catalog"
	"cashier/localdb"
	"cashier/sync/catalogfile"
)

// productsFolder is a demo data folder with its demo catalogue already
// seeded (52 products, codes localdb.DemoBarcode(i)), acting as the demo
// manager (1001, who holds product_manage) unless a test says otherwise.
func productsFolder(t *testing.T) string {
	t.Helper()
	dir := demoFolder(t)
	s, err := Open(context.Background(), Options{DataDir: dir, Command: "test", Lock: true, Seed: true})
	require.NoError(t, err)
	s.Close()
	t.Setenv("POS_PIN", "8888")
	return dir
}

// ean makes a valid EAN-13 from a 12-digit payload.
func ean(payload string) string {
	d, ok := catalog.CheckDigit(payload)
	if !ok || len(payload) != 12 {
		panic(payload)
	}
	return payload + string(d)
}

// badCheck is a 13-digit code whose check digit is wrong.
func badCheck(payload string) string {
	c := ean(payload)
	return c[:12] + string('0'+(c[12]-'0'+1)%10)
}

func writeTestFile(t *testing.T, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(p, b, 0o600))
	return p
}

func importCmd(t *testing.T, dir string, args ...string) (int, string, string) {
	t.Helper()
	return runCmd(t, nil, append([]string{"products", "import", "--data-dir", dir, "--staff", "1001"}, args...)...)
}

func searchCmd(t *testing.T, dir string, args ...string) (int, string, string) {
	t.Helper()
	return runCmd(t, nil, append([]string{"products", "search", "--data-dir", dir}, args...)...)
}

// catalogState is the number of products and a checksum of every product
// row and code row, and the number of product_import audit lines: what
// "nothing changed" is compared by.
func catalogState(t *testing.T, dir string) (n int, sum string, imports int) {
	t.Helper()
	db, err := localdb.OpenExisting(dbPath(dir))
	require.NoError(t, err)
	defer db.Close()
	h := sha256.New()
	for _, q := range []string{
		`SELECT id, store_id, barcode, name, price, unit, category, active, updated_at, tax_rate, non_discountable,
		   coalesce(stock, 'null') FROM product ORDER BY id`,
		`SELECT store_id, code, product_id, position, '', '', '', '', '', '', '', '' FROM product_barcode ORDER BY store_id, code`,
	} {
		rows, err := db.Read().Query(q)
		require.NoError(t, err)
		vals := make([]any, 12)
		for i := range vals {
			vals[i] = new(any)
		}
		for rows.Next() {
			require.NoError(t, rows.Scan(vals...))
			for _, v := range vals {
				fmt.Fprintf(h, "%v|", *(v.(*any)))
			}
			h.Write([]byte("\n"))
		}
		require.NoError(t, rows.Err())
		rows.Close()
	}
	require.NoError(t, db.Read().QueryRow(`SELECT count(*) FROM product`).Scan(&n))
	require.NoError(t, db.Read().QueryRow(`SELECT count(*) FROM audit_log WHERE action = 'product_import'`).Scan(&imports))
	return n, hex.EncodeToString(h.Sum(nil)), imports
}

// firstLines are the first cells (codes) of pos products search's lines.
func firstCells(out string) []string {
	var codes []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if f := strings.Fields(l); len(f) > 0 {
			codes = append(codes, f[0])
		}
	}
	return codes
}

// Good files in every encoding and form a shop's last system exports are
// imported whole; a second import of the same file changes nothing; a row
// for a product already there updates it, keeping what its blank cells
// leave out.
func TestProductsCLI_ImportGoodFiles(t *testing.T) {
	dir := productsFolder(t)
	n0, _, _ := catalogState(t, dir)

	gbk := func(s string) []byte {
		b, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(s))
		require.NoError(t, err)
		return b
	}
	utf16 := func(s string) []byte {
		b, err := xunicode.UTF16(xunicode.LittleEndian, xunicode.UseBOM).NewEncoder().Bytes([]byte(s))
		require.NoError(t, err)
		return b
	}
	xlsx := func(header []string, rows ...[]any) []byte {
		f := excelize.NewFile()
		defer f.Close()
		sheet := f.GetSheetName(0)
		for i, r := range append([][]any{toAny(header)}, rows...) {
			cell, _ := excelize.CoordinatesToCellName(1, i+1)
			require.NoError(t, f.SetSheetRow(sheet, cell, &r))
		}
		var b bytes.Buffer
		require.NoError(t, f.Write(&b))
		return b.Bytes()
	}
	written := func(rows ...catalog.Row) []byte {
		var b bytes.Buffer
		seq := func(yield func(catalog.Row) bool) {
			for _, r := range rows {
				if !yield(r) {
					return
				}
			}
		}
		require.NoError(t, catalogfile.WriteXLSX(&b, seq, catalogfile.HeaderChinese))
		return b.Bytes()
	}

	csv := func(s string) func(a, b string) []byte {
		return func(a, b string) []byte { return []byte(fmt.Sprintf(s, a, b)) }
	}
	for i, c := range []struct {
		name, file string
		body       func(a, b string) []byte
		unknown    string // a column the import ignores and names
	}{
		{"utf-8", "a.csv", csv("名称,条码,价格,单位,分类\n苹果测试甲,%s,12.50,斤,水果\n香蕉测试甲,%s,6.8,斤,水果\n"), ""},
		{"utf-8 with BOM", "b.csv", csv("\uFEFF名称,条码,价格,备注\n苹果测试乙,%s,12.50,进口\n香蕉测试乙,%s,￥6.80,\n"), "备注"},
		{"gbk", "c.csv", func(a, b string) []byte {
			return gbk(fmt.Sprintf("商品名称,条形码,零售价,计量单位,类别\n苹果测试丙,%s,12.50,斤,水果\n香蕉测试丙,%s,6.80,斤,水果\n", a, b))
		}, ""},
		{"english header in another order", "d.csv", csv("price,Barcode,unit,NAME,Tax Rate\n12.50,%s,kg,苹果测试丁,9%%\n6.80,%s,kg,香蕉测试丁,0.09\n"), ""},
		{"tab-separated utf-16 (Excel's Unicode text)", "e.txt", func(a, b string) []byte {
			return utf16(fmt.Sprintf("品名\t条码\t售价\n苹果测试戊\t%s\t12.50\n香蕉测试戊\t%s\t6.80\n", a, b))
		}, ""},
		{"xlsx written by catalogfile", "f.xlsx", func(a, b string) []byte {
			return written(catalog.Row{Name: "苹果测试己", Barcodes: []string{a}, Price: "12.50", Unit: "斤"},
				catalog.Row{Name: "香蕉测试己", Barcodes: []string{b, "BANANA-" + b[8:]}, Price: "6.80", TaxRate: "13%"})
		}, ""},
		{"xlsx with prices typed as numbers", "g.xlsx", func(a, b string) []byte {
			return xlsx([]string{"售价", "品名", "条码"}, []any{12.5, "苹果测试庚", a}, []any{6.8, "香蕉测试庚", b})
		}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			a, b := ean(fmt.Sprintf("69099990%02d01", i)), ean(fmt.Sprintf("69099990%02d02", i))
			body := c.body(a, b)
			if c.file == "c.csv" {
				_, err := simplifiedchinese.GBK.NewDecoder().Bytes(body)
				require.NoError(t, err)
				require.False(t, bytes.Contains(body, []byte("苹果")), "the file is GBK, not UTF-8")
			}
			f := writeTestFile(t, c.file, body)
			n, _, imports := catalogState(t, dir)
			rc, out, errs := importCmd(t, dir, f)
			require.Equal(t, 0, rc, out+errs)
			assert.Contains(t, out, "product rows: 2")
			assert.Contains(t, out, "Imported: 2 added, 0 updated, 0 unchanged")
			assert.Contains(t, errs, "writing 100%")
			if c.unknown != "" {
				assert.Contains(t, errs, "Columns not recognised, ignored: "+c.unknown)
			} else {
				assert.NotContains(t, errs, "not recognised")
			}
			n2, _, imports2 := catalogState(t, dir)
			assert.Equal(t, n+2, n2)
			assert.Equal(t, imports+1, imports2, "one product_import audit line")

			// The products are there, at their prices.
			rc, out, _ = searchCmd(t, dir, a)
			require.Equal(t, 0, rc)
			assert.Regexp(t, `^`+a+`\s+苹果测试.\s+12\.50\b`, out)

			// The same file again: nothing to do.
			rc, out, errs = importCmd(t, dir, f)
			require.Equal(t, 0, rc, out+errs)
			assert.Contains(t, out, "Imported: 0 added, 0 updated, 2 unchanged")
		})
	}
	n, _, _ := catalogState(t, dir)
	assert.Equal(t, n0+14, n)

	// An update: matched by its code, the price changes, the blank unit
	// and category keep their values, a new code is added to the old one.
	a := ean("690999900001")
	f := writeTestFile(t, "u.csv", []byte("名称,条码,价格,单位,分类\n苹果测试甲,"+a+";APPLE-1,13.00,,\n"))
	rc, out, errs := importCmd(t, dir, f, "--dry-run")
	require.Equal(t, 0, rc, out+errs)
	assert.Contains(t, out, "Dry run: would add 0, would update 1, 0 unchanged; nothing was written")
	rc, out, errs = importCmd(t, dir, f)
	require.Equal(t, 0, rc, out+errs)
	assert.Contains(t, out, "Imported: 0 added, 1 updated, 0 unchanged")
	rc, out, _ = searchCmd(t, dir, "APPLE-1")
	require.Equal(t, 0, rc)
	assert.Regexp(t, `^`+a+`\s+苹果测试甲\s+13\.00\s+斤\s+水果\n$`, out)
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// A dry run names every bad row with its line and why, in words, and
// exits non-zero; neither it nor the same import for real changes a
// thing (the good row in the file is not written either).
func TestProductsCLI_BadRowsNamedNothingImported(t *testing.T) {
	dir := productsFolder(t)
	good, dup := ean("690999900101"), ean("690999900102")
	wrong := badCheck("690999900103")
	taken0, taken1 := localdb.DemoBarcode(0), localdb.DemoBarcode(1)
	file := strings.Join([]string{
		"名称,条码,价格,税率,启用",
		"好商品," + good + ",5.00,13%,1",                  // 2: good
		"坏校验位," + wrong + ",5.00,,",                    // 3
		"重复条码," + dup + ";" + good + ",5.00,,",         // 4: good's code again
		"两个商品的条码," + taken0 + ";" + taken1 + ",5.00,,", // 5: codes of two demo products
		"三位小数," + ean("690999900104") + ",3.505,,",     // 6
		"零价格," + ean("690999900105") + ",0,,",          // 7
		"太贵," + ean("690999900106") + ",100000.00,,",   // 8
		"," + ean("690999900107") + ",5.00,,",          // 9: no name
		"坏税率," + ean("690999900108") + ",5.00,150%,",   // 10
		"坏启用," + ean("690999900109") + ",5.00,,也许",     // 11
		"一堆问题," + wrong + ",0,abc,也许",                  // 12: every reason at once
	}, "\n") + "\n"
	f := writeTestFile(t, "bad.csv", []byte(file))
	n, sum, imports := catalogState(t, dir)

	rc, out, errs := importCmd(t, dir, f, "--dry-run")
	assert.Equal(t, 1, rc, out+errs)
	for _, want := range []string{
		"line 3 坏校验位: Barcode " + wrong + " has a wrong check digit",
		"line 4 重复条码: Barcode " + good + " is already on line 2",
		"line 5 两个商品的条码: Barcode " + taken1 + " belongs to another product",
		"line 6 三位小数: Price “3.505”: At most two decimals",
		"line 7 零价格: Price “0”: The amount must be more than zero",
		"line 8 太贵: Price “100000.00”: The amount is over the limit of ￥99999.99",
		"line 9: Product name must not be empty",
		"line 10 坏税率: The tax rate must be",
		"line 11 坏启用: ",
		"line 12 一堆问题: ",
	} {
		assert.Contains(t, out, want)
	}
	assert.NotContains(t, out, "line 2 ")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 11, out) // the file's line and the ten bad rows, one a line
	for _, l := range lines[1:] {
		assert.Regexp(t, `^line \d+[ :]`, l)
	}
	// Every reason of a row on its one line.
	last := lines[10]
	for _, want := range []string{"line 12 一堆问题: ", "check digit", "is already on line 3", "more than zero", "tax rate", "“也许”"} {
		assert.Contains(t, last, want)
	}
	assert.Contains(t, errs, "Rows with problems: 10 of 11. This import would be refused (dry run, nothing written)")
	n2, sum2, imports2 := catalogState(t, dir)
	assert.Equal(t, n, n2)
	assert.Equal(t, sum, sum2)
	assert.Equal(t, imports, imports2)

	// For real: refused the same way, nothing written.
	rc, out, errs = importCmd(t, dir, f)
	assert.Equal(t, 1, rc, out+errs)
	assert.Contains(t, out, "line 12 一堆问题: ")
	assert.Contains(t, errs, "Rows with problems: 10 of 11. Nothing was imported")
	n2, sum2, imports2 = catalogState(t, dir)
	assert.Equal(t, n, n2)
	assert.Equal(t, sum, sum2)
	assert.Equal(t, imports, imports2)
	rc, _, _ = searchCmd(t, dir, good)
	assert.Equal(t, 1, rc, "the good row was not imported either")

	// The same report in Chinese.
	rc, out, _ = runCmdLang(t, nil, "zh", "products", "import", "--data-dir", dir, "--staff", "1001", f, "--dry-run")
	assert.Equal(t, 1, rc)
	assert.Contains(t, out, "第 3 行 坏校验位：条码 "+wrong+" 的校验位不对")
	assert.Contains(t, out, "第 9 行：商品名称")
	assert.Contains(t, out, "第 4 行 重复条码：条码 "+good+" 在第 2 行已出现过")
}

// Files that are not product files are refused before a row is read (or,
// for a bad byte far down, before anything is written), with words a
// person can act on.
func TestProductsCLI_RefusesBrokenFiles(t *testing.T) {
	dir := productsFolder(t)
	n, sum, _ := catalogState(t, dir)

	garbage := make([]byte, 10<<20)
	r := rand.New(rand.NewPCG(10, 20))
	for i := range garbage {
		garbage[i] = byte(r.UintN(256))
	}
	utf16NoBOM, err := xunicode.UTF16(xunicode.LittleEndian, xunicode.IgnoreBOM).NewEncoder().
		Bytes([]byte("名称,条码,价格\n苹果," + ean("690999900201") + ",5.00\n"))
	require.NoError(t, err)
	// A bad byte past the first 64 KB the encoding is judged by.
	var late bytes.Buffer
	late.WriteString("名称,条码,价格\n")
	for i := 0; late.Len() < 100<<10; i++ {
		fmt.Fprintf(&late, "商品%d,%s,5.00\n", i, ean(fmt.Sprintf("6877%08d", i)))
	}
	late.WriteString("坏字节\xff\xfe,6877999999990,5.00\n")

	for _, c := range []struct {
		name, file string
		body       []byte
		want       string
	}{
		{"unknown encoding", "utf16.csv", utf16NoBOM, "The file's encoding is not recognised"},
		{"10 MB of garbage", "garbage.csv", garbage, "The file's encoding is not recognised"},
		{"old Excel", "old.xls", append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, make([]byte, 512)...), ".xls"},
		{"damaged xlsx", "broken.xlsx", []byte("名称,条码,价格\n"), "XLSX"},
		{"a bad byte far down", "late.csv", late.Bytes(), "cannot be read"},
		{"no price column", "noprice.csv", []byte("名称,条码\n苹果," + ean("690999900202") + "\n"), "price"},
		{"header only", "empty.csv", []byte("名称,条码,价格\n"), "no product rows"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := writeTestFile(t, c.file, c.body)
			rc, out, errs := importCmd(t, dir, f)
			assert.Equal(t, 1, rc, out+errs)
			assert.Contains(t, errs, "pos products import: ")
			assert.Contains(t, errs, c.want)
			assert.NotContains(t, errs, "internal error")
			n2, sum2, _ := catalogState(t, dir)
			assert.Equal(t, n, n2)
			assert.Equal(t, sum, sum2)
		})
	}

	rc, _, errs := importCmd(t, dir, filepath.Join(t.TempDir(), "missing.csv"))
	assert.Equal(t, 1, rc)
	assert.Contains(t, errs, "Cannot open")
	assert.Contains(t, errs, "missing.csv: no such file or folder")
	rc, _, errs = importCmd(t, dir, t.TempDir())
	assert.Equal(t, 1, rc)
	assert.Contains(t, errs, "it is a folder")
}

// Importing needs product_manage: a clerk (1003) is refused before the
// file is read, and nothing changes; a wrong PIN is refused too.
func TestProductsCLI_ImportNeedsProductManage(t *testing.T) {
	dir := productsFolder(t)
	f := writeTestFile(t, "p.csv", []byte("名称,条码,价格\n苹果,"+ean("690999900301")+",5.00\n"))
	n, sum, _ := catalogState(t, dir)
	for _, dry := range []bool{true, false} {
		args := []string{"products", "import", "--data-dir", dir, "--staff", "1003", "--pin", "5678", f}
		if dry {
			args = append(args, "--dry-run")
		}
		rc, out, errs := runCmd(t, nil, args...)
		assert.Equal(t, 1, rc, out+errs)
		assert.Contains(t, errs, "does not hold the permission: product management")
		assert.Empty(t, out)
	}
	rc, _, errs := runCmd(t, nil, "products", "import", "--data-dir", dir, "--staff", "1001", "--pin", "0000", f)
	assert.Equal(t, 1, rc)
	assert.Contains(t, errs, "Wrong PIN")
	n2, sum2, _ := catalogState(t, dir)
	assert.Equal(t, n, n2)
	assert.Equal(t, sum, sum2)

	// The store manager may.
	rc, out, errs := runCmd(t, nil, "products", "import", "--data-dir", dir, "--staff", "1001", "--pin", "8888", f)
	require.Equal(t, 0, rc, out+errs)
	assert.Contains(t, out, "1 added")
}

// An export in either format, re-imported as a dry run, is every product
// unchanged with no bad row: what export writes, import reads back exact.
func TestProductsCLI_ExportRoundTrip(t *testing.T) {
	dir := productsFolder(t)
	// Beyond the demo data: several codes, an inactive product, a stock
	// count, a name a spreadsheet would run as a formula.
	f := writeTestFile(t, "extra.csv", []byte("名称,条码,价格,单位,分类,税率,启用,不打折,库存\n"+
		"散装大米,"+ean("690999900401")+";RICE-1,3.50,斤,粮油,9%,1,1,120\n"+
		"停用的商品,"+ean("690999900402")+",1.00,个,杂货,0%,0,0,\n"+
		"\"=1+2 公式\","+ean("690999900403")+",2.00,个,杂货,13%,1,0,-5\n"))
	rc, out, errs := importCmd(t, dir, f)
	require.Equal(t, 0, rc, out+errs)
	total := localdb.DemoProductCount + 3

	outDir := t.TempDir()
	for _, c := range []struct{ file, format, header string }{
		{"all.csv", "", "zh"}, {"all.xlsx", "", "en"}, {"all.dat", "xlsx", "zh"}, {"all-en.csv", "csv", "en"},
	} {
		t.Run(c.file, func(t *testing.T) {
			p := filepath.Join(outDir, c.file)
			args := []string{"products", "export", "--data-dir", dir, "--out", p, "--header", c.header}
			if c.format != "" {
				args = append(args, "--format", c.format)
			}
			rc, out, errs := runCmd(t, nil, args...)
			require.Equal(t, 0, rc, out+errs)
			assert.Contains(t, out, fmt.Sprintf("Products exported to %s: %d", p, total))
			b, err := os.ReadFile(p)
			require.NoError(t, err)
			if c.format == "xlsx" || strings.HasSuffix(c.file, ".xlsx") {
				assert.True(t, bytes.HasPrefix(b, []byte("PK")), "an XLSX is a ZIP")
			} else {
				assert.True(t, bytes.HasPrefix(b, []byte("\uFEFF")), "a CSV starts with a BOM")
			}
			rc, out, errs = importCmd(t, dir, p, "--dry-run")
			require.Equal(t, 0, rc, out+errs)
			assert.Contains(t, out, fmt.Sprintf("product rows: %d", total))
			assert.Contains(t, out, fmt.Sprintf("Dry run: would add 0, would update 0, %d unchanged", total))
			assert.NotContains(t, out, "line ")
		})
	}

	// A filter: one category, one state.
	p := filepath.Join(outDir, "drinks.csv")
	rc, out, errs = runCmd(t, nil, "products", "export", "--data-dir", dir, "--out", p, "--category", "饮料")
	require.Equal(t, 0, rc, out+errs)
	assert.Contains(t, out, ": 12\n")
	p = filepath.Join(outDir, "off.csv")
	rc, out, errs = runCmd(t, nil, "products", "export", "--data-dir", dir, "--out", p, "--state", "inactive", "--header", "en")
	require.Equal(t, 0, rc, out+errs)
	assert.Contains(t, out, ": 1\n")
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	assert.Equal(t, "\uFEFFname,barcode,price,unit,category,tax_rate,active,non_discountable,stock\r\n"+
		"停用的商品,"+ean("690999900402")+",1.00,个,杂货,0%,0,0,\r\n", string(b))

	// Refused before anything is written.
	for _, bad := range [][]string{
		{"--out", filepath.Join(outDir, "x.csv"), "--format", "xlsx"},
		{"--out", filepath.Join(outDir, "x.csv"), "--format", "xls"},
		{"--out", filepath.Join(outDir, "x.csv"), "--state", "on"},
		{"--out", filepath.Join(outDir, "x.csv"), "--header", "fr"},
		{"--out", filepath.Join(outDir, "x.csv"), "--category", "没有这个分类"},
		{"--format", "csv"},
	} {
		rc, _, errs := runCmd(t, nil, append([]string{"products", "export", "--data-dir", dir}, bad...)...)
		assert.Equal(t, 2, rc, "%v: %s", bad, errs)
	}
	rc, _, errs = runCmd(t, nil, "products", "export", "--data-dir", dir, "--out", filepath.Join(outDir, "no", "such", "x.csv"))
	assert.Equal(t, 1, rc)
	assert.Contains(t, errs, "Cannot write")
	ents, err := os.ReadDir(outDir)
	require.NoError(t, err)
	for _, e := range ents {
		assert.NotContains(t, e.Name(), "x.csv")
		assert.False(t, strings.HasSuffix(e.Name(), ".part"), e.Name())
	}
}

// A write that fails half way leaves neither a half file nor its
// temporary, and an older file of that name as it was.
func TestProductsCLI_ExportWritesWholeOrNothing(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "catalogue.csv")
	require.NoError(t, os.WriteFile(p, []byte("the old export"), 0o644))
	boom := errors.New("disk full")
	err := writeWhole(p, func(w io.Writer) error {
		_, _ = w.Write(bytes.Repeat([]byte("half a file\n"), 1000))
		return boom
	})
	require.ErrorIs(t, err, boom)
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	assert.Equal(t, "the old export", string(b))
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, ents, 1, "no temporary file left behind")

	require.NoError(t, writeWhole(p, func(w io.Writer) error { _, err := io.WriteString(w, "new"); return err }))
	b, err = os.ReadFile(p)
	require.NoError(t, err)
	assert.Equal(t, "new", string(b))
	ents, err = os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, ents, 1)
}

// pos products search is the counter's search: a name's Chinese, its
// pinyin initials or full pinyin, a code's prefix, an exact code first;
// at most 50 lines; exit 1 when nothing matches.
func TestProductsCLI_Search(t *testing.T) {
	dir := productsFolder(t)
	f := writeTestFile(t, "s.csv", []byte("名称,条码,价格,单位,分类,启用\n"+
		"散装可乐糖,6901234,8.80,斤,零食,1\n"+ // an internal code that is the demo codes' prefix
		"停用的可乐,"+ean("690999900501")+",1.00,瓶,饮料,0\n"))
	rc, out, errs := importCmd(t, dir, f)
	require.Equal(t, 0, rc, out+errs)
	coke, pepsi := localdb.DemoBarcode(2), localdb.DemoBarcode(3) // 可口可乐 330ml, 百事可乐 500ml

	rc, out, errs = searchCmd(t, dir, "可乐")
	require.Equal(t, 0, rc, errs)
	assert.ElementsMatch(t, []string{"6901234", coke, pepsi}, firstCells(out))
	assert.Contains(t, out, coke+"  可口可乐 330ml")
	assert.Regexp(t, `(?m)^`+coke+`\s+可口可乐 330ml\s+3\.00\s+罐\s+饮料$`, out)
	assert.NotContains(t, out, "停用的可乐", "disabled products only with --all")

	rc, out, _ = searchCmd(t, dir, "可乐", "--all")
	require.Equal(t, 0, rc)
	assert.Regexp(t, `(?m)^`+ean("690999900501")+`\s+停用的可乐\s+1\.00\s+瓶\s+饮料\s+\[disabled\]$`, out)

	rc, out, _ = searchCmd(t, dir, "kkkl") // initials
	require.Equal(t, 0, rc)
	assert.Equal(t, []string{coke}, firstCells(out))
	rc, out, _ = searchCmd(t, dir, "baishi") // full pinyin
	require.Equal(t, 0, rc)
	assert.Equal(t, []string{pepsi}, firstCells(out))
	rc, out, _ = searchCmd(t, dir, "bai", "shi", "ke", "le") // words are one query
	require.Equal(t, 0, rc)
	assert.Equal(t, []string{pepsi}, firstCells(out))

	// A code prefix: the product whose code is exactly the query first,
	// then the rest, at most 50 of the 52 demo products.
	rc, out, _ = searchCmd(t, dir, "6901234")
	require.Equal(t, 0, rc)
	codes := firstCells(out)
	require.Len(t, codes, catalog.MaxResults)
	assert.Equal(t, "6901234", codes[0])
	for _, c := range codes[1:] {
		assert.True(t, strings.HasPrefix(c, "6901234") && len(c) == 13, c)
	}
	// An exact code of a demo product.
	rc, out, _ = searchCmd(t, dir, pepsi)
	require.Equal(t, 0, rc)
	assert.Equal(t, []string{pepsi}, firstCells(out))

	rc, out, errs = searchCmd(t, dir, "没有这种东西")
	assert.Equal(t, 1, rc)
	assert.Empty(t, out)
	assert.Contains(t, errs, `No product matches "没有这种东西"`)

	rc, _, _ = searchCmd(t, dir)
	assert.Equal(t, 2, rc, "no text")
}

// The reading commands work beside a running app (the folder locked);
// import, which writes, waits its turn: exit 3, nothing done.
func TestProductsCLI_BesideARunningApp(t *testing.T) {
	dir := productsFolder(t)
	app, err := Open(context.Background(), Options{DataDir: dir, Command: "gui", Lock: true})
	require.NoError(t, err)
	defer app.Close()

	rc, out, errs := searchCmd(t, dir, "可口可乐")
	require.Equal(t, 0, rc, errs)
	assert.Contains(t, out, "可口可乐 330ml")
	p := filepath.Join(t.TempDir(), "c.xlsx")
	rc, out, errs = runCmd(t, nil, "products", "export", "--data-dir", dir, "--out", p)
	require.Equal(t, 0, rc, errs)
	assert.Contains(t, out, "Products exported to "+p+": 52")

	rc, _, errs = importCmd(t, dir, p, "--dry-run")
	assert.Equal(t, 3, rc, errs)
}

// Usage mistakes are exit 2 and say what is wrong.
func TestProductsCLI_Usage(t *testing.T) {
	dir := productsFolder(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"products"}, "usage: pos products"},
		{[]string{"products", "delete"}, "delete"},
		{[]string{"products", "import"}, "Name the file to import"},
		{[]string{"products", "import", "a.csv", "b.csv"}, "b.csv"},
		{[]string{"products", "export"}, "--out"},
		{[]string{"products", "search"}, "Give the text to search for"},
	} {
		rc, _, errs := runCmd(t, nil, append(c.args, "--data-dir", dir)...)
		assert.Equal(t, 2, rc, "%v", c.args)
		assert.Contains(t, errs, c.want, "%v", c.args)
	}
	rc, out, _ := runCmd(t, nil, "products", "--help")
	assert.Equal(t, 0, rc)
	assert.Contains(t, out, "pos products search TEXT")
}
