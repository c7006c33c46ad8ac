package catalogfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"cashier/app"

	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
)

const good = "名称,条码,价格,单位\n" +
	"可口可乐 330ml,6901939621608,3.50,瓶\n" +
	"\n" +
	"农夫山泉  ,6921168509256;6921168509263,\"1,234.50\",瓶\n" +
	"面包,2000001,￥12.50 ,个\n"

func wantGood() []Row {
	return []Row{
		{Line: 2, Name: "可口可乐 330ml", Barcodes: []string{"6901939621608"}, Price: "3.50", Unit: "瓶"},
		{Line: 4, Name: "农夫山泉", Barcodes: []string{"6921168509256", "6921168509263"}, Price: "1234.50", Unit: "瓶"},
		{Line: 5, Name: "面包", Barcodes: []string{"2000001"}, Price: "12.50", Unit: "个"},
	}
}

func read(t *testing.T, b []byte, name string) (*Sheet, error) {
	t.Helper()
	return Read(bytes.NewReader(b), name)
}

func code(t *testing.T, err error) string {
	t.Helper()
	m, ok := app.AsMessage(err)
	require.True(t, ok, "not an app error: %v", err)
	return m.Code
}

func TestRead_CSVEncodings(t *testing.T) {
	gbk, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(good))
	require.NoError(t, err)
	gb18030, err := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte(good))
	require.NoError(t, err)
	require.False(t, bytes.Equal(gbk, []byte(good)))
	for name, b := range map[string][]byte{
		"utf8":    []byte(good),
		"utf8bom": append([]byte("\uFEFF"), good...),
		"gbk":     gbk,
		"gb18030": gb18030,
		"crlf":    []byte(strings.ReplaceAll(good, "\n", "\r\n")),
		"tab":     []byte(strings.NewReplacer("\"1,234.50\"", "1,234.50", ",", "\t").Replace(good)),
	} {
		t.Run(name, func(t *testing.T) {
			s, err := read(t, b, "products.csv")
			require.NoError(t, err)
			require.Equal(t, CSV, s.Format)
			require.Equal(t, wantGood(), s.Rows)
			require.Empty(t, s.Unknown)
		})
	}
}

func TestRead_HeaderOrderLanguageAndAliases(t *testing.T) {
	s, err := read(t, []byte("Price,Unit,Barcode,Name,Tax Rate,active,stock,Category,nodiscount\n"+
		"2.00,瓶,690,水,0.13,1,10,饮料,0\n"), "x.csv")
	require.NoError(t, err)
	require.Equal(t, []Row{{Line: 2, Name: "水", Barcodes: []string{"690"}, Price: "2.00", Unit: "瓶",
		Category: "饮料", TaxRate: "0.13", Active: "1", NonDiscountable: "0", Stock: "10"}}, s.Rows)

	s, err = read(t, []byte("零售价,商品条码,品名,条码2,类别,状态,不参与折扣,库存\n5,111,糖,222|333,零食,启用,是,3\n"), "x.csv")
	require.NoError(t, err)
	require.Equal(t, []Row{{Line: 2, Name: "糖", Barcodes: []string{"111", "222", "333"}, Price: "5",
		Category: "零食", Active: "启用", NonDiscountable: "是", Stock: "3"}}, s.Rows)
}

func TestRead_HeaderProblems(t *testing.T) {
	_, err := read(t, []byte("名称,价格\n水,2\n"), "x.csv")
	require.ErrorIs(t, err, ErrHeaderMissing)
	m, _ := app.AsMessage(err)
	require.Equal(t, "条码 / barcode", m.Args["Column"])

	_, err = read(t, []byte("名称,条码,品名,价格\n"), "x.csv")
	require.ErrorIs(t, err, ErrHeaderDuplicate)

	s, err := read(t, []byte("名称,条码,价格,供应商,备注\n水,1,2,某厂,\n"), "x.csv")
	require.NoError(t, err)
	require.Equal(t, []string{"供应商", "备注"}, s.Unknown)
	require.Equal(t, "水", s.Rows[0].Name)
}

