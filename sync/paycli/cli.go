package paycli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"cashier/app"
	"cashier/localdb"
	"cashier/sync/channel"
)

// Env is what the commands take from main (and tests).
type Env struct {
	// Clock drives the state machine and the embedded sandbox. Nil: the
	// system clock.
	Clock app.Clock
	// DataDir resolves the --data-dir value ("" = the default folder).
	// Nil: --data-dir is required.
	DataDir func(flagValue string) (string, error)
	// Policy is the state machine's timing; zero: production timings.
	Policy app.PaymentPolicy
	// HTTP sets the clients' timeouts; zero: the clients' defaults.
	HTTP channel.HTTPSettings
	// Wrap, when set, wraps every channel client (tests use it to watch
	// or interrupt calls).
	Wrap func(app.PaymentChannel) app.PaymentChannel
	// OnEvent, when set, sees every progress event after it is printed.
	OnEvent app.EventFunc
}

func (e Env) clock() app.Clock {
	if e.Clock == nil {
		return app.SystemClock{}
	}
	return e.Clock
}

// gatewayFlags are the flags that choose the payment gateway.
type gatewayFlags struct {
	dataDir    *string
	gateway    *string
	sandboxDir *string
}

func addGatewayFlags(fs *flag.FlagSet) gatewayFlags {
	return gatewayFlags{
		dataDir:    fs.String("data-dir", "", "数据目录 / data folder (default: the per-user data folder)"),
		gateway:    fs.String("gateway", "", "使用已运行的沙箱 / use a sandbox already running at `URL` (pos sandbox --demo DIR); default: the embedded sandbox"),
		sandboxDir: fs.String("sandbox-dir", "", "沙箱演示商户目录 / the sandbox demo `DIR` (default: DATA-DIR/sandbox)"),
	}
}

// session is an open data folder with a running gateway and payments.
type session struct {
	db       *localdb.DB
	payments *app.Payments
	gw       *Gateway
	cancel   context.CancelFunc
}

func (s *session) close() {
	if s.cancel != nil {
		s.cancel()
	}
	if s.gw != nil && s.gw.Server != nil {
		_ = s.gw.Server.Close()
	}
	if s.db != nil {
		_ = s.db.Close()
	}
}

// open opens the data folder (creating the demo data on first use, as the
// app does), starts or finds the sandbox gateway and builds the payments.
func open(ctx context.Context, g gatewayFlags, route map[app.Wallet]app.ChannelName, env Env, stdout io.Writer) (*session, error) {
	dir := *g.dataDir
	if env.DataDir != nil {
		d, err := env.DataDir(dir)
		if err != nil {
			return nil, err
		}
		dir = d
	} else if dir == "" {
		return nil, errors.New("需要 --data-dir / --data-dir is required")
	}
	clock := env.clock()
	db, err := localdb.Open(filepath.Join(dir, "pos.db"))
	if err != nil {
		return nil, err
	}
	s := &session{db: db}
	if _, err := db.SeedDemo(ctx, app.DefaultPINHasher, clock.Now()); err != nil {
		s.close()
		return nil, err
	}
	sbDir := *g.sandboxDir
	if sbDir == "" {
		sbDir = SandboxDir(dir)
	}
	gctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	if *g.gateway != "" {
		s.gw, err = ExternalSandbox(*g.gateway, sbDir)
	} else {
		s.gw, err = StartSandbox(gctx, sbDir, clock)
	}
	if err != nil {
		s.close()
		return nil, fmt.Errorf("沙箱 / sandbox: %w", err)
	}
	where := "内置 / embedded"
	if s.gw.Server == nil {
		where = s.gw.BaseURL
	}
	fmt.Fprintf(stdout, "【沙箱 SANDBOX】%s — 演示商户，不是真钱 / demo merchants, no real money\n", where)
	cfgs := s.gw.Configs(env.HTTP, slog.New(slog.NewTextHandler(io.Discard, nil)))
	cfgs.Route = route
	cfgs.Wrap = env.Wrap
	router, err := BuildChannels(cfgs, clock)
	if err != nil {
		s.close()
		return nil, err
	}
	if s.payments, err = NewPayments(ctx, db, router, cfgs.OrderPrefix, clock, env.Policy); err != nil {
		s.close()
		return nil, err
	}
	return s, nil
}

