// Package counter is the Counter workspace (收款): type the amount, choose
// sale or deposit, scan the customer's payment code, watch the payment
// reach a final state, cancel if the customer walks away.
package counter

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"cashier/app"
	"cashier/ui/async"
	"cashier/ui/i18n"
	"cashier/ui/scaninput"
)

// Payer is the payment use case.
type Payer interface {
	Pay(ctx context.Context, in app.PayInput) (app.PayResult, error)
	Cancel(ctx context.Context, outTradeNo string) (app.PayResult, error)
}

// Deps is what the Counter needs.
type Deps struct {
	Payments Payer
	Staff    app.Staff
	Store    app.StoreInfo
	Terminal app.TerminalInfo
	Detector scaninput.Detector // keyboard-wedge detector; nil: plain entries
	Canvas   fyne.Canvas        // for scans while no widget has focus
	// Scans is the app's one stream of scans (serial scanners, and the
	// keyboard-wedge detector, which publishes there). When set, scans are
	// taken from it only, so a wedge scan is not handled twice.
	Scans func() (<-chan string, func())
	// AfterPay runs (off the UI goroutine) once a payment is final and
	// paid: print the receipt, announce it.
	AfterPay func(app.PayResult)
}

// View is the Counter workspace.
type View struct {
	deps     Deps
	Amount   *scaninput.Entry
	Code     *scaninput.Entry
	Kind     *widget.RadioGroup
	Collect  *widget.Button
	CancelB  *widget.Button
	Progress *widget.Label
	Seconds  *widget.Label
	Result   *widget.Label
	History  *widget.List
	history  []app.PayResult
	running  bool
	outTrade string
	stops    []func()
	content  fyne.CanvasObject
}

// New builds the Counter.
func New(d Deps) *View {
	v := &View{deps: d}
	onScan := v.scanned
	if d.Scans != nil {
		onScan = nil // the stream below delivers it
	}
	v.Amount = scaninput.NewEntry(d.Detector, onScan)
	v.Amount.SetPlaceHolder(i18n.T("counter.amount.placeholder", "金额，例如 12.50"))
	v.Code = scaninput.NewEntry(d.Detector, onScan)
	v.Code.SetPlaceHolder(i18n.T("counter.code.placeholder", "扫描或输入顾客付款码"))
	v.Amount.OnSubmitted = func(string) { v.focus(v.Code) }
	v.Code.OnSubmitted = func(string) { v.start() }

	var kinds []string
	switch d.Terminal.CashierMode {
	case app.ModeSale:
		kinds = []string{i18n.T("counter.kind.sale", "收款")}
	case app.ModeDeposit:
		kinds = []string{i18n.T("counter.kind.deposit", "押金")}
	default:
		kinds = []string{i18n.T("counter.kind.sale", "收款"), i18n.T("counter.kind.deposit", "押金")}
	}
	v.Kind = widget.NewRadioGroup(kinds, nil)
	v.Kind.Horizontal = true
	v.Kind.Required = true
	v.Kind.SetSelected(kinds[0])

	v.Collect = widget.NewButtonWithIcon(i18n.T("counter.collect", "收款（Enter）"), theme.ConfirmIcon(), v.start)
	v.Collect.Importance = widget.HighImportance
	v.CancelB = widget.NewButtonWithIcon(i18n.T("counter.cancel", "取消收款（Esc）"), theme.CancelIcon(), v.cancel)
	v.CancelB.Disable()
	v.Progress = widget.NewLabel(i18n.T("counter.ready", "请输入金额"))
	v.Progress.Wrapping = fyne.TextWrapWord
	v.Seconds = widget.NewLabel("")
	v.Result = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	v.Result.Wrapping = fyne.TextWrapWord
	v.History = widget.NewList(
		func() int { return len(v.history) },
		func() fyne.CanvasObject { return widget.NewLabel("") },
		func(i widget.ListItemID, o fyne.CanvasObject) {
			r := v.history[len(v.history)-1-i]
			o.(*widget.Label).SetText(fmt.Sprintf("%s  %s  %s  %s", r.OrderNo, walletName(r.Wallet), r.Amount.Display(), stateName(r)))
		})

	form := widget.NewForm(
		widget.NewFormItem(i18n.T("counter.kind", "类型"), v.Kind),
		widget.NewFormItem(i18n.T("counter.amount", "金额（元）"), v.Amount),
		widget.NewFormItem(i18n.T("counter.code", "付款码"), v.Code),
	)
	left := container.NewVBox(
		widget.NewCard(i18n.T("counter.title", "收款"), i18n.T("counter.sub", "输入金额 → Enter → 扫顾客付款码"), form),
		container.NewHBox(v.Collect, v.CancelB),
		widget.NewCard(i18n.T("counter.progress", "进度"), "", container.NewVBox(v.Progress, v.Seconds, v.Result)),
	)
	hist := widget.NewCard(i18n.T("counter.history", "本次登录的收款"), "", v.History)
	split := container.NewHSplit(container.NewVScroll(left), hist)
	split.Offset = 0.55
	v.content = split
	if d.Scans != nil {
		ch, cancel := d.Scans()
		v.stops = append(v.stops, cancel)
		go func() {
			for code := range ch {
				fyne.Do(func() { v.scanned(code) })
			}
		}()
	}
	if d.Canvas != nil && d.Detector != nil {
		v.stops = append(v.stops, scaninput.Canvas(d.Canvas, d.Detector, onScan, nil))
		d.Canvas.AddShortcut(&escShortcut{}, func(fyne.Shortcut) { v.cancel() })
	}
	return v
}

type escShortcut struct{}