func TestRead_EmptyAndHeaderOnly(t *testing.T) {
	for _, b := range []string{"", "\n\r\n  \n", "\uFEFF"} {
		_, err := read(t, []byte(b), "x.csv")
		require.ErrorIs(t, err, ErrEmpty, "%q", b)
	}
	s, err := read(t, []byte("\uFEFFname,barcode,price\r\n\r\n"), "x.csv")
	require.NoError(t, err)
	require.Empty(t, s.Rows)
}

func TestRead_WrongCellCountIsTheRowsProblem(t *testing.T) {
	s, err := read(t, []byte("名称,条码,价格\n水,1\n茶,2,3,多余\n奶,3,4,\n糖,4,5\n"), "x.csv")
	require.NoError(t, err)
	require.Len(t, s.Rows, 4)
	require.ErrorIs(t, s.Rows[0].Problem, ErrCells)
	m, _ := app.AsMessage(s.Rows[0].Problem)
	require.Equal(t, map[string]any{"Line": 2, "Want": 3, "Got": 2}, m.Args)
	require.ErrorIs(t, s.Rows[1].Problem, ErrCells)
	require.NoError(t, s.Rows[2].Problem, "an empty trailing cell is harmless")
	require.NoError(t, s.Rows[3].Problem)
	require.Equal(t, 5, s.Rows[3].Line)
}

func TestRead_RefusesWhatIsNotText(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	garbage := make([]byte, 10<<20)
	for i := range garbage {
		garbage[i] = byte(rng.Uint32())
	}
	utf16 := []byte{}
	for _, r := range "名称,条码,价格\n水,1,2\n" {
		utf16 = append(utf16, byte(r), byte(r>>8))
	}
	for name, b := range map[string][]byte{
		"garbage":         garbage,
		"utf16 no bom":    utf16,
		"binary":          {0x7f, 'E', 'L', 'F', 2, 1, 1, 0, 0, 0},
		"high bytes only": bytes.Repeat([]byte{0x81, 0x30, 0xFE, 0x39}, 100), // decodes, but not as text
		"latin-1":         []byte("name,barcode,price\ncaf\xe9,1,2\n"),
	} {
		t.Run(name, func(t *testing.T) {
			s, err := read(t, b, "x.csv")
			require.ErrorIs(t, err, ErrEncoding)
			require.Nil(t, s)
		})
	}
	_, err := read(t, []byte{0xD0, 0xCF, 0x11, 0xE0, 0, 0}, "old.xls")
	require.ErrorIs(t, err, ErrOldExcel)
	_, err = read(t, []byte("名称,条码,价格\n"), "renamed.xlsx")
	require.ErrorIs(t, err, ErrXLSX)
	// Old systems export tab-separated text named .xls: it is read as text.
	s, err := read(t, []byte("名称\t条码\t价格\n水\t1\t2\n"), "export.xls")
	require.NoError(t, err)
	require.Len(t, s.Rows, 1)
}

func TestRead_BadTextFurtherDownStopsTheFile(t *testing.T) {
	// Valid UTF-8 for the whole sample, then a byte that is not: the file
	// is refused at that line, not half read.
	var b bytes.Buffer
	b.WriteString("名称,条码,价格\n")
	for b.Len() < sample+100 {
		b.WriteString("水,1,2\n")
	}
	lines := strings.Count(b.String(), "\n")
	b.WriteString("\xff\xfe,1,2\n")
	_, err := read(t, b.Bytes(), "x.csv")
	require.ErrorIs(t, err, ErrBadText)
	m, _ := app.AsMessage(err)
	require.Equal(t, lines+1, m.Args["Line"])
}

func TestRead_BadGBKFurtherDownStopsTheFile(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("名称,条码,价格\n")
	for b.Len() < 2*sample {
		b.WriteString("水,1,2\n")
	}
	lines := strings.Count(b.String(), "\n")
	gbk, err := simplifiedchinese.GBK.NewEncoder().Bytes(b.Bytes())
	require.NoError(t, err)
	gbk = append(gbk, "\x81\x20,1,2\n"...) // a lead byte without its trail
	_, err = read(t, gbk, "x.csv")
	require.ErrorIs(t, err, ErrBadText)
	m, _ := app.AsMessage(err)
	require.Equal(t, lines+1, m.Args["Line"])
}