// printer prints progress events: every step, and while waiting one line
// every 5 seconds. Every event still goes on to next.
func printer(w io.Writer, next app.EventFunc) app.EventFunc {
	last, lastState := "", ""
	lastAt := -1
	return func(e app.PaymentEvent) {
		if next != nil {
			defer next(e)
		}
		same := e.Message == last && e.State == lastState
		if e.Step == app.StepWaiting && same && e.Seconds-lastAt < 5 {
			return
		}
		if same && e.Step != app.StepWaiting && e.ChannelCode == "" && e.ChannelMsg == "" && !e.Final {
			return // the same line again (a state change announced, then its call)
		}
		last, lastState, lastAt = e.Message, e.State, e.Seconds
		said := ""
		if e.ChannelCode != "" || e.ChannelMsg != "" {
			said = fmt.Sprintf("  [%s %s]", e.ChannelCode, e.ChannelMsg)
		}
		fmt.Fprintf(w, "[%3ds] %-10s %s%s\n", e.Seconds, e.State, e.Message, strings.TrimRight(said, " "))
	}
}

func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

// Pay is `pos pay --channel wechat|alipay|cloudpay --code CODE --amount 12.50`:
// one payment (or, with --deposit, a deposit freeze) through the same state
// machine as the cashier screen. It prints each step and the final state
// and exits 0 only when paid; 1 when the payment did not succeed (or could
// not be made); 2 for a bad command line, before anything is written or sent.
func Pay(args []string, stdout, stderr io.Writer, env Env) int {
	fs := flag.NewFlagSet("pos pay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	g := addGatewayFlags(fs)
	chName := fs.String("channel", "", "通道 / channel: wechat | alipay | cloudpay")
	code := fs.String("code", "", "顾客付款码 / the customer's payment `CODE` (18-digit WeChat, 16–24-digit Alipay, 99… member card)")
	amountS := fs.String("amount", "", "金额（元）/ amount in yuan, e.g. 12.50")
	deposit := fs.Bool("deposit", false, "押金（预授权冻结）/ take a deposit (freeze) instead of a sale")
	staffCode := fs.String("staff", "", "收银员工号 / staff `CODE` the order is taken by (default: the store manager)")
	subject := fs.String("subject", "", "商品描述 / description shown in the customer's wallet (default: the store name)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "用法 / usage: pos pay --channel wechat|alipay|cloudpay --code CODE --amount 12.50 [--deposit] [--staff CODE] [--data-dir DIR] [--gateway URL]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	bad := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "pos pay: "+format+"\n", a...)
		fmt.Fprintln(stderr, "未发送任何请求 / nothing was sent.")
		return 2
	}
	if fs.NArg() > 0 {
		return bad("多余的参数 / unexpected argument %q", fs.Arg(0))
	}
	ch := app.ChannelName(*chName)
	if WalletsOf(ch) == nil {
		return bad("--channel 须为 wechat、alipay 或 cloudpay / --channel must be wechat, alipay or cloudpay (got %q)", *chName)
	}
	if *amountS == "" {
		return bad("需要 --amount / --amount is required")
	}
	amount, err := app.ParsePositiveMoney(*amountS)
	if err != nil {
		return bad("--amount %q: %v", *amountS, err)
	}
	wallet, _, err := app.ClassifyCode(*code)
	if err != nil {
		return bad("--code: %v", err)
	}
	if !takes(ch, wallet) {
		return bad("%v", &app.ChannelNotConfiguredError{Wallet: wallet})
	}

	ctx, stop := signalContext()
	defer stop()
	s, err := open(ctx, g, RouteAllTo(ch), env, stdout)
	if err != nil {
		fmt.Fprintf(stderr, "pos pay: %v\n", err)
		return 1
	}
	defer s.close()
	staff, err := s.staff(ctx, *staffCode)
	if err != nil {
		fmt.Fprintf(stderr, "pos pay: %v\n", err)
		return 1
	}
	kind := "收款 / payment"
	if *deposit {
		kind = "押金 / deposit"
	}
	fmt.Fprintf(stdout, "%s %s  %s  %s  付款码 / code %s  收银员 / staff %s %s\n", kind, amount.Display(), ch,
		app.WalletName(wallet), app.MaskCode(*code), staff.Code, staff.Name)
	res, err := s.payments.Pay(ctx, app.PayInput{
		Order: app.Order{StaffID: staff.ID}, Code: *code, Amount: amount, Deposit: *deposit,
		Subject: *subject, StaffCode: staff.Code, OnEvent: printer(stdout, env.OnEvent),
	})
	if res.OutTradeNo != "" {
		fmt.Fprintf(stdout, "最终状态 / final state: %s\n", res.State)
		fmt.Fprintf(stdout, "订单号 / order: %s\n", res.OrderNo)
		fmt.Fprintf(stdout, "金额 / amount: %s\n", res.Amount.Display())
		if res.TransactionID != "" {
			fmt.Fprintf(stdout, "通道交易号 / transaction: %s\n", res.TransactionID)
		}
		fmt.Fprintf(stdout, "%s\n", res.Message)
	}
	if err != nil {
		fmt.Fprintf(stderr, "pos pay: %v\n", err)
		return 1
	}
	if res.Paid() {
		return 0
	}
	return 1
}

