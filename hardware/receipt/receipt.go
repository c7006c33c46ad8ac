// Package receipt lays out the counter's receipts (sale, refund, deposit,
// shift summary) as ESC/POS jobs for 58 mm and 80 mm paper. Templates take
// plain structs; every amount is an app.Money; the store's name, address,
// phone and footer come in a Header the caller fills from settings.
package receipt

import (
	"errors"
	"fmt"
	"image"
	"strings"

	"cashier/app"
	"cashier/hardware/escpos"
)

// Header is the store's part of every receipt, filled from settings.
type Header struct {
	Name    string
	Address string
	Phone   string
	Footer  string      // may hold several lines
	Logo    image.Image // optional; at most the paper's width in dots
}

// HeaderFromStore takes the receipt fields of the store's settings.
func HeaderFromStore(s app.StoreInfo) Header {
	return Header{Name: s.Name, Address: s.Address, Phone: s.Phone, Footer: s.ReceiptFooter}
}

// Options are the printer's settings.
type Options struct {
	Paper escpos.Paper // 58 or 80; 0 means 80
	// OpenDrawer kicks the cash drawer at the start of the job (cash sales).
	OpenDrawer bool
	Drawer     escpos.DrawerPulse
}

// Line is one item on a sale or refund: Amount is what the line costs
// after its discount.
type Line struct {
	Name      string
	Qty       int64
	UnitPrice app.Money
	Amount    app.Money
}

// Payment is one tender: "微信支付", "支付宝", "现金" ... and its amount.
type Payment struct {
	Method string
	Amount app.Money
	Ref    string // channel transaction number, printed small when set
}

// ErrMissing is a receipt without a field it cannot be printed without.
var ErrMissing = errors.New("小票缺少必填内容 / receipt is missing a required field")

const timeLayout = "2006-01-02 15:04:05"

// doc wraps a Builder with the receipt's shared pieces.
type doc struct {
	*escpos.Builder
}

func start(h Header, o Options) doc {
	p := o.Paper
	if p == 0 {
		p = escpos.Paper80
	}
	d := doc{escpos.New(p)}
	if o.OpenDrawer {
		d.DrawerKick(o.Drawer)
	}
	d.Align(escpos.AlignCenter)
	if h.Logo != nil {
		d.Image(h.Logo)
	}
	if h.Name != "" {
		d.Bold(true).Size(2, 2)
		for _, l := range escpos.Wrap(h.Name, d.Columns()) {
			d.Line(l)
		}
		d.Normal()
	}
	for _, s := range []string{h.Address, phoneLine(h.Phone)} {
		for _, l := range wrapNonEmpty(s, d.Columns()) {
			d.Line(l)
		}
	}
	return d
}

func phoneLine(p string) string {
	if strings.TrimSpace(p) == "" {
		return ""
	}
	return "电话: " + p
}

func wrapNonEmpty(s string, w int) []string {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	return escpos.Wrap(s, w)
}

func (d doc) title(s string) {
	d.Rule('-')
	d.Align(escpos.AlignCenter).Bold(true).Line(s).Bold(false)
	d.Align(escpos.AlignLeft)
}

// kv prints "label: value" on one line when it fits; otherwise the label
// on its own line and the value under it (wrapped only when longer than a
// whole line), so order numbers are never broken.
func (d doc) kv(label, value string) {
	if value == "" {
		return
	}
	line := label + ": " + value
	if escpos.Width(line) <= d.Columns() {
		d.Line(line)
		return
	}
	d.Line(label + ":")
	for _, l := range escpos.Wrap(value, d.Columns()-2) {
		d.Line("  " + l)
	}
}

// total prints a label and an amount at the right margin.
func (d doc) total(label string, m app.Money, bold bool) {
	d.Bold(bold).Row2(label, m.Display()).Bold(false)
}

// big prints a label and an amount in double height, bold.
func (d doc) big(label string, m app.Money) {
	d.Bold(true).Size(1, 2).Row2(label, m.Display()).Normal()
}

func negative(m app.Money) string { return "-" + m.Display() }

// items prints item lines: on 80 mm one row per item (name, quantity, unit
// price, amount; a long name continues below); on 58 mm the name on its
// own line, then "quantity × price" and the amount.
func (d doc) items(lines []Line) {
	if len(lines) == 0 {
		return
	}
	if d.Paper() == escpos.Paper58 {
		for _, l := range lines {
			for _, n := range escpos.Wrap(l.Name, d.Columns()) {
				d.Line(n)
			}
			d.Row2(fmt.Sprintf("  %d × %s", l.Qty, l.UnitPrice.Display()), l.Amount.Display())
		}
		return
	}
	cols := []escpos.Column{
		{Width: 20, Align: escpos.AlignLeft},
		{Width: 6, Align: escpos.AlignRight},
		{Width: 11, Align: escpos.AlignRight},
		{Align: escpos.AlignRight},
	}
	d.Row(cols, "商品", "数量", "单价", "金额")
	for _, l := range lines {
		names := escpos.Wrap(l.Name, cols[0].Width-1)
		d.Row(cols, names[0], fmt.Sprint(l.Qty), l.UnitPrice.Display(), l.Amount.Display())
		for _, n := range names[1:] {
			d.Line("  " + n)
		}
	}
}

func (d doc) payments(ps []Payment) {
	for _, p := range ps {
		d.total(p.Method, p.Amount, false)
		if p.Ref != "" {
			d.kv("  交易号", p.Ref)
		}
	}
}

// end prints the footer, feeds past the cutter and cuts.
func (d doc) end(h Header) ([]byte, error) {
	d.Align(escpos.AlignCenter)
	if lines := wrapNonEmpty(h.Footer, d.Columns()); len(lines) > 0 {
		d.Rule('-')
		for _, l := range lines {
			d.Line(l)
		}
	}
	d.Feed(2).Cut()
	return d.Bytes()
}

func barcodeOptions() escpos.Code128Options {
	return escpos.Code128Options{Height: 64, Module: 2, HRI: escpos.HRIBelow}
}

func qrOptions(p escpos.Paper) escpos.QROptions {
	if p == escpos.Paper58 {
		return escpos.QROptions{Size: 5, Level: escpos.QRLevelM}
	}
	return escpos.QROptions{Size: 6, Level: escpos.QRLevelM}
}