func TestRead_UTF16WithBOM(t *testing.T) {
	b := []byte{0xFF, 0xFE}
	for _, r := range "名称\t条码\t价格\r\n水\t1\t2\r\n" {
		b = append(b, byte(r), byte(r>>8))
	}
	s, err := read(t, b, "x.txt")
	require.NoError(t, err)
	require.Equal(t, []Row{{Line: 2, Name: "水", Barcodes: []string{"1"}, Price: "2"}}, s.Rows)
}

// A workbook as Excel would keep it: a number cell with a currency format,
// a blank row, the header not in the first row.
func TestRead_XLSX(t *testing.T) {
	f := excelize.NewFile()
	defer f.Close()
	sh := f.GetSheetName(0)
	require.NoError(t, f.SetSheetRow(sh, "A2", &[]any{"Price", "Name", "条码", "备注"}))
	require.NoError(t, f.SetSheetRow(sh, "A3", &[]any{1234.5, " 可乐 ", "6901939621608", "x"}))
	require.NoError(t, f.SetSheetRow(sh, "A5", &[]any{"3.5", "水", "6921168509256;123"}))
	fmtID := 4 // #,##0.00
	st, err := f.NewStyle(&excelize.Style{NumFmt: fmtID})
	require.NoError(t, err)
	require.NoError(t, f.SetCellStyle(sh, "A3", "A3", st))
	var buf bytes.Buffer
	require.NoError(t, f.Write(&buf))

	s, err := read(t, buf.Bytes(), "p.xlsx")
	require.NoError(t, err)
	require.Equal(t, XLSX, s.Format)
	require.Equal(t, []string{"备注"}, s.Unknown)
	require.Equal(t, []Row{
		{Line: 3, Name: "可乐", Barcodes: []string{"6901939621608"}, Price: "1234.50"},
		{Line: 5, Name: "水", Barcodes: []string{"6921168509256", "123"}, Price: "3.5"},
	}, s.Rows)

	_, err = read(t, []byte("PK\x03\x04not really a zip"), "p.xlsx")
	require.ErrorIs(t, err, ErrXLSX)
}

func TestNormalisePrice(t *testing.T) {
	for in, want := range map[string]string{
		"12.5": "12.5", " ￥12.50 ": "12.50", "¥1,234.50": "1234.50", "1,234,567": "1234567",
		"12.5元": "12.5", "RMB 3": "3", "-1,000.00": "-1000.00",
		"1,23": "1,23", "12,34.5": "12,34.5", "abc": "abc", "": "", "1.234,50": "1.234,50",
	} {
		require.Equal(t, want, NormalisePrice(in), "%q", in)
	}
}

func sample3() []Row {
	return []Row{
		{Name: "=HYPERLINK(\"http://x\")", Barcodes: []string{"6901939621608", "2000001"}, Price: "3.50", Unit: "瓶",
			Category: "饮料", TaxRate: "0.13", Active: "1", NonDiscountable: "0", Stock: "-5"},
		{Name: "他说\"好\",再来", Barcodes: []string{"0012345678905"}, Price: "1234.50", Unit: "个", Stock: "+3"},
		{Name: "@sum 'x", Barcodes: []string{"1"}, Price: "0.01", Category: "'=already"},
	}
}

