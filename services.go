package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"cashier/app"
	"cashier/app/auth"
	"cashier/app/cabinet"
	"cashier/app/catalog"
	"cashier/app/deposit"
	"cashier/app/jobs"
	"cashier/app/payment"
	"cashier/app/report"
	"cashier/app/sale"
	"cashier/app/settings"
	"cashier/app/shift"
	"cashier/app/staff"
	"cashier/app/summary"
	"cashier/localdb"
	"cashier/sync/channel"
	"cashier/sync/channel/setup"
	"cashier/ui/custdisplay"
	"cashier/ui/i18n"
)

// Options say what a caller (the GUI or one command) needs from a data
// folder. Everything is built by Open and Start here and nowhere else.
type Options struct {
	DataDir string
	// Command names the caller in the lock file ("gui", "pay" ...).
	Command string
	// Lock takes the folder's exclusive lock: the GUI and every command
	// that can change money, devices or schema. Without it the database is
	// opened as it is (no migration, no demo data).
	Lock bool
	// Seed puts demo data into a new folder that has no channels.json
	// (the embedded default). A folder with channels.json is set up by
	// `pos init` or the first-start form instead.
	Seed bool
	// What Start builds.
	Payments bool // channels, payments, the checkout
	Devices  bool // printer, speaker, scanners, lock boards
	// Cabinet: the lock boards and the cabinet service alone, without the
	// printer, its queue or the speaker (pos devices unlock). Devices
	// includes it.
	Cabinet bool
	Jobs    bool // recovery of unfinished payments now and on a schedule

	Clock app.Clock
	// Log receives device and job problems (the GUI's stderr); nil: discard.
	Log io.Writer

	// Test overrides.
	HTTP    channel.HTTPSettings
	Wrap    func(app.PaymentChannel) app.PaymentChannel
	Gateway string // an already running sandbox (pos sandbox --demo); refused with channels.json
}

// Services are the long-lived services of one data folder.
type Services struct {
	Dir     string
	opts    Options
	lock    *localdb.DirLock
	DB      *localdb.DB
	Clock   app.Clock
	Signals *app.Signals
	Demo    bool // the folder holds demo data (demo PINs may be shown)

	// Channels: from channels.json when it exists, else the embedded
	// sandbox. ChannelsInfo says which, for About and the CLI.
	Channels     *channel.Channels
	Sandbox      bool
	ChannelsInfo app.Message
	// SandboxPayQR is "the customer" scanning a payment QR code (its code
	// URL) and paying it, when the sandbox this process runs takes the
	// payments: the customer display's demo button and `pos pay --qr`'s
	// hint. Nil with live channels or a sandbox in another process.
	SandboxPayQR func(codeURL string) error

	Auth     *auth.Auth
	Permits  auth.Rules // shares Auth's override registry: an approval is used up by the next check
	Staff    staff.Service
	Settings settings.Service
	Catalog  catalog.Service
	Payments *payment.Payments
	Checkout *sale.Checkout
	Refunds  *sale.Refunds
	Holds    *sale.Holds   // held carts (挂单/取单), with or without payments
	Desk     *deposit.Desk // the hotel deposit desk (押金台); nil without payments
	Reports  *report.Service
	Shifts   *shift.Service
	Cabinet  *cabinet.Service // nil without a lock line
	// CustomerDisplay is the second window facing the customer (顾客屏),
	// made by the GUI (nil elsewhere) and driven by the Counter; its
	// window is open only while this terminal's setting says so, and its
	// methods take a nil display quietly.
	CustomerDisplay *custdisplay.Window

	Devices *Devices
	// Jobs are the scheduled jobs (Settings → 定时任务, pos jobs): started
	// with Options.Jobs; loaded without running by pos jobs list.
	Jobs *jobs.Registry
	// Sync is this terminal's side of the back office: enrolment, the push
	// and pull runs (the jobs, 立即同步, pos sync), their last results.
	Sync *backofficeSync
	// DemoBackoffice is the address of the demo folder's embedded back
	// office ("" when this process runs none).
	DemoBackoffice string

	// ctx lives until Close; everything started in the background
	// (devices' watchers, the sandbox, jobs) ends with it.
	ctx     context.Context
	cancel  context.CancelFunc
	closers []func()
}

// Errors of opening a data folder.
var (
	ErrNotSetUp       = app.NewError("setup.needed")
	ErrGatewayRefused = app.NewError("channels.gateway_refused")
)

func (s *Services) onClose(f func()) { s.closers = append(s.closers, f) }