func (escShortcut) ShortcutName() string { return "counter.escape" }

// Content is the workspace's root.
func (v *View) Content() fyne.CanvasObject { return v.content }

// Stop uninstalls the canvas scan handler and leaves the scan stream.
func (v *View) Stop() {
	for _, s := range v.stops {
		s()
	}
	v.stops = nil
}

func (v *View) focus(o fyne.Focusable) {
	if v.deps.Canvas != nil {
		v.deps.Canvas.Focus(o)
	}
}

// scanned receives a scan from anywhere in the workspace: it is the
// customer's payment code.
func (v *View) scanned(code string) {
	if v.running {
		return
	}
	v.Code.SetText(code)
	v.start()
}

func (v *View) deposit() bool {
	return v.Kind.Selected == i18n.T("counter.kind.deposit", "押金")
}

func (v *View) start() {
	if v.running {
		return
	}
	amount, err := app.ParsePositiveMoney(v.Amount.Text)
	if err != nil {
		v.Progress.SetText(i18n.T("counter.err.amount", "金额不对：{{.Err}}", map[string]any{"Err": err.Error()}))
		v.focus(v.Amount)
		return
	}
	code := strings.TrimSpace(v.Code.Text)
	if code == "" {
		v.Progress.SetText(i18n.T("counter.scan", "请扫描顾客付款码"))
		v.focus(v.Code)
		return
	}
	if _, _, err := app.ClassifyCode(code); err != nil {
		v.Progress.SetText(err.Error())
		v.Code.SetText("")
		v.focus(v.Code)
		return
	}
	v.running = true
	v.outTrade = ""
	v.Collect.Disable()
	v.CancelB.Enable()
	v.Result.SetText("")
	v.Seconds.SetText("")
	v.Progress.SetText(i18n.T("counter.sending", "正在发起收款…"))
	deposit := v.deposit()
	in := app.PayInput{
		Order: app.Order{
			StoreID: v.deps.Store.ID, TerminalID: v.deps.Terminal.ID, StaffID: v.deps.Staff.ID,
			Total: amount, Payable: amount,
		},
		Code: code, Amount: amount, Deposit: deposit, StaffCode: v.deps.Staff.Code,
		OnEvent: func(e app.PaymentEvent) {
			fyne.Do(func() {
				if e.Ref != "" && v.outTrade == "" {
					v.outTrade = e.Ref
				}
				v.Progress.SetText(e.Message)
				v.Seconds.SetText(i18n.T("counter.elapsed", "已用时 {{.S}} 秒", map[string]any{"S": e.Seconds}))
			})
		},
	}
	var res app.PayResult
	async.Run(func() {
		res, err = v.deps.Payments.Pay(context.Background(), in)
		if err == nil && res.Paid() && v.deps.AfterPay != nil {
			v.deps.AfterPay(res)
		}
	}, func() { v.finish(res, err) })
}

func (v *View) finish(res app.PayResult, err error) {
	v.running = false
	v.Collect.Enable()
	v.CancelB.Disable()
	v.Code.SetText("")
	if err != nil {
		var dup *app.DuplicateScanError
		switch {
		case errors.As(err, &dup):
			v.Result.SetText(i18n.T("counter.err.dup", "同一付款码刚刚已扫过，未重复扣款"))
		default:
			v.Result.SetText(i18n.T("counter.err.failed", "收款未完成：{{.Err}}", map[string]any{"Err": err.Error()}))
		}
		v.focus(v.Code)
		return
	}
	v.history = append(v.history, res)
	v.History.Refresh()
	if res.Paid() {
		v.Result.SetText(i18n.T("counter.paid", "收款成功 {{.Amount}}  订单号 {{.No}}", map[string]any{"Amount": res.Amount.Display(), "No": res.OrderNo}))
		v.Amount.SetText("")
		v.focus(v.Amount)
		return
	}
	v.Result.SetText(stateName(res) + "：" + res.Message)
	v.focus(v.Code)
}

func (v *View) cancel() {
	if !v.running || v.outTrade == "" {
		return
	}
	no := v.outTrade
	v.CancelB.Disable()
	v.Progress.SetText(i18n.T("counter.cancelling", "正在取消：先查询，再撤销…"))
	go func() {
		ctx, stop := context.WithTimeout(context.Background(), 3*time.Minute)
		defer stop()
		// Pay's own loop reports the final state through finish.
		_, _ = v.deps.Payments.Cancel(ctx, no)
	}()
}

func walletName(w app.Wallet) string {
	switch w {
	case app.WalletWeChat:
		return i18n.T("wallet.wechat", "微信")
	case app.WalletAlipay:
		return i18n.T("wallet.alipay", "支付宝")
	case app.WalletUnionPay:
		return i18n.T("wallet.unionpay", "云闪付")
	case app.WalletMember:
		return i18n.T("wallet.member", "会员卡")
	}
	return string(w)
}

func stateName(r app.PayResult) string {
	prefix := ""
	if r.Deposit {
		prefix = i18n.T("counter.kind.deposit", "押金") + " "
	}
	switch r.State {
	case app.IntentPaid:
		return prefix + i18n.T("counter.state.paid", "已收款")
	case app.IntentReversed:
		return prefix + i18n.T("counter.state.reversed", "已撤销")
	case app.IntentClosed:
		return prefix + i18n.T("counter.state.closed", "已关闭")
	case app.IntentFailed:
		return prefix + i18n.T("counter.state.failed", "失败")
	case app.IntentManual:
		return prefix + i18n.T("counter.state.manual", "待人工核实")
	}
	return prefix + string(r.State)
}
