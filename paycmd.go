package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"cashier/app"
	"cashier/app/payment"
	"cashier/app/sale"
	"cashier/localdb"
	"cashier/ui/i18n"
)

// testOptions lets the root package's tests put a manual clock, short
// timings or a call-watching wrapper under the money commands.
var testOptions func(*Options)

// openMoney opens the data folder for a command that moves money: its
// lock, the channels the GUI would use, the payment state machine.
func (e env) openMoney(ctx context.Context, cmd string, args []string, gateway string) (*Services, int) {
	s, code := e.open(ctx, cmd, args, Options{Lock: true, Seed: true, Payments: true, Gateway: gateway})
	if s == nil {
		return nil, code
	}
	if code := e.start(ctx, cmd, s); code != exitOK {
		return nil, code
	}
	if s.Sandbox {
		e.say("cli.sandbox_banner", "Where", s.ChannelsInfo)
	}
	return s, exitOK
}

// staffFlags are --staff and --pin: the person a command acts for.
type staffFlags struct{ code, pin *string }

func addStaffFlags(fs *flag.FlagSet) staffFlags {
	return staffFlags{code: fs.String("staff", "", i18n.T("cli.flag.staff")), pin: fs.String("pin", "", i18n.T("cli.flag.pin"))}
}

// addMoneyFlags adds the flags of every command that moves money: the person
// and the test override --gateway.
func addMoneyFlags(fs *flag.FlagSet) (staffFlags, *string) {
	return addStaffFlags(fs), fs.String("gateway", "", i18n.T("cli.flag.gateway"))
}

// ErrStaffNeeded: a money command needs --staff (and a PIN) on a live
// folder.
var (
	ErrStaffNeeded = app.NewError("cli.staff_needed")
	ErrPINNeeded   = app.NewError("cli.pin_needed")
)

// login checks --staff and its PIN (--pin or POS_PIN). On a demo folder
// the demo manager is the default.
func (e env) login(ctx context.Context, s *Services, code, pin string) (app.Staff, error) {
	if pin == "" {
		pin = os.Getenv("POS_PIN")
	}
	if code == "" && s.Demo {
		for _, d := range localdb.DemoStaff {
			if d.Role == app.RoleManager {
				code, pin = d.Code, d.PIN
				break
			}
		}
	}
	if code == "" {
		return app.Staff{}, ErrStaffNeeded
	}
	if pin == "" {
		return app.Staff{}, ErrPINNeeded.With("Staff", code)
	}
	return s.Auth.Login(ctx, code, pin)
}

// loginAs logs the person of f in for cmd. A missing staff number or PIN
// is a usage error (refusedKey says what was not done); a refused login
// fails the command. ok is false when the command must end with code.
func (e env) loginAs(ctx context.Context, s *Services, cmd, refusedKey string, f staffFlags) (staff app.Staff, code int, ok bool) {
	staff, err := e.login(ctx, s, *f.code, *f.pin)
	switch {
	case errors.Is(err, ErrStaffNeeded) || errors.Is(err, ErrPINNeeded):
		return app.Staff{}, e.usageErr(nil, cmd, refusedKey, "Err", err), false
	case err != nil:
		return app.Staff{}, e.fail(cmd, err), false
	}
	return staff, exitOK, true
}

// openAs opens the set-up data folder for cmd (with its lock), logs the
// person in and starts what o asks for: the steps every command that acts
// as a person takes. s is nil when the command must end with code; on
// success the caller closes s.
func (e env) openAs(ctx context.Context, cmd string, args []string, o Options, who staffFlags) (s *Services, staff app.Staff, code int) {
	o.Lock = true
	s, code = e.open(ctx, cmd, args, o)
	if s == nil {
		return nil, app.Staff{}, code
	}
	if err := s.NeedConfigured(ctx); err != nil {
		s.Close()
		return nil, app.Staff{}, e.fail(cmd, err)
	}
	staff, code, ok := e.loginAs(ctx, s, cmd, i18n.Key("cli.nothing_done_because"), who)
	if !ok {
		s.Close()
		return nil, app.Staff{}, code
	}
	if code := e.start(ctx, cmd, s); code != exitOK {
		return nil, app.Staff{}, code // start closed s
	}
	return s, staff, exitOK
}

