package catalog

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"cashier/app"
)

func TestClassify_PublicExamples(t *testing.T) {
	for code, want := range map[string]Kind{
		"4006381333931": KindEAN13,
		"9780306406157": KindEAN13, // ISBN 978-0-306-40615-7
		"6901234567892": KindEAN13,
		"96385074":      KindEAN8,
		"036000291452":  KindUPCA,
		"036000241457":  KindUPCA,
		"2800123012502": KindInStore,
		"４００６３８１３３３９３１": KindEAN13, // full-width digits from an IME
		" 96385074 ":           KindEAN8,
		"A-1001":               KindInternal,
		"plu_77":               KindInternal,
		"12345":                KindInternal, // a short PLU has no check digit
		"12345678901234567890": KindInternal,
	} {
		got, err := Classify(code)
		require.NoError(t, err, code)
		require.Equal(t, want, got, code)
	}
}

func TestClassify_Bad(t *testing.T) {
	for code, want := range map[string]*app.Error{
		"4006381333932":         ErrBarcodeCheck,
		"9780306406158":         ErrBarcodeCheck,
		"96385075":              ErrBarcodeCheck,
		"036000291453":          ErrBarcodeCheck,
		"2800123012503":         ErrBarcodeCheck,
		"":                      ErrBarcodeEmpty,
		"   ":                   ErrBarcodeEmpty,
		"AB 12":                 ErrBarcodeChars,
		"条码1":                   ErrBarcodeChars,
		"12.5":                  ErrBarcodeChars,
		"123456789012345678901": ErrBarcodeTooLong,
	} {
		_, err := Classify(code)
		require.ErrorIs(t, err, want, code)
		require.ErrorIs(t, err, ErrBarcode, code)
	}
	_, err := Classify("4006381333932")
	m, ok := app.AsMessage(err)
	require.True(t, ok)
	require.Equal(t, "4006381333932", m.Args["Barcode"], "the message names the barcode")
}

func TestCheckDigit(t *testing.T) {
	d, ok := CheckDigit("400638133393")
	require.True(t, ok)
	require.Equal(t, byte('1'), d)
	d, ok = CheckDigit("9638507")
	require.True(t, ok)
	require.Equal(t, byte('4'), d)
	_, ok = CheckDigit("")
	require.False(t, ok)
	_, ok = CheckDigit("12a4")
	require.False(t, ok)
	require.False(t, ValidCheckDigit("7"))
	// The same rule as the EAN-13 helpers the store seed uses.
	for _, p := range []string{"400638133393", "978030640615", "690123456789", "200000000000"} {
		d, _ := CheckDigit(p)
		require.Equal(t, app.EAN13CheckDigit(p), d, p)
		require.True(t, app.ValidEAN13(p+string(d)), p)
	}
}

func TestNormaliseCode(t *testing.T) {
	require.Equal(t, "AB12", NormaliseCode(" ａｂ12 "))
	require.True(t, errors.Is(ErrBarcodeCheck, ErrBarcode))
}
