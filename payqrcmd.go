package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	qrcode "github.com/skip2/go-qrcode"

	"cashier/app"
	"cashier/app/payment"
	"cashier/app/sale"
	"cashier/ui/i18n"
)

// qrFlags are pay's --qr and --wallet.
type qrFlags struct {
	on     *bool
	wallet *string
}

// qrPay is the rest of pay's command line.
type qrPay struct {
	amount  app.Money
	code    string
	deposit bool
	note    string
	who     staffFlags
	gateway string
}

// testQR sees each code `pos pay --qr` shows: tests play the customer.
var testQR func(s *Services, codeURL string)

// runPayQR is `pos pay --qr --wallet wechat|alipay --amount 12.50`: one
// order the customer pays by scanning a QR code, through the checkout the
// GUI uses. It prints the code (its URL and the code itself) and waits
// until the customer has paid, the code expired, or Ctrl+C — which cancels:
// the order is queried and closed at the channel (a second Ctrl+C stops at
// once and leaves the payment to recovery). Exit codes as `pos pay`.
func (e env) runPayQR(fs *flag.FlagSet, args []string, f qrFlags, p qrPay) int {
	if !*f.on {
		return e.usageErr(fs, "pay", "cli.flag_required", "Flag", "--qr")
	}
	if p.code != "" {
		return e.usageErr(fs, "pay", "cli.pay.qr_and_code")
	}
	if p.deposit {
		return e.usageErr(nil, "pay", "cli.bad_flag", "Flag", "--deposit", "Err", payment.ErrQRDeposit)
	}
	var wallet app.Wallet
	switch strings.ToLower(strings.TrimSpace(*f.wallet)) {
	case "wechat", "weixin", "wx":
		wallet = app.WalletWeChat
	case "alipay", "ali":
		wallet = app.WalletAlipay
	case "":
		return e.usageErr(fs, "pay", "cli.flag_required", "Flag", "--wallet")
	default:
		return e.usageErr(fs, "pay", "cli.pay.qr_wallet", "Wallet", *f.wallet)
	}

	// Ctrl+C must not end the context the payment runs on: the first one
	// cancels the payment (a query, then the channel's close), so the
	// customer cannot pay a code nobody waits for any more.
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sig)
	ctx, hardStop := context.WithCancel(context.Background())
	defer hardStop()
	var ref atomic.Value // the payment's out_trade_no, once written
	var svc atomic.Pointer[Services]
	done := make(chan struct{})
	defer close(done)
	go func() {
		cancelling := false
		for {
			select {
			case <-done:
				return
			case <-sig:
				no, _ := ref.Load().(string)
				s := svc.Load()
				if cancelling || no == "" || s == nil {
					hardStop()
					continue
				}
				cancelling = true
				go func() { _ = s.Checkout.Cancel(ctx, no) }()
			}
		}
	}()

	s, exit := e.openMoney(ctx, "pay", args, p.gateway)
	if s == nil {
		return exit
	}
	defer s.Close()
	svc.Store(s)
	staff, exit, ok := e.loginAs(ctx, s, "pay", i18n.Key("cli.nothing_sent_because"), p.who)
	if !ok {
		return exit
	}
	o, err := s.Checkout.Open(ctx, sale.OrderInput{Staff: staff, Total: p.amount, Note: p.note})
	if err != nil {
		return e.fail("pay", err)
	}
	e.say("cli.pay.qr_start", "Amount", p.amount, "Wallet", app.WalletName(wallet), "Staff", staff.Code, "Name", staff.Name,
		"OrderNo", o.OrderNo)
	onEvent := progress(e.stdout, func(ev payment.Event) {
		if ev.Ref != "" {
			ref.Store(ev.Ref)
		}
		if testEvents != nil {
			testEvents(ev)
		}
	})
	onQR := func(url string, expires time.Time) {
		e.say("cli.pay.qr_show", "Until", expires.Local().Format("15:04:05"))
		fmt.Fprintln(e.stdout, url)
		if q, err := qrcode.New(url, qrcode.Medium); err == nil {
			fmt.Fprint(e.stdout, q.ToSmallString(false))
		}
		if gw, ok := s.ChannelsInfo.Args["URL"].(string); ok && s.SandboxPayQR != nil {
			e.say("cli.pay.qr_sandbox", "Code", url, "URL", gw+"/sandbox/qr/pay")
		}
		e.say("cli.pay.qr_ctrl_c")
		if testQR != nil {
			testQR(s, url)
		}
	}
	out, err := s.Checkout.PayByQR(ctx, o.OrderNo, wallet, 0, staff, onEvent, onQR)
	return e.endTender(ctx, s, o, out, staff, err)
}
