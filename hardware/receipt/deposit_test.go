package receipt_test

import (
	"bytes"
	"image"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/oned"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/hardware/receipt"
)

// flat is the receipt's text as one string without spaces or line
// breaks, to find a sentence wherever the paper's width wrapped it.
func flat(s string) string {
	return strings.NewReplacer(" ", "", "\n", "").Replace(s)
}

// lineOf is the first printed line starting with label ("" when none).
func lineOf(text, label string) string {
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, label) {
			return l
		}
	}
	return ""
}

func readCode128(t *testing.T, img image.Image) string {
	t.Helper()
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	require.NoError(t, err)
	res, err := oned.NewCode128Reader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true})
	require.NoError(t, err)
	return res.GetText()
}

func wechatDeposit() receipt.Deposit {
	return receipt.Deposit{DepositNo: "D0120260116093045654321", Time: at, Cashier: "王五", Terminal: "前台1",
		Amount: 50000, Method: "微信支付", Ref: "4200001234202601160000000001",
		Guest: app.Guest{Room: "1208", Name: "张三", Phone: "138 1234 5678"}, Note: "含早",
		Limit: receipt.DepositLimit{Wallet: "微信", Days: 30, On: at.AddDate(0, 0, 30)}}
}

// The check-in receipt, decoded back from its bytes on 58 and 80 mm: the
// guest with the phone masked (the full number is nowhere in the bytes),
// the terms, WeChat's 30-day limit with the date it falls on, and the
// deposit number in a barcode that reads back.
func TestDepositReceipt_GuestTermsAndLimit(t *testing.T) {
	dp := wechatDeposit()
	for _, p := range papers {
		job, err := receipt.DepositReceipt(header, dp, receipt.Options{Paper: p})
		require.NoError(t, err)
		r := print(t, p, job)
		assert.Contains(t, flat(r.Text), "押金单号:"+dp.DepositNo)
		for _, want := range []string{"押金单", "尾号: 654321", "房号: 1208", "客人: 张三",
			"电话: 138****5678", "备注: 含早", "支付方式: 微信支付", "￥500.00", "凭此单办理退押金，请妥善保管", "押金说明:",
			"自动退还日期: 2026-02-15"} {
			assert.Contains(t, r.Text, want, "%d mm", p)
		}
		for _, want := range []string{"退房结算时按实际消费从押金中扣款，余额自动原路退回付款账户；无消费则全额退还。",
			"微信押金自冻结起30天内未结算，将由微信自动退还。", dp.Ref} {
			assert.Contains(t, flat(r.Text), want, "%d mm", p)
		}
		for _, full := range []string{"13812345678", "138 1234 5678"} {
			assert.False(t, bytes.Contains(job, []byte(full)), "the full phone is not sent to the printer")
			assert.NotContains(t, r.Text, full)
		}
		assert.Equal(t, []string{dp.DepositNo}, r.Barcodes)
		assert.Equal(t, dp.DepositNo, readCode128(t, r.Image), "%d mm", p)
	}
}

// Alipay states no limit: the terms are printed, no limit line.
func TestDepositReceipt_AlipayNoLimit(t *testing.T) {
	dp := wechatDeposit()
	dp.Method, dp.Ref, dp.Limit = "支付宝", "2026011622001400001234567890", receipt.DepositLimit{}
	for _, p := range papers {
		job, err := receipt.DepositReceipt(header, dp, receipt.Options{Paper: p})
		require.NoError(t, err)
		r := print(t, p, job)
		assert.Contains(t, flat(r.Text), "余额自动原路退回付款账户")
		assert.NotContains(t, flat(r.Text), "天内未结算")
		assert.NotContains(t, r.Text, "自动退还日期")
		assert.NotContains(t, r.Text, "3.")
	}
}