func TestWriteCSV_GuardsFormulasAndRoundTrips(t *testing.T) {
	for _, h := range []Header{HeaderChinese, HeaderEnglish} {
		var buf bytes.Buffer
		require.NoError(t, WriteCSV(&buf, slices.Values(sample3()), h))
		out := buf.String()
		require.True(t, strings.HasPrefix(out, "\uFEFF"))
		if h == HeaderChinese {
			require.True(t, strings.HasPrefix(out, "\uFEFF名称,条码,价格,单位,分类,税率,启用,不打折,库存\r\n"), out)
		} else {
			require.True(t, strings.HasPrefix(out, "\uFEFFname,barcode,price,unit,category,tax_rate,active,non_discountable,stock\r\n"), out)
		}
		require.Contains(t, out, "\"'=HYPERLINK(\"\"http://x\"\")\"")
		require.Contains(t, out, ",'-5\r\n")
		require.Contains(t, out, ",'+3\r\n")
		require.Contains(t, out, "\r\n'@sum 'x,")
		require.Contains(t, out, ",''=already,")
		for _, line := range strings.Split(out, "\r\n") {
			for _, cell := range strings.Split(line, ",") {
				cell = strings.TrimPrefix(cell, "\"")
				if cell != "" {
					require.NotContains(t, guarded, cell[:1], "unguarded cell %q", cell)
				}
			}
		}
		s, err := read(t, buf.Bytes(), "out.csv")
		require.NoError(t, err)
		require.Equal(t, withLines(sample3()), s.Rows)
	}
}

func withLines(rows []Row) []Row {
	out := slices.Clone(rows)
	for i := range out {
		out[i].Line = i + 2
	}
	return out
}

func TestWriteXLSX_RoundTrips(t *testing.T) {
	for _, h := range []Header{HeaderChinese, HeaderEnglish} {
		var buf bytes.Buffer
		require.NoError(t, WriteXLSX(&buf, slices.Values(sample3()), h))
		f, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
		require.NoError(t, err)
		v, err := f.GetCellValue(f.GetSheetName(0), "A2")
		require.NoError(t, err)
		require.Equal(t, sample3()[0].Name, v, "an XLSX text cell needs no guard")
		formula, err := f.GetCellFormula(f.GetSheetName(0), "A2")
		require.NoError(t, err)
		require.Empty(t, formula)
		f.Close()
		s, err := read(t, buf.Bytes(), "out.xlsx")
		require.NoError(t, err)
		require.Equal(t, withLines(sample3()), s.Rows)
	}
}

func TestReader_Streams(t *testing.T) {
	rd, err := Open(strings.NewReader(good), "x.csv")
	require.NoError(t, err)
	defer rd.Close()
	var n int
	for {
		_, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		n++
	}
	require.Equal(t, 3, n)
	_, err = rd.Next()
	require.ErrorIs(t, err, io.EOF)
}

func rows100k() []Row {
	rows := make([]Row, 100_000)
	for i := range rows {
		rows[i] = Row{Name: fmt.Sprintf("商品%06d 规格", i), Barcodes: []string{fmt.Sprintf("69%011d", i)},
			Price: fmt.Sprintf("%d.%02d", i%1000, i%100), Unit: "个", Category: "杂货", Active: "1", Stock: "12"}
	}
	return rows
}

// BenchmarkRead100k is the import's budget: 100,000 rows in each form.
func BenchmarkRead100k(b *testing.B) {
	rows := rows100k()
	var utf8CSV, xlsx bytes.Buffer
	require.NoError(b, WriteCSV(&utf8CSV, slices.Values(rows), HeaderChinese))
	gbk, err := simplifiedchinese.GBK.NewEncoder().Bytes(bytes.TrimPrefix(utf8CSV.Bytes(), []byte("\uFEFF")))
	require.NoError(b, err)
	require.NoError(b, WriteXLSX(&xlsx, slices.Values(rows), HeaderChinese))
	for name, data := range map[string][]byte{"csv-utf8": utf8CSV.Bytes(), "csv-gbk": gbk, "xlsx": xlsx.Bytes()} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				rd, err := Open(bytes.NewReader(data), name)
				require.NoError(b, err)
				n := 0
				for {
					_, err := rd.Next()
					if err == io.EOF {
						break
					}
					require.NoError(b, err)
					n++
				}
				rd.Close()
				require.Equal(b, len(rows), n)
			}
		})
	}
}

func TestHeader_ItemCodeIsACode(t *testing.T) {
	s, err := Read(strings.NewReader("品名,货号,条码,售价,状态\n猪肉,00123,6901234567892,26.00,正常\n"), "x.csv")
	require.NoError(t, err)
	require.Equal(t, []string{"00123", "6901234567892"}, s.Rows[0].Barcodes)
	require.Equal(t, "正常", s.Rows[0].Active)
}