// Close stops everything Open and Start started: first the context that
// background work runs under, then each service, last started first (the
// scheduler and the jobs before the devices, the database and the lock).
func (s *Services) Close() {
	if s.cancel != nil {
		s.cancel()
	}
	for i := len(s.closers) - 1; i >= 0; i-- {
		s.closers[i]()
	}
	s.closers = nil
}

// ChannelsFile is the channels.json of the data folder.
func (s *Services) ChannelsFile() string { return filepath.Join(s.Dir, setup.FileName) }

func (s *Services) log() io.Writer {
	if s.opts.Log == nil {
		return io.Discard
	}
	return s.opts.Log
}

// Open opens a data folder: its lock (when asked), its database and, on a
// new folder without channels.json, the demo data (when asked).
func Open(ctx context.Context, o Options) (_ *Services, err error) {
	if o.Clock == nil {
		o.Clock = app.SystemClock{}
	}
	s := &Services{Dir: o.DataDir, opts: o, Clock: o.Clock, Signals: app.NewSignals()}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	if o.Lock {
		if s.lock, err = localdb.LockDir(o.DataDir, o.Command); err != nil {
			return nil, err
		}
		s.onClose(func() { _ = s.lock.Release() })
		s.DB, err = localdb.OpenContext(ctx, dbPath(o.DataDir))
	} else {
		s.DB, err = localdb.OpenExisting(dbPath(o.DataDir))
	}
	if err != nil {
		return nil, err
	}
	s.onClose(func() { _ = s.DB.Close() })
	_, statErr := os.Stat(s.ChannelsFile())
	if o.Seed && o.Lock && errors.Is(statErr, os.ErrNotExist) {
		if _, err := s.DB.SeedDemo(ctx, auth.DefaultPINHasher, o.Clock.Now()); err != nil {
			return nil, err
		}
	}
	s.Demo = s.DB.IsDemo(ctx)
	overrides := auth.NewOverrides(o.Clock)
	s.Permits = auth.Rules{Store: s.DB, Overrides: overrides}
	s.Auth = &auth.Auth{Store: s.DB, Clock: o.Clock, Hasher: auth.DefaultPINHasher, Overrides: overrides}
	s.Staff = staff.Service{Store: s.DB, Clock: o.Clock, Hasher: auth.DefaultPINHasher}
	s.Settings = settings.Service{Store: s.DB, Permits: s.Permits, Signals: s.Signals}
	s.Catalog = catalog.Service{Store: s.DB, Permits: s.Permits, Clock: o.Clock}
	s.Sync = &backofficeSync{db: s.DB, clock: o.Clock, permits: &s.Permits, signals: s.Signals, running: make(chan struct{}, 1),
		push: pushOutbox(s.DB), pull: pullMaster(s.DB)}
	// The status bar and Settings → 后台同步 count the products still
	// waiting for their search terms after a first pull.
	s.DB.OnSearchIndex(s.Sync.changed)
	return s, nil
}

// Configured reports whether the folder has a store and terminal; an
// error is a database that could not be read, not a folder to set up.
func (s *Services) Configured(ctx context.Context) (bool, error) {
	return s.DB.Configured(ctx)
}

// NeedConfigured fails with ErrNotSetUp on a folder that is not set up
// (or with the error that kept it from finding out).
func (s *Services) NeedConfigured(ctx context.Context) error {
	ok, err := s.Configured(ctx)
	if err == nil && !ok {
		err = ErrNotSetUp.With("Dir", s.Dir)
	}
	return err
}

// Start builds what the options ask for on a set-up folder.
func (s *Services) Start(ctx context.Context) error {
	if err := s.NeedConfigured(ctx); err != nil {
		return err
	}
	if s.opts.Payments {
		if err := s.startPayments(ctx); err != nil {
			return err
		}
	}
	if s.opts.Devices || s.opts.Cabinet {
		d, err := startDevices(s.ctx, s.DB, s.Clock, s.log(), !s.opts.Devices)
		if err != nil {
			return err
		}
		s.Devices = d
		s.onClose(d.Close)
		if d.locks != nil {
			s.Cabinet = &cabinet.Service{Locks: d, Permits: s.Permits, Audit: s.DB, Clock: s.Clock}
		}
	}
	if s.opts.Payments {
		s.Checkout = &sale.Checkout{Store: s.DB, Payments: s.Payments, Terminal: s.DB, Permits: s.Permits,
			Clock: s.Clock, Signals: s.Signals,
			OnDeviceError: func(what string, err error) {
				fmt.Fprintf(s.log(), "%s: %v\n", what, err)
			}}
		if s.Devices != nil {
			s.Checkout.Printer, s.Checkout.Announcer = s.Devices, s.Devices
			if s.Devices.HasDrawer() { // no ESC p to a printer without a drawer
				s.Checkout.Drawer = s.Devices
			}
		}
		s.Desk = &deposit.Desk{Checkout: s.Checkout, Store: s.DB, Ops: s.Payments, Terminal: s.DB,
			Clock: s.Clock, Signals: s.Signals, OnDeviceError: s.Checkout.OnDeviceError}
		if s.Devices != nil && s.Devices.queue != nil {
			s.Desk.Printer = s.Devices
		}
	}
	s.Reports = &report.Service{Store: s.DB, People: s.DB, Shifts: s.DB}
	s.Holds = &sale.Holds{Store: s.DB, Permits: s.Permits, Clock: s.Clock, Signals: s.Signals, Terminal: s.DB}
	s.startRefunds()
	s.Shifts = &shift.Service{Store: s.DB.ShiftStore(), Summary: summary.Engine{Store: s.DB}, Verifier: s.Auth,
		Permits: s.Permits, Signals: s.Signals, Clock: s.Clock, Terminal: s.DB, Thresholds: s.Settings,
		OnDeviceError: func(what string, err error) {
			fmt.Fprintf(s.log(), "%s: %v\n", what, err)
		}}
	if s.Devices != nil && s.Devices.queue != nil {
		s.Shifts.Printer = s.Devices
	}
	if s.opts.Jobs && s.Payments != nil {
		if err := s.startJobs(ctx); err != nil {
			return err
		}
	}
	return nil
}

