package receipt

import (
	"fmt"
	"strings"
	"time"

	"cashier/app"
	"cashier/hardware/escpos"
)

// The hotel front desk's two slips: the deposit receipt (押金单) the guest
// keeps from check-in, whose barcode finds the deposit again, and the
// check-out slip (押金结算单) that shows what was charged and what went
// back. Both carry the guest; the phone is always printed masked.

// Deposit is a deposit (pre-authorisation) taken.
type Deposit struct {
	DepositNo string // printed as a CODE128 barcode: release scans it
	Time      time.Time
	Cashier   string
	Terminal  string
	Amount    app.Money
	Method    string
	Ref       string // channel transaction number
	// Guest is who the deposit is held for; the phone is printed masked
	// (app.MaskPhone) whatever is passed, never in full.
	Guest app.Guest
	Note  string
	// Limit is the wallet's automatic limit; its zero value (no Days)
	// prints no limit line, as for a wallet with no known limit.
	Limit DepositLimit
	// ReprintAt: printed again, marked as Sale.ReprintAt is.
	ReprintAt time.Time
}

// DepositLimit is a wallet's automatic settlement of a deposit left
// unsettled: Wallet ("微信") returns it Days after the freeze, on On (a
// date in the store's zone; only its date is printed).
type DepositLimit struct {
	Wallet string
	Days   int
	On     time.Time
}

// depositKeep is the line that tells the guest to keep the receipt.
const depositKeep = "凭此单办理退押金，请妥善保管"

// DepositReceipt lays out a deposit receipt: the guest, the money, the
// deposit number as a barcode and the terms under it.
func DepositReceipt(h Header, dp Deposit, o Options) ([]byte, error) {
	if strings.TrimSpace(dp.DepositNo) == "" {
		return nil, fmt.Errorf("%w: 押金单号 / deposit number", ErrMissing)
	}
	d := start(h, o)
	d.title("押金单")
	d.reprintMark(dp.ReprintAt)
	d.kv("押金单号", dp.DepositNo)
	d.kv("尾号", app.ShortNo(dp.DepositNo))
	d.kv("时间", dp.Time.Format(timeLayout))
	d.kv("重打时间", reprintTime(dp.ReprintAt))
	d.kv("收银员", dp.Cashier)
	d.kv("终端", dp.Terminal)
	d.guest(dp.Guest)
	d.kv("备注", oneLine(dp.Note))
	d.Rule('-')
	d.kv("支付方式", dp.Method)
	d.kv("交易号", dp.Ref)
	d.big("押金", dp.Amount)
	d.Rule('-')
	d.Align(escpos.AlignCenter)
	d.Code128(dp.DepositNo, escpos.Code128Options{Height: 80, Module: 2, HRI: escpos.HRIBelow})
	d.Line(depositKeep)
	d.Align(escpos.AlignLeft)
	d.Line("押金说明:")
	terms := []string{
		"退房结算时按实际消费从押金中扣款，余额自动原路退回付款账户；无消费则全额退还。",
		"退还金额到账时间以支付渠道为准。",
	}
	if l := dp.Limit; l.Days > 0 {
		terms = append(terms, fmt.Sprintf("%s押金自冻结起%d天内未结算，将由%s自动退还。", l.Wallet, l.Days, l.Wallet))
	}
	for i, t := range terms {
		d.hanging(fmt.Sprintf("%d. ", i+1), t)
	}
	if l := dp.Limit; l.Days > 0 {
		// On a line of its own: a wrap never cuts the date.
		d.Line("   自动退还日期: " + l.On.Format("2006-01-02"))
	}
	return d.end(h)
}

// Settlement is a deposit settled at check-out: part charged and the rest
// returned (a consume), or all of it returned (a release).
type Settlement struct {
	DepositNo string
	Guest     app.Guest // the phone is printed masked
	Method    string    // the wallet it was frozen on: "微信支付"
	Ref       string    // the channel's transaction number of the freeze
	TakenAt   time.Time // when the deposit was taken
	Amount    app.Money // the deposit
	Charged   app.Money // 消费
	Returned  app.Money // 退还
	// Release: the whole deposit went back (退押金), nothing was charged.
	Release bool
	// OpNo is the operation's own number (the channel's out_request_no).
	OpNo     string
	Time     time.Time
	Cashier  string
	Terminal string
}