// takes tells whether channel ch can take a wallet's codes.
func takes(ch app.ChannelName, w app.Wallet) bool {
	for _, x := range WalletsOf(ch) {
		if x == w {
			return true
		}
	}
	return false
}

func (s *session) staff(ctx context.Context, code string) (app.Staff, error) {
	if code != "" {
		st, _, err := s.db.StaffByCode(ctx, code)
		return st, err
	}
	store, err := s.db.CurrentStore(ctx)
	if err != nil {
		return app.Staff{}, err
	}
	list, err := s.db.ListStaff(ctx, store.ID)
	if err != nil {
		return app.Staff{}, err
	}
	for _, st := range list {
		if st.Role == app.RoleManager && !st.Disabled {
			return st, nil
		}
	}
	if len(list) > 0 {
		return list[0], nil
	}
	return app.Staff{}, errors.New("门店没有员工 / the store has no staff; use --staff")
}

// Refund is `pos refund --order N --amount X --staff CODE --pin PIN`: a
// refund through the same state machine and permission rule as the cashier
// screen (the person logs in with their PIN). It exits 0 only when the
// money went back; 1 otherwise; 2 for a bad command line.
func Refund(args []string, stdout, stderr io.Writer, env Env) int {
	fs := flag.NewFlagSet("pos refund", flag.ContinueOnError)
	fs.SetOutput(stderr)
	g := addGatewayFlags(fs)
	orderNo := fs.String("order", "", "订单号 / the order `NUMBER` (on the receipt)")
	amountS := fs.String("amount", "", "退款金额（元）/ refund amount in yuan")
	staffCode := fs.String("staff", "", "操作员工号 / staff `CODE` who refunds (needs the refund permission)")
	pin := fs.String("pin", "", "操作员密码 / that person's PIN (or set POS_PIN, which other users cannot see in the process list)")
	reason := fs.String("reason", "", "退款原因 / reason")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "用法 / usage: pos refund --order N --amount X --staff CODE (--pin PIN | env POS_PIN) [--reason TEXT] [--data-dir DIR] [--gateway URL]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	bad := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "pos refund: "+format+"\n", a...)
		fmt.Fprintln(stderr, "未发送任何请求 / nothing was sent.")
		return 2
	}
	if fs.NArg() > 0 {
		return bad("多余的参数 / unexpected argument %q", fs.Arg(0))
	}
	if strings.TrimSpace(*orderNo) == "" {
		return bad("需要 --order / --order is required")
	}
	if *amountS == "" {
		return bad("需要 --amount / --amount is required")
	}
	amount, err := app.ParsePositiveMoney(*amountS)
	if err != nil {
		return bad("--amount %q: %v", *amountS, err)
	}
	if *pin == "" {
		*pin = os.Getenv("POS_PIN")
	}
	if *staffCode == "" || *pin == "" {
		return bad("需要 --staff 和 --pin（退款须登录）/ --staff and --pin are required (a refund needs a login)")
	}
	ctx, stop := signalContext()
	defer stop()
	s, err := open(ctx, g, nil, env, stdout)
	if err != nil {
		fmt.Fprintf(stderr, "pos refund: %v\n", err)
		return 1
	}
	defer s.close()
	auth := app.Auth{Store: s.db, Clock: env.clock(), Hasher: app.DefaultPINHasher}
	staff, err := auth.Login(ctx, *staffCode, *pin)
	if err != nil {
		fmt.Fprintf(stderr, "pos refund: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "退款 / refund %s  订单 / order %s  操作员 / staff %s %s\n", amount.Display(), *orderNo, staff.Code, staff.Name)
	res, err := s.payments.Refund(ctx, app.RefundInput{OrderNo: strings.TrimSpace(*orderNo), Amount: amount, Staff: staff,
		Reason: *reason, OnEvent: printer(stdout, env.OnEvent)})
	if res.OutRefundNo != "" {
		fmt.Fprintf(stdout, "最终状态 / final state: %s\n", res.State)
		fmt.Fprintf(stdout, "退款单号 / refund number: %s\n", res.OutRefundNo)
		fmt.Fprintf(stdout, "金额 / amount: %s\n", res.Amount.Display())
		if res.RefundID != "" {
			fmt.Fprintf(stdout, "通道退款号 / channel refund id: %s\n", res.RefundID)
		}
		fmt.Fprintf(stdout, "%s\n", res.Message)
	}
	if err != nil {
		fmt.Fprintf(stderr, "pos refund: %v\n", err)
		return 1
	}
	if res.Refunded() {
		return 0
	}
	return 1
}

// Recover is `pos payments recover`: settle every payment, refund and
// deposit operation left open (what the app does at start-up) and print
// each. Exit 0 when nothing is left open (manual ones count as open).
func Recover(args []string, stdout, stderr io.Writer, env Env) int {
	fs := flag.NewFlagSet("pos payments recover", flag.ContinueOnError)
	fs.SetOutput(stderr)
	g := addGatewayFlags(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	ctx, stop := signalContext()
	defer stop()
	s, err := open(ctx, g, nil, env, stdout)
	if err != nil {
		fmt.Fprintf(stderr, "pos payments recover: %v\n", err)
		return 1
	}
	defer s.close()
	start := time.Now()
	rep, err := s.payments.Recover(ctx)
	for _, p := range rep.Payments {
		fmt.Fprintf(stdout, "支付 / payment %s  %s  %s  %s\n", p.OutTradeNo, p.Amount.Display(), p.State, p.Message)
	}
	for _, r := range rep.Refunds {
		fmt.Fprintf(stdout, "退款 / refund %s  %s  %s  %s\n", r.OutRefundNo, r.Amount.Display(), r.State, r.Message)
	}
	for _, o := range rep.DepositOps {
		fmt.Fprintf(stdout, "押金 / deposit %s %s  %s  %s  %s\n", o.Kind, o.OutRequestNo, o.Amount.Display(), o.State, o.Message)
	}
	for _, e := range rep.Errors {
		fmt.Fprintf(stderr, "pos payments recover: %v\n", e)
	}
	fmt.Fprintf(stdout, "共 %d 笔，未结束 %d 笔，用时 %s / %d items, %d still open, took %s\n",
		len(rep.Payments)+len(rep.Refunds)+len(rep.DepositOps), rep.Unsettled(), time.Since(start).Round(time.Millisecond),
		len(rep.Payments)+len(rep.Refunds)+len(rep.DepositOps), rep.Unsettled(), time.Since(start).Round(time.Millisecond))
	if err != nil {
		fmt.Fprintf(stderr, "pos payments recover: %v\n", err)
		return 1
	}
	if rep.Unsettled() > 0 {
		return 1
	}
	return 0
}