// A guest as long as the desk allows wraps inside the paper (print
// checks every line's width) and is printed whole; a note typed with a
// line break stays on its line; no guest prints no guest lines.
func TestDepositReceipt_LongGuestAndNoGuest(t *testing.T) {
	long := strings.Repeat("欧阳", app.GuestNameMax/2)
	latin := "Maximilian Alexander Montgomery"
	for _, name := range []string{long, latin} {
		dp := wechatDeposit()
		dp.Guest = app.Guest{Room: strings.Repeat("8", app.GuestRoomMax), Name: name, Phone: "+86 139-8765-4321"}
		dp.Note = "含早\n加床"
		for _, p := range papers {
			job, err := receipt.DepositReceipt(header, dp, receipt.Options{Paper: p})
			require.NoError(t, err)
			r := print(t, p, job)
			assert.Contains(t, flat(r.Text), flat(name), "%d mm", p)
			assert.Contains(t, r.Text, "电话: "+app.MaskPhone(dp.Guest.Phone))
			assert.NotContains(t, r.Text, "8765", "the middle of the phone is hidden")
			assert.Contains(t, r.Text, "备注: 含早 加床")
			assert.Equal(t, dp.DepositNo, readCode128(t, r.Image), "the barcode still reads after a wrapped guest")
		}
	}
	dp := wechatDeposit()
	dp.Guest = app.Guest{}
	job, err := receipt.DepositReceipt(header, dp, receipt.Options{Paper: 58})
	require.NoError(t, err)
	r := print(t, 58, job)
	for _, no := range []string{"房号", "客人", "电话: 1", "****"} {
		assert.NotContains(t, r.Text, no)
	}
}

func settlement() receipt.Settlement {
	return receipt.Settlement{DepositNo: "D0120260116093045654321",
		Guest:  app.Guest{Room: "1208", Name: "张三", Phone: "13812345678"},
		Method: "微信支付", Ref: "4200001234202601160000000001", TakenAt: at,
		Amount: 50000, Charged: 32000, Returned: 18000,
		OpNo: "T01C260118120000123456", Time: at.AddDate(0, 0, 2), Cashier: "李娜", Terminal: "前台1"}
}

// The check-out slip of a consume on both papers: the guest (masked
// phone), the deposit, what was charged and what went back, each as a
// row with its amount at the right; the operation's number, when and who.
func TestDepositSettlement_Consume(t *testing.T) {
	s := settlement()
	for _, p := range papers {
		job, err := receipt.DepositSettlement(header, s, receipt.Options{Paper: p})
		require.NoError(t, err)
		r := print(t, p, job)
		assert.Contains(t, flat(r.Text), "押金单号:"+s.DepositNo)
		for _, want := range []string{"押金结算单", "尾号: 654321", "房号: 1208", "客人: 张三",
			"电话: 138****5678", "支付方式: 微信支付", "收押时间: 2026-01-16 09:30:45", "结算时间: 2026-01-18 09:30:45",
			"收银员: 李娜", "终端: 前台1", "顾客签字:"} {
			assert.Contains(t, r.Text, want, "%d mm", p)
		}
		assert.Contains(t, flat(r.Text), "结算单号:"+s.OpNo)
		assert.Contains(t, flat(r.Text), s.Ref)
		for label, amount := range map[string]string{"押金": "￥500.00", "消费": "￥320.00", "退还": "￥180.00"} {
			l := lineOf(r.Text, label+" ")
			assert.True(t, strings.HasSuffix(l, amount), "%d mm: %q ends in %s", p, l, amount)
		}
		assert.NotContains(t, r.Text, "全额退还")
		assert.False(t, bytes.Contains(job, []byte("13812345678")))
		assert.Empty(t, r.Barcodes, "the settled deposit's slip has no barcode")
	}
}

// A release returns everything: 全额退还, no 消费 row.
func TestDepositSettlement_Release(t *testing.T) {
	s := settlement()
	s.Release, s.Charged, s.Returned = true, 0, 50000
	s.OpNo = "T01U260118120000123456"
	for _, p := range papers {
		job, err := receipt.DepositSettlement(header, s, receipt.Options{Paper: p})
		require.NoError(t, err)
		r := print(t, p, job)
		assert.Contains(t, r.Text, "全额退还")
		assert.Empty(t, lineOf(r.Text, "消费"))
		assert.True(t, strings.HasSuffix(lineOf(r.Text, "押金 "), "￥500.00"))
		assert.True(t, strings.HasSuffix(lineOf(r.Text, "退还 "), "￥500.00"))
	}
}

func TestDepositSettlement_Missing(t *testing.T) {
	s := settlement()
	s.OpNo = ""
	_, err := receipt.DepositSettlement(header, s, receipt.Options{})
	assert.ErrorIs(t, err, receipt.ErrMissing)
	s = settlement()
	s.DepositNo = " "
	_, err = receipt.DepositSettlement(header, s, receipt.Options{})
	assert.ErrorIs(t, err, receipt.ErrMissing)
	_, err = receipt.DepositReceipt(header, receipt.Deposit{Amount: 100}, receipt.Options{})
	assert.ErrorIs(t, err, receipt.ErrMissing)
}