// result is what a money command prints of its outcome, in this order:
// the final state, our numbers, the amount, the channel's number (when it
// gave one) and the outcome in words.
type result struct {
	State   string
	Numbers []app.Message
	Amount  app.Money
	Channel app.Message // zero: none
	Msg     app.Message
}

func (e env) sayResult(r result) {
	e.say("cli.pay.final", "State", r.State)
	for _, n := range r.Numbers {
		fmt.Fprintln(e.stdout, i18n.M(n))
	}
	e.say("cli.pay.amount", "Amount", r.Amount)
	if r.Channel.Code != "" {
		fmt.Fprintln(e.stdout, i18n.M(r.Channel))
	}
	fmt.Fprintln(e.stdout, i18n.M(r.Msg))
}

// progress prints payment events: every step, and while waiting one line
// every 5 seconds. Every event still goes on to next.
func progress(w io.Writer, next payment.EventFunc) payment.EventFunc {
	last, lastState := "", ""
	lastAt := -1
	return func(ev payment.Event) {
		if next != nil {
			defer next(ev)
		}
		msg := i18n.M(ev.Msg)
		same := msg == last && ev.State == lastState
		if ev.Step == payment.StepWaiting && same && ev.Seconds-lastAt < 5 {
			return
		}
		if same && ev.Step != payment.StepWaiting && ev.ChannelCode == "" && ev.ChannelMsg == "" && !ev.Final {
			return // the same line again (a state change announced, then its call)
		}
		last, lastState, lastAt = msg, ev.State, ev.Seconds
		said := ""
		if ev.ChannelCode != "" || ev.ChannelMsg != "" {
			said = strings.TrimRight(fmt.Sprintf("  [%s %s]", ev.ChannelCode, ev.ChannelMsg), " ")
		}
		fmt.Fprintf(w, "[%3ds] %-10s %s%s\n", ev.Seconds, ev.State, msg, said)
	}
}

// testEvents sees every progress event the commands print (tests).
var testEvents payment.EventFunc

func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

// runPay is `pos pay --code CODE --amount 12.50 [--deposit]`: one order
// paid by one wallet tender through exactly the checkout and channels the
// GUI uses. It exits 0 only when paid; 1 when it was not (the order is
// then voided, nothing is left half-done); 2 for a bad command line,
// before anything is written or sent.
func runPay(e env, args []string) int {
	fs := e.newFlags("pay", "cli.pay.usage")
	code := fs.String("code", "", i18n.T("cli.flag.code"))
	amountS := fs.String("amount", "", i18n.T("cli.flag.amount"))
	deposit := fs.Bool("deposit", false, i18n.T("cli.flag.deposit"))
	note := fs.String("note", "", i18n.T("cli.flag.note"))
	guest := app.Guest{}
	fs.StringVar(&guest.Room, "room", "", i18n.T("cli.flag.guest_room"))
	fs.StringVar(&guest.Name, "guest", "", i18n.T("cli.flag.guest_name"))
	fs.StringVar(&guest.Phone, "phone", "", i18n.T("cli.flag.guest_phone"))
	qr := qrFlags{on: fs.Bool("qr", false, i18n.T("cli.flag.qr")), wallet: fs.String("wallet", "", i18n.T("cli.flag.wallet"))}
	who, gateway := addMoneyFlags(fs)
	pos, exit, ok := parseFlags(fs, args)
	if !ok {
		return exit
	}
	if len(pos) > 0 {
		return e.usageErr(fs, "pay", "cli.unexpected_arg", "Arg", pos[0])
	}
	if *amountS == "" {
		return e.usageErr(fs, "pay", "cli.flag_required", "Flag", "--amount")
	}
	if !guest.Empty() && !*deposit {
		return e.usageErr(fs, "pay", "cli.pay.guest_needs_deposit")
	}
	if err := guest.Check(); err != nil {
		return e.usageErr(nil, "pay", "cli.nothing_sent_because", "Err", i18n.Err(err))
	}
	amount, err := app.ParsePositiveMoney(*amountS)
	if err != nil {
		return e.usageErr(nil, "pay", "cli.bad_flag", "Flag", "--amount", "Err", err)
	}
	if *qr.on || *qr.wallet != "" {
		return e.runPayQR(fs, args, qr, qrPay{amount: amount, code: *code, deposit: *deposit, note: *note, who: who, gateway: *gateway})
	}
	wallet, _, err := app.ClassifyCode(*code)
	if err != nil {
		return e.usageErr(nil, "pay", "cli.bad_flag", "Flag", "--code", "Err", err)
	}
	if wallet == app.WalletMember {
		return e.usageErr(nil, "pay", "cli.bad_flag", "Flag", "--code", "Err", payment.ErrMemberNotSetUp)
	}
	ctx, stop := signalContext()
	defer stop()
	s, exit := e.openMoney(ctx, "pay", args, *gateway)
	if s == nil {
		return exit
	}
	defer s.Close()
	staff, exit, ok := e.loginAs(ctx, s, "pay", i18n.Key("cli.nothing_sent_because"), who)
	if !ok {
		return exit
	}
	o, err := s.Checkout.Open(ctx, sale.OrderInput{Staff: staff, Deposit: *deposit, Total: amount, Note: *note, Guest: guest})
	if err != nil {
		return e.fail("pay", err)
	}
	e.say("cli.pay.start", "Kind", kindMsg(*deposit), "Amount", amount, "Wallet", app.WalletName(wallet),
		"Code", app.MaskCode(*code), "Staff", staff.Code, "Name", staff.Name, "OrderNo", o.OrderNo)
	out, err := s.Checkout.PayByCode(ctx, o.OrderNo, *code, 0, staff, progress(e.stdout, testEvents))
	return e.endTender(ctx, s, o, out, staff, err)
}