// startPayments builds the channels (channels.json, else the embedded
// sandbox) and the payment state machine.
func (s *Services) startPayments(ctx context.Context) error {
	logger := slog.New(slog.NewTextHandler(s.log(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	var st setup.Settings
	var prefix string // the channels' order-number prefix
	file, err := setup.LoadFile(s.ChannelsFile())
	switch {
	case err == nil:
		if s.opts.Gateway != "" {
			return ErrGatewayRefused.With("File", s.ChannelsFile())
		}
		st = file.Settings()
		prefix = file.Prefix()
		s.Sandbox = file.Sandbox
		s.ChannelsInfo = app.Msg("channels.live", "File", s.ChannelsFile())
		if file.Sandbox {
			s.ChannelsInfo = app.Msg("channels.file_sandbox", "File", s.ChannelsFile())
		}
	case errors.Is(err, os.ErrNotExist):
		var gw *Gateway
		if s.opts.Gateway != "" {
			gw, err = ExternalSandbox(s.opts.Gateway, SandboxDir(s.Dir))
		} else {
			gw, err = StartSandbox(s.ctx, SandboxDir(s.Dir), s.Clock)
		}
		if err != nil {
			return ErrSandbox.Wrap(err)
		}
		if gw.Server != nil {
			s.onClose(func() { _ = gw.Server.Close() })
			s.SandboxPayQR = gw.Server.PayQR
		}
		file = gw.File()
		st = file.Settings()
		prefix = file.Prefix()
		s.Sandbox = true
		s.ChannelsInfo = app.Msg("channels.embedded", "URL", gw.BaseURL)
	default:
		return err
	}
	applyOverrides(&st, s.opts.HTTP, logger)
	router, err := setup.Build(st, s.Clock)
	if err != nil {
		field, reason := "", err.Error()
		var se *setup.SettingError
		if errors.As(err, &se) {
			field, reason = se.Field, se.Err.Error()
		}
		return setup.ErrFile.With("File", s.ChannelsFile(), "Field", field, "Reason", reason).Wrap(err)
	}
	if s.opts.Wrap != nil {
		router = wrapRouter(router, s.opts.Wrap)
	}
	s.Channels = router
	store, err := s.DB.CurrentStore(ctx)
	if err != nil {
		return err
	}
	term, err := s.DB.CurrentTerminal(ctx)
	if err != nil {
		return err
	}
	if prefix != "" {
		term.OrderPrefix = prefix
	}
	s.Payments, err = payment.New(payment.Config{
		Store: localdb.NewPaymentStore(s.DB), Router: router, Clock: s.Clock,
		Terminal: payment.Terminal{StoreCode: store.Code, TerminalCode: term.Code, NumberPrefix: term.NumberPrefix(),
			ClientIP: "127.0.0.1", Subject: store.Name},
		// A refund at the counter checks the permission once for all its
		// tenders (sale.RefundPermits): an override approves the refund.
		Permits: sale.RefundPermits{Permits: s.Permits}, Signals: s.Signals,
	})
	return err
}

// ErrSandbox: the embedded sandbox did not start.
var ErrSandbox = app.NewError("channels.sandbox_failed")

// applyOverrides puts the caller's logger (and, in tests, HTTP timeouts)
// on every configured client.
func applyOverrides(st *setup.Settings, http channel.HTTPSettings, logger *slog.Logger) {
	merge := func(h *channel.HTTPSettings) {
		if http.Timeout != 0 {
			h.Timeout = http.Timeout
		}
		if http.ConnectTimeout != 0 {
			h.ConnectTimeout = http.ConnectTimeout
		}
	}
	if st.WeChat != nil {
		st.WeChat.Logger = logger
		merge(&st.WeChat.HTTP)
	}
	if st.Alipay != nil {
		st.Alipay.Logger = logger
		merge(&st.Alipay.HTTP)
	}
	if st.CloudPay != nil {
		st.CloudPay.Logger = logger
		merge(&st.CloudPay.HTTP)
	}
}

// wrapRouter wraps every client (tests watch or interrupt calls).
func wrapRouter(r *channel.Channels, wrap func(app.PaymentChannel) app.PaymentChannel) *channel.Channels {
	out := channel.NewChannels()
	byName := map[app.ChannelName]app.PaymentChannel{}
	for _, w := range r.Wallets() {
		ch, err := r.For(w)
		if err != nil {
			continue
		}
		if byName[ch.Name()] == nil {
			byName[ch.Name()] = wrap(ch)
		}
		out.Set(byName[ch.Name()], w)
	}
	for _, n := range r.Names() {
		out.MarkSandbox(n, r.IsSandbox(n))
	}
	return out
}

// startJobs starts the scheduled jobs on cron in the store's time zone,
// and settles what a crash left open at once (in the background, so the
// login window is not held up).
func (s *Services) startJobs(ctx context.Context) error {
	if s.Demo {
		// The counter sells without a back office: a demo one that does not
		// start is a line in the log, and sync waits for the next start.
		if err := s.startDemoBackoffice(ctx); err != nil {
			fmt.Fprintf(s.log(), "demo back office: %v\n", err)
		}
	}
	if err := s.openJobs(ctx); err != nil {
		return err
	}
	if err := s.Jobs.Start(s.ctx, true); err != nil {
		return err
	}
	// Close has cancelled s.ctx by now: the runs end soon, and before the
	// database they write to is closed.
	s.onClose(s.Jobs.Stop)
	// What was written while the app was closed goes up now, and prices
	// changed meanwhile come down (one after the other: one run lock).
	for _, name := range []string{jobs.NamePush, jobs.NamePull} {
		if err := s.Jobs.RunAtStart(name); err != nil {
			return err
		}
	}
	return s.Jobs.RunAtStart(jobs.NameSettle)
}

// openJobs builds the registry of the jobs this folder has, with the
// saved schedules and last runs, without running anything: pos jobs list
// reads it beside a running app. A job's work reaches its use case when
// it runs, so it is listed in a process that has not started payments.
func (s *Services) openJobs(ctx context.Context) error {
	store, err := s.DB.CurrentStore(ctx)
	if err != nil {
		return err
	}
	r := jobs.New(jobs.Config{Store: s.DB, Permits: s.Permits, Clock: s.Clock, Location: store.Location(),
		Log: func(job string, msg app.Message, err error) {
			if err != nil && s.ctx.Err() == nil {
				fmt.Fprintf(s.log(), "job %s: %s: %v\n", job, i18n.M(msg), err)
			} else if err == nil {
				fmt.Fprintf(s.log(), "job %s: %s\n", job, i18n.M(msg))
			}
		}})
	add := []jobs.Job{jobs.Settle(func(ctx context.Context) (payment.RecoverReport, error) {
		if s.Payments == nil {
			return payment.RecoverReport{}, jobs.ErrNotStarted
		}
		return s.Payments.Recover(ctx)
	})}
	if day := s.reconcileDay(); day != nil {
		add = append(add, jobs.Reconcile(day, s.Clock, store.Location()))
	}
	add = append(add, s.Sync.Jobs()...)
	for _, j := range add {
		if err := r.Add(j); err != nil {
			return err
		}
	}
	if err := r.Load(ctx); err != nil {
		return err
	}
	s.Jobs = r
	return nil
}

// reconcileDay is the reconcile job's work: download yesterday's bills
// (and any of the days before whose bill was not ready) and match them
// against the till (app/reconcile, reconcilecmd_wiring.go).
func (s *Services) reconcileDay() jobs.DayReconciler { return s.reconcileJob }

// commandLine is how the lock file names a command; a PIN given on the
// command line is left out.
func commandLine(name string, args []string) string {
	var kept []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--pin" || a == "-pin" {
			i++
			continue
		}
		if strings.HasPrefix(a, "--pin=") || strings.HasPrefix(a, "-pin=") {
			continue
		}
		kept = append(kept, a)
	}
	return strings.TrimSpace("pos " + name + " " + strings.Join(kept, " "))
}
