package receipt_test

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/encoding/simplifiedchinese"

	"cashier/app/catalog"
	"cashier/hardware/escpos"
	"cashier/hardware/receipt"
	"cashier/hardware/sim"
)

func gbk(t *testing.T, s string) []byte {
	t.Helper()
	b, err := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte(s))
	require.NoError(t, err)
	return b
}

func join(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// The whole job of an EAN-13 label on 58 mm paper, byte by byte: the name
// bold and double height, the price three times the size with its unit
// beside it, the code as the printer's own EAN-13 (GS k 67), text below.
func TestShelfLabel_EAN13Bytes(t *testing.T) {
	job, err := receipt.ShelfLabelJob(receipt.ShelfLabel{Name: "农夫山泉 550ml", Price: 200, Unit: "瓶",
		Barcode: "6921168509256"}, receipt.Options{Paper: escpos.Paper58})
	require.NoError(t, err)
	want := join(
		[]byte{0x1B, '@', 0x1C, '&'}, // initialise, Chinese mode
		[]byte{0x1B, 'a', 1},         // centred
		[]byte{0x1B, 'E', 1},         // bold
		[]byte{0x1D, '!', 0x01},      // double height
		gbk(t, "农夫山泉 550ml"), []byte{'\n'},
		[]byte{0x1D, '!', 0x22}, // 3×3
		gbk(t, "￥2.00"),
		[]byte{0x1B, 'E', 0}, []byte{0x1D, '!', 0x00}, // normal for the unit
		gbk(t, "/瓶"), []byte{'\n'},
		[]byte{0x1D, 'h', 80, 0x1D, 'w', 3, 0x1D, 'H', 2}, // height, module, text below
		[]byte{0x1D, 'k', 67, 13}, []byte("6921168509256"),
		[]byte{0x1B, 'd', 3},     // feed
		[]byte{0x1D, 'V', 66, 0}, // cut
	)
	require.Equal(t, want, job)
}

// Each GTIN goes out in its own symbology with its length; an internal
// code is CODE128 (the virtual printer draws it and reads it back); a
// full-width code typed through an IME is the same code.
func TestShelfLabel_Symbologies(t *testing.T) {
	for _, c := range []struct {
		code string
		m    byte
	}{
		{"6901234567892", 67}, // EAN-13
		{"2000123000008", 67}, // in-store EAN-13
		{"96385074", 68},      // EAN-8
		{"036000291452", 65},  // UPC-A
		{"６９０１２３４５６７８９２", 67}, // full-width digits
	} {
		job, err := receipt.ShelfLabelJob(receipt.ShelfLabel{Name: "测试", Price: 100, Barcode: c.code}, receipt.Options{})
		require.NoError(t, err, c.code)
		code := catalog.NormaliseCode(c.code)
		assert.True(t, bytes.Contains(job, append([]byte{0x1D, 'k', c.m, byte(len(code))}, code...)), c.code)
		assert.False(t, bytes.Contains(job, []byte{0x1D, 'k', 73}), "no CODE128 for %s", c.code)
	}

	for _, p := range papers {
		job, err := receipt.ShelfLabelJob(receipt.ShelfLabel{Name: "散装鸡蛋", Price: 1280, Unit: "kg", Barcode: "A-00123"},
			receipt.Options{Paper: p})
		require.NoError(t, err)
		r := print(t, p, job)
		assert.Equal(t, []string{"A-00123"}, r.Barcodes)
		assert.Contains(t, r.Text, "散装鸡蛋")
		assert.Contains(t, r.Text, "/kg")
	}
}

// The price is as large as the paper allows; a unit that does not fit
// beside it goes under it; a long name wraps. The label always fits.
func TestShelfLabel_FitsThePaper(t *testing.T) {
	l := receipt.ShelfLabel{Name: "特别长的商品名称用来测试价签在窄纸上会不会自动换行而不被截断", Price: 9999999, Unit: "公斤装",
		Barcode: "6901234567892"}
	for _, p := range papers {
		job, err := receipt.ShelfLabelJob(l, receipt.Options{Paper: p})
		require.NoError(t, err)
		e := sim.NewPrinterEmulator(sim.PrinterOptions{Paper: p})
		e.Feed(job)
		rs := e.Receipts()
		require.Len(t, rs, 1)
		require.True(t, rs[0].Cut)
		require.Empty(t, rs[0].Notes)
		assert.Contains(t, rs[0].Text, "/公斤装")
	}
	job, err := receipt.ShelfLabelJob(l, receipt.Options{Paper: escpos.Paper58})
	require.NoError(t, err)
	// ￥99999.99 is 10 columns: 3× is 30 of 58 mm's 32, the unit (7) goes below.
	assert.True(t, bytes.Contains(job, join([]byte{0x1D, '!', 0x22}, gbk(t, "￥99999.99"), []byte{'\n', 0x1B, 'E', 0, 0x1D, '!', 0}, gbk(t, "/公斤装"))))
}

// A label without a name, or with a code that is no code (a wrong check
// digit: it would scan as another product), is refused.
func TestShelfLabel_Refused(t *testing.T) {
	_, err := receipt.ShelfLabelJob(receipt.ShelfLabel{Name: " ", Price: 100, Barcode: "6901234567892"}, receipt.Options{})
	require.ErrorIs(t, err, receipt.ErrMissing)
	_, err = receipt.ShelfLabelJob(receipt.ShelfLabel{Name: "可乐", Price: 100, Barcode: "6901234567891"}, receipt.Options{})
	require.ErrorIs(t, err, catalog.ErrBarcodeCheck)
	_, err = receipt.ShelfLabelJob(receipt.ShelfLabel{Name: "可乐", Price: 100, Barcode: ""}, receipt.Options{})
	require.ErrorIs(t, err, catalog.ErrBarcodeEmpty)
}