// endTender reports a command's one tender on order o and, when it did not
// get the order paid, gives the order up — unless its payment is still
// unsettled (manual: a person checks, and the final state says so).
func (e env) endTender(ctx context.Context, s *Services, o app.Order, out sale.Outcome, staff app.Staff, err error) int {
	res := out.Payment
	if res.OutTradeNo != "" {
		r := result{State: string(res.State), Amount: res.Amount, Msg: res.Msg, Numbers: []app.Message{
			app.Msg("cli.pay.order", "OrderNo", o.OrderNo, "Short", app.ShortNo(o.OrderNo)),
			app.Msg("cli.pay.out_trade_no", "No", res.OutTradeNo)}}
		if res.TransactionID != "" {
			r.Channel = app.Msg("cli.pay.transaction", "Txn", res.TransactionID)
		}
		e.sayResult(r)
	}
	if out.Paid() {
		return exitOK
	}
	if _, verr := s.Checkout.Void(context.WithoutCancel(ctx), o.OrderNo, staff); verr == nil {
		e.say("cli.pay.voided", "OrderNo", o.OrderNo)
	} else if res.State != payment.IntentManual {
		fmt.Fprintf(e.stderr, "pos pay: %s\n", i18n.T("cli.pay.void_failed", "OrderNo", o.OrderNo, "Err", verr))
	}
	if err != nil {
		return e.fail("pay", err)
	}
	return exitFailed
}

func kindMsg(deposit bool) app.Message {
	if deposit {
		return app.Msg("kind.deposit")
	}
	return app.Msg("kind.sale")
}

