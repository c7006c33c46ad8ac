package app

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestClassifyCode(t *testing.T) {
	cases := []struct {
		code string
		want Wallet
	}{
		{"134567890123456789", WalletWeChat},
		{"100000000000000000", WalletWeChat},
		{"159999999999999999", WalletWeChat},
		{" 134567890123456789\r\n", WalletWeChat},
		{"2800000000000000", WalletAlipay},         // 16 digits
		{"280000000000000000", WalletAlipay},       // 18 digits starting 28
		{"250000000000000000000000", WalletAlipay}, // 24 digits
		{"300000000000000000", WalletAlipay},
		{"6212345678901234567", WalletUnionPay},
		{"990000000001", WalletMember},
		{"991234567890123456", WalletMember},
	}
	for _, c := range cases {
		w, code, err := ClassifyCode(c.code)
		require.NoError(t, err, c.code)
		assert.Equal(t, c.want, w, c.code)
		assert.Equal(t, strings.TrimSpace(c.code), code)
	}
}

func TestClassifyCodeRejects(t *testing.T) {
	for _, code := range []string{
		"", "   ", "6901234567892", // an EAN-13 product barcode
		"160000000000000000",        // 18 digits starting 16
		"13456789012345678",         // 17 digits starting 13
		"1345678901234567890",       // 19 digits starting 13
		"280000000000000",           // 15 digits starting 28
		"2800000000000000000000000", // 25 digits
		"310000000000000000",        // 31 is nobody's
		"621234567890123456",        // 18 digits starting 62
		"99123",                     // member card too short
		"13456789012345678a", "１３４５６７８９０１２３４５６７８９", "13-4567890123456789",
		"https://qr.alipay.com/abc", strings.Repeat("1", 40),
	} {
		w, _, err := ClassifyCode(code)
		assert.ErrorIs(t, err, ErrNotPaymentCode, "%q gave %s", code, w)
		assert.Empty(t, w)
	}
}

func TestMaskCode(t *testing.T) {
	assert.Equal(t, "1345**********6789", MaskCode("134567890123456789"))
	assert.Equal(t, "****", MaskCode("1234"))
	assert.Equal(t, "", MaskCode(""))
	assert.NotContains(t, MaskCode("134567890123456789"), "8901234")
	assert.Equal(t, HashCode("134567890123456789"), HashCode(" 134567890123456789\n"))
	assert.NotEqual(t, HashCode("134567890123456789"), HashCode("134567890123456788"))
}

func FuzzClassifyCode(f *testing.F) {
	for _, s := range []string{"134567890123456789", "2800000000000000", "6212345678901234567", "990000000001",
		"6901234567892", "", " 1 ", "１２", "28000000000000000000000000000000000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		w, code, err := ClassifyCode(s)
		m := MaskCode(s)
		if len(m) > MaxPaymentCodeLen {
			t.Fatalf("mask longer than a code: %q", m)
		}
		if err != nil {
			if !errors.Is(err, ErrNotPaymentCode) || w != "" || code != "" {
				t.Fatalf("%q: bad rejection %v %q %q", s, err, w, code)
			}
			// The message never echoes more than 2 digits of what was read.
			if len(code) == 0 && len(strings.TrimSpace(s)) > 8 && strings.Contains(err.Error(), strings.TrimSpace(s)) {
				t.Fatalf("%q: error echoes the input: %v", s, err)
			}
			return
		}
		if code != strings.TrimSpace(s) {
			t.Fatalf("%q: code %q", s, code)
		}
		for i := 0; i < len(code); i++ {
			if code[i] < '0' || code[i] > '9' {
				t.Fatalf("%q accepted with a non-digit", s)
			}
		}
		n, p := len(code), code[:2]
		ok := false
		switch w {
		case WalletWeChat:
			ok = n == 18 && p >= "10" && p <= "15"
		case WalletAlipay:
			ok = n >= 16 && n <= 24 && p >= "25" && p <= "30"
		case WalletUnionPay:
			ok = n == 19 && p == "62"
		case WalletMember:
			ok = n >= 12 && n <= 24 && p == "99"
		}
		if !ok {
			t.Fatalf("%q classified as %s", s, w)
		}
		// The mask keeps at most 8 digits of a code.
		if strings.Count(MaskCode(code), "*") != n-8 {
			t.Fatalf("%q: mask %q", code, MaskCode(code))
		}
	})
}