// DepositSettlement lays out the check-out slip (押金结算单). It carries no
// barcode: the deposit receipt's barcode is the one that finds a deposit
// to settle, and a settled deposit has nothing left to settle; the number
// and its last six (what the desk's search takes) are printed as text.
func DepositSettlement(h Header, s Settlement, o Options) ([]byte, error) {
	if strings.TrimSpace(s.DepositNo) == "" || strings.TrimSpace(s.OpNo) == "" {
		return nil, fmt.Errorf("%w: 押金单号和结算单号 / deposit and operation numbers", ErrMissing)
	}
	d := start(h, o)
	d.title("押金结算单")
	d.kv("押金单号", s.DepositNo)
	d.kv("尾号", app.ShortNo(s.DepositNo))
	d.guest(s.Guest)
	d.Rule('-')
	d.kv("支付方式", s.Method)
	d.kv("交易号", s.Ref)
	if !s.TakenAt.IsZero() {
		d.kv("收押时间", s.TakenAt.Format(timeLayout))
	}
	d.Rule('-')
	d.total("押金", s.Amount, false)
	if s.Release {
		d.Bold(true).Line("全额退还").Bold(false)
	} else {
		d.total("消费", s.Charged, false)
	}
	d.big("退还", s.Returned)
	d.hanging("", "退还金额自动原路退回付款账户，到账时间以支付渠道为准。")
	d.Rule('-')
	d.kv("结算单号", s.OpNo)
	d.kv("结算时间", s.Time.Format(timeLayout))
	d.kv("收银员", s.Cashier)
	d.kv("终端", s.Terminal)
	d.Rule('-')
	d.Line("顾客签字:")
	return d.end(h)
}

// guest prints the guest's room, name and masked phone, each only when
// known.
func (d doc) guest(g app.Guest) {
	if g.Empty() {
		return
	}
	d.Rule('-')
	d.kv("房号", oneLine(g.Room))
	d.kv("客人", oneLine(g.Name))
	d.kv("电话", app.MaskPhone(g.Phone))
}

// hanging prints s wrapped to the paper after prefix, its continuation
// lines indented under the text, so numbered terms read as a list.
func (d doc) hanging(prefix, s string) {
	w := escpos.Width(prefix)
	for i, l := range wrapText(s, d.Columns()-w) {
		if i == 0 {
			d.Line(prefix + l)
		} else {
			d.Line(strings.Repeat(" ", w) + l)
		}
	}
}

// oneLine keeps a typed field on its line: a newline or other control
// character would break the receipt's layout.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}

// wrapText wraps a sentence to w columns as Chinese is set: between any
// two characters, but never before closing punctuation (the character
// before it goes down with it) and never inside a run of ASCII letters
// or digits (a number of days, a date), unless the run fills the line.
func wrapText(s string, w int) []string {
	rs := []rune(strings.TrimSpace(s))
	var out []string
	for len(rs) > 0 {
		n, width := 0, 0
		for n < len(rs) && width+escpos.RuneWidth(rs[n]) <= w {
			width += escpos.RuneWidth(rs[n])
			n++
		}
		if n == len(rs) {
			out = append(out, string(rs))
			break
		}
		if n == 0 { // narrower than one character: print it anyway
			out, rs = append(out, string(rs[:1])), rs[1:]
			continue
		}
		cut := n
		for cut > 1 && closing(rs[cut]) {
			cut--
		}
		if word(rs[cut]) {
			c := cut
			for c > 0 && word(rs[c-1]) {
				c--
			}
			if c > 0 {
				cut = c
			}
		}
		out = append(out, strings.TrimRight(string(rs[:cut]), " "))
		rs = []rune(strings.TrimLeft(string(rs[cut:]), " "))
	}
	return out
}

func closing(r rune) bool { return strings.ContainsRune("，。、；：！？）》」』,.;:!?)", r) }

func word(r rune) bool {
	return r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '-'
}