// runRefund is `pos refund --order N --amount X --staff NO`: a refund
// through the same state machine and permission rules as the screen. It
// exits 0 only when the money went back; 1 otherwise; 2 for a bad command
// line.
func runRefund(e env, args []string) int {
	fs := e.newFlags("refund", "cli.refund.usage")
	orderNo := fs.String("order", "", i18n.T("cli.flag.order"))
	tender := fs.String("tender", "", i18n.T("cli.flag.tender"))
	amountS := fs.String("amount", "", i18n.T("cli.flag.refund_amount"))
	reason := fs.String("reason", "", i18n.T("cli.flag.reason"))
	who, gateway := addMoneyFlags(fs)
	pos, exit, ok := parseFlags(fs, args)
	if !ok {
		return exit
	}
	if len(pos) > 0 {
		return e.usageErr(fs, "refund", "cli.unexpected_arg", "Arg", pos[0])
	}
	if strings.TrimSpace(*orderNo) == "" {
		return e.usageErr(fs, "refund", "cli.flag_required", "Flag", "--order")
	}
	if *amountS == "" {
		return e.usageErr(fs, "refund", "cli.flag_required", "Flag", "--amount")
	}
	amount, err := app.ParsePositiveMoney(*amountS)
	if err != nil {
		return e.usageErr(nil, "refund", "cli.bad_flag", "Flag", "--amount", "Err", err)
	}
	ctx, stop := signalContext()
	defer stop()
	s, exit := e.openMoney(ctx, "refund", args, *gateway)
	if s == nil {
		return exit
	}
	defer s.Close()
	staff, exit, ok := e.loginAs(ctx, s, "refund", i18n.Key("cli.nothing_sent_because"), who)
	if !ok {
		return exit
	}
	e.say("cli.refund.start", "Amount", amount, "OrderNo", *orderNo, "Staff", staff.Code, "Name", staff.Name)
	res, err := s.Payments.Refund(ctx, payment.RefundInput{OrderNo: strings.TrimSpace(*orderNo), OutTradeNo: *tender,
		Amount: amount, StaffID: staff.ID, Reason: *reason, OnEvent: progress(e.stdout, testEvents)})
	if res.OutRefundNo != "" {
		r := result{State: string(res.State), Amount: res.Amount, Msg: res.Msg,
			Numbers: []app.Message{app.Msg("cli.refund.no", "No", res.OutRefundNo)}}
		if res.RefundID != "" {
			r.Channel = app.Msg("cli.refund.channel_id", "ID", res.RefundID)
		}
		e.sayResult(r)
	}
	if err != nil {
		return e.fail("refund", err)
	}
	if res.Refunded() {
		return exitOK
	}
	return exitFailed
}

// runPayments is `pos payments recover`: settle every payment, refund and
// deposit operation left open (what the app does at start-up and every
// few minutes) and print each. Exit 0 when nothing is left open (manual
// ones count as open).
func runPayments(e env, args []string) int {
	fs := e.newFlags("payments", "cli.payments.usage")
	gateway := fs.String("gateway", "", i18n.T("cli.flag.gateway"))
	pos, exit, ok := parseFlags(fs, args)
	if !ok {
		return exit
	}
	if len(pos) != 1 || pos[0] != "recover" {
		fs.Usage()
		return exitUsage
	}
	ctx, stop := signalContext()
	defer stop()
	s, exit := e.openMoney(ctx, "payments", args, *gateway)
	if s == nil {
		return exit
	}
	defer s.Close()
	start := time.Now()
	rep, err := s.Payments.Recover(ctx)
	for _, p := range rep.Payments {
		e.say("cli.recover.payment", "No", p.OutTradeNo, "Amount", p.Amount, "State", string(p.State), "Msg", p.Msg)
	}
	for _, r := range rep.Refunds {
		e.say("cli.recover.refund", "No", r.OutRefundNo, "Amount", r.Amount, "State", string(r.State), "Msg", r.Msg)
	}
	for _, o := range rep.DepositOps {
		e.say("cli.recover.deposit", "Kind", string(o.Kind), "No", o.OutRequestNo, "Amount", o.Amount, "State", string(o.State), "Msg", o.Msg)
	}
	for _, err := range rep.Errors {
		fmt.Fprintf(e.stderr, "pos payments recover: %s\n", i18n.Err(err))
	}
	n := len(rep.Payments) + len(rep.Refunds) + len(rep.DepositOps)
	e.say("cli.recover.total", "N", n, "Open", rep.Unsettled(), "Took", time.Since(start).Round(time.Millisecond).String())
	if err != nil {
		return e.fail("payments", err)
	}
	if rep.Unsettled() > 0 {
		return exitFailed
	}
	return exitOK
}
