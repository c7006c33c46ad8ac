package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2/theme"

	"cashier/app"
	"cashier/hardware/escpos"
	"cashier/hardware/lockboard"
	"cashier/hardware/printer"
	"cashier/hardware/printq"
	"cashier/hardware/receipt"
	"cashier/hardware/scanner"
	"cashier/hardware/sim"
	"cashier/hardware/speaker"
	"cashier/hardware/transport"
	"cashier/localdb"
	"cashier/sync/channel"
	"cashier/sync/paycli"
	"cashier/ui/counter"
	"cashier/ui/devices"
	"cashier/ui/i18n"
	"cashier/ui/shell"
)

// Device settings (pos config set KEY VALUE). Empty means simulated: the
// embedded default.
const (
	SettingPrinterPort   = "printer.port"   // transport spec: /dev/ttyUSB0, tcp:192.168.1.50:9100, /dev/usb/lp0, usb:VID:PID
	SettingPrinterWidth  = "printer.width"  // 58 | 80
	SettingSpeakerPort   = "speaker.port"   // transport spec of a SYN6288/XFS5152 module
	SettingSpeakerModule = "speaker.module" // syn6288 | xfs5152
	SettingScannerPort   = "scanner.port"   // transport spec of a serial scanner (keyboard-wedge scanners need none)
	SettingLockPort      = "lock.port"      // transport spec of the cabinet's RS-485 lock line
	SettingLockProtocol  = "lock.protocol"  // xor | kerong
	SettingLockBoards    = "lock.boards"    // boards and their lock counts, e.g. "1:12,2:24"; add "i" for inverted wiring: "3:12i"
)

// channelsFile holds real merchant credentials; when it exists the app
// talks to the channels it names instead of the embedded sandbox.
const channelsFile = "channels.json"

// appRuntime holds the long-lived services the GUI runs with: payment
// channels (the embedded sandbox by default), devices (simulated by
// default) and background jobs.
type appRuntime struct {
	Sandbox  bool
	channels string

	db       *localdb.DB
	clock    app.Clock
	store    app.StoreInfo
	term     app.TerminalInfo
	payments *app.Payments
	queue    *printq.Queue
	printer  *printer.Printer
	paper    escpos.Paper
	emu      *sim.PrinterEmulator // nil with a real printer
	speaker  *speaker.Speaker
	spkSim   *sim.Speaker // nil with a real speaker
	registry *transport.Registry
	hub      *scanner.Hub
	wedge    *scanner.Wedge
	locks    lockboard.Controller // nil when no lock line is configured
	lockConn *transport.Managed
	lockBus  *sim.LockBus // the simulated cabinet in the embedded default
	boards   []lockBoard

	closers []func()
}

func (rt *appRuntime) onClose(f func()) { rt.closers = append(rt.closers, f) }

func startRuntime(ctx context.Context, dataDir string, db *localdb.DB, clock app.Clock, log io.Writer) (_ *appRuntime, err error) {
	rt := &appRuntime{db: db, clock: clock, registry: transport.NewRegistry(), hub: scanner.NewHub()}
	defer func() {
		if err != nil {
			rt.Close() // what started before the failure stops again
		}
	}()
	ctx, cancel := context.WithCancel(ctx)
	rt.onClose(cancel)
	if rt.store, err = db.CurrentStore(ctx); err != nil {
		return nil, err
	}
	if rt.term, err = db.CurrentTerminal(ctx); err != nil {
		return nil, err
	}
	if err := rt.startPayments(ctx, dataDir, log); err != nil {
		return nil, err
	}
	if err := rt.startPrinter(ctx); err != nil {
		return nil, err
	}
	if err := rt.startSpeaker(ctx); err != nil {
		// A missing speaker must not stop the counter: report and go on.
		fmt.Fprintln(log, "speaker:", err)
	}
	if err := rt.startScanner(ctx); err != nil {
		fmt.Fprintln(log, "scanner:", err)
	}
	if err := rt.startLocks(); err != nil {
		fmt.Fprintln(log, "locks:", err)
	}
	rt.wedge = rt.hub.Keyboard()
	rt.onClose(rt.registry.Close)
	return rt, nil
}

func (rt *appRuntime) startPayments(ctx context.Context, dataDir string, log io.Writer) error {
	logger := slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelWarn}))
	var cfg paycli.ChannelConfigs
	real := filepath.Join(dataDir, channelsFile)
	if b, err := os.ReadFile(real); err == nil {
		if err := json.Unmarshal(b, &cfg); err != nil {
			return fmt.Errorf("支付通道设置文件无效 / %s is not valid: %w", real, err)
		}
		rt.channels = "正式通道 / live channels (" + real + ")"
		if cfg.WeChat != nil {
			cfg.WeChat.Logger = logger
		}
		if cfg.Alipay != nil {
			cfg.Alipay.Logger = logger
		}
		if cfg.CloudPay != nil {
			cfg.CloudPay.Logger = logger
		}
	} else if errors.Is(err, os.ErrNotExist) {
		gw, err := paycli.StartSandbox(ctx, paycli.SandboxDir(dataDir), rt.clock)
		if err != nil {
			return fmt.Errorf("内置沙箱启动失败 / the embedded sandbox did not start: %w", err)
		}
		rt.onClose(func() { gw.Server.Close() })
		cfg = gw.Configs(channel.HTTPSettings{}, logger)
		rt.Sandbox = true
		rt.channels = "沙箱 / sandbox " + gw.BaseURL
	} else {
		return err
	}
	router, err := paycli.BuildChannels(cfg, rt.clock)
	if err != nil {
		return err
	}
	rt.payments, err = paycli.NewPayments(ctx, rt.db, router, cfg.OrderPrefix, rt.clock, app.DefaultPaymentPolicy)
	if err != nil {
		return err
	}
	// Payments left open by a crash or power cut are settled in the
	// background so the login window is not held up.
	go func() {
		rep, err := rt.payments.Recover(ctx)
		if err != nil && ctx.Err() == nil {
			fmt.Fprintln(log, "recover:", err)
		}
		if n := len(rep.Payments) + len(rep.Refunds); n > 0 {
			fmt.Fprintf(log, "recover: settled %d unfinished payments/refunds\n", n)
		}
	}()
	return nil
}

func (rt *appRuntime) setting(key string) string {
	v, _ := rt.db.GetSetting(context.Background(), key, "")
	return v
}

func (rt *appRuntime) startPrinter(ctx context.Context) error {
	rt.paper = escpos.Paper80
	if rt.setting(SettingPrinterWidth) == "58" {
		rt.paper = escpos.Paper58
	}
	cfg := printer.Config{Name: "receipt"}
	if port := rt.setting(SettingPrinterPort); port != "" {
		sp, err := printer.ParseSpec(port)
		if err != nil {
			return fmt.Errorf("打印机端口设置无效 / printer.port: %w", err)
		}
		cfg.Open = printer.SpecOpener(sp, nil)
		if sp.Settings.Baud > 0 {
			cfg.BytesPerSecond = sp.Settings.Baud / 10 // 8N1: ten bits a byte
		}
	} else {
		rt.emu = sim.NewPrinterEmulator(sim.PrinterOptions{Paper: rt.paper})
		cfg.Open = rt.emu.Opener()
	}
	rt.printer = printer.New(cfg)
	go func() {
		_, _ = rt.printer.Check(ctx) // show the real state at once, not after the first watch period
		rt.printer.Watch(ctx, 5*time.Second)
	}()
	rt.queue = printq.New(rt.db.PrintJobs(), rt.clock, printq.Options{})
	rt.queue.AddPrinter("receipt", rt.printer)
	if err := rt.queue.Start(ctx); err != nil {
		return err
	}
	rt.onClose(func() { rt.queue.Stop(); rt.printer.Close() })
	return nil
}

func (rt *appRuntime) startSpeaker(ctx context.Context) error {
	spec := rt.setting(SettingSpeakerPort)
	module := speaker.SYN6288
	if rt.setting(SettingSpeakerModule) == "xfs5152" {
		module = speaker.XFS5152
	}
	if spec == "" {
		rt.spkSim = sim.NewSpeaker(sim.SpeakerOptions{Module: module, SendReady: true, PerRune: 60 * time.Millisecond})
		path, err := rt.spkSim.ServePTY()
		if err != nil {
			rt.spkSim = nil
			return err
		}
		rt.onClose(func() { rt.spkSim.Close() })
		spec = path
	}
	sp, err := transport.ParseSpec(spec)
	if err != nil {
		return fmt.Errorf("语音播报端口设置无效 / speaker.port: %w", err)
	}
	m := transport.NewManaged("speaker", sp, transport.ManagedOptions{})
	rt.registry.Add(m)
	m.Start()
	rt.speaker = speaker.New(m.Port(), speaker.Options{Module: module, OnState: m.Report})
	rt.onClose(func() { rt.speaker.Close(); m.Close() })
	return nil
}

func (rt *appRuntime) startScanner(ctx context.Context) error {
	spec := rt.setting(SettingScannerPort)
	if spec == "" {
		return nil // keyboard-wedge scanners need no port
	}
	sp, err := transport.ParseSpec(spec)
	if err != nil {
		return fmt.Errorf("扫码枪端口设置无效 / scanner.port: %w", err)
	}
	m := transport.NewManaged("scanner", sp, transport.ManagedOptions{})
	rt.registry.Add(m)
	m.Start()
	rt.hub.AttachSerial(m.Port(), scanner.SerialOptions{Device: "scanner"})
	rt.onClose(func() { m.Close() })
	return nil
}

type lockBoard struct {
	addr, locks int
	inverted    bool
}

// parseBoards reads "1:12,2:24i" (board:locks, i = inverted wiring).
func parseBoards(v string) ([]lockBoard, error) {
	var out []lockBoard
	for _, part := range strings.Split(v, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		inv := strings.HasSuffix(part, "i")
		part = strings.TrimSuffix(part, "i")
		a, n, ok := strings.Cut(part, ":")
		addr, err1 := strconv.Atoi(a)
		locks, err2 := strconv.Atoi(n)
		if !ok || err1 != nil || err2 != nil || addr < 0 || addr > 31 || locks < 1 || locks > 255 {
			return nil, fmt.Errorf("锁控板设置无效 / bad lock.boards entry %q (want board:locks, e.g. 1:12)", part)
		}
		out = append(out, lockBoard{addr: addr, locks: locks, inverted: inv})
	}
	return out, nil
}

func (rt *appRuntime) startLocks() error {
	spec := rt.setting(SettingLockPort)
	proto := lockboard.XOR
	if rt.setting(SettingLockProtocol) == "kerong" {
		proto = lockboard.Kerong
	}
	boards, err := parseBoards(rt.setting(SettingLockBoards))
	if err != nil {
		return err
	}
	if spec == "" {
		// The embedded default: one simulated 12-door cabinet.
		boards = []lockBoard{{addr: 1, locks: 12}}
		rt.lockBus = sim.NewLockBus(proto)
		rt.lockBus.AddBoard(1, sim.LockBoardConfig{Locks: 12, Reports: true})
		path, err := rt.lockBus.ServePTY()
		if err != nil {
			rt.lockBus = nil
			return err
		}
		rt.onClose(func() { rt.lockBus.Close() })
		spec = path
	} else if len(boards) == 0 {
		return fmt.Errorf("请设置 lock.boards / set lock.boards (e.g. 1:12)")
	}
	sp, err := transport.ParseSpec(spec)
	if err != nil {
		return fmt.Errorf("锁控板端口设置无效 / lock.port: %w", err)
	}
	m := transport.NewManaged("locks", sp, transport.ManagedOptions{})
	rt.registry.Add(m)
	m.Start()
	cfg := map[int]lockboard.BoardConfig{}
	for _, b := range boards {
		cfg[b.addr] = lockboard.BoardConfig{Locks: b.locks, Inverted: b.inverted}
	}
	ctl, err := lockboard.New(proto, m.Port(), lockboard.Options{Boards: cfg})
	if err != nil {
		m.Close()
		return err
	}
	rt.locks, rt.boards, rt.lockConn = ctl, boards, m
	rt.onClose(func() { ctl.Close(); m.Close() })
	return nil
}

// afterPay prints the receipt and announces the payment. Both are
// best-effort: the money is already taken and the order committed, so a
// printer problem leaves the job queued (visible in Devices), never undoes
// the sale.
func (rt *appRuntime) afterPay(staff app.Staff) func(app.PayResult) {
	return func(r app.PayResult) {
		ctx := context.Background()
		store, err := rt.db.CurrentStore(ctx) // settings may have changed the header
		if err != nil {
			store = rt.store
		}
		h := receipt.HeaderFromStore(store)
		opt := receipt.Options{Paper: rt.paper}
		method := walletMethod(r.Wallet)
		var job []byte
		kind := printq.KindSale
		if r.Deposit {
			kind = printq.KindDeposit
			job, err = receipt.DepositReceipt(h, receipt.Deposit{DepositNo: r.OrderNo, Time: rt.clock.Now(), Cashier: staff.Name,
				Terminal: rt.term.Name, Amount: r.Amount, Method: method, Ref: r.TransactionID}, opt)
		} else {
			job, err = receipt.SaleReceipt(h, receipt.Sale{OrderNo: r.OrderNo, Time: rt.clock.Now(), Cashier: staff.Name,
				Terminal: rt.term.Name, Lines: []receipt.Line{{Name: "收款", Qty: 1, UnitPrice: r.Amount, Amount: r.Amount}},
				Total: r.Amount, Payable: r.Amount, Payments: []receipt.Payment{{Method: method, Amount: r.Amount, Ref: r.TransactionID}},
				// No e-receipt service exists yet: the QR carries the order
				// number, which a scanner at the counter reads back.
				QR: r.OrderNo, QRCaption: "订单号（退款、查单时扫描）"}, opt)
		}
		if err == nil {
			_, err = rt.queue.Enqueue(ctx, "receipt", kind, r.OrderNo, job)
		}
		if err != nil {
			slog.Warn("receipt not queued", "order", r.OrderNo, "err", err)
		}
		if rt.speaker != nil {
			phrase := speaker.Collected(r.Amount)
			if r.Deposit {
				phrase = speaker.Deposit(r.Amount)
			}
			if err := rt.speaker.Say(phrase); err != nil {
				slog.Warn("announcement not queued", "err", err)
			}
		}
	}
}

func walletMethod(w app.Wallet) string {
	switch w {
	case app.WalletWeChat:
		return "微信支付"
	case app.WalletAlipay:
		return "支付宝"
	case app.WalletUnionPay:
		return "云闪付"
	case app.WalletMember:
		return "会员卡"
	}
	return string(w)
}

// scanCodes is the scan stream (serial scanners and the keyboard wedge) as codes.
func (rt *appRuntime) scanCodes() (<-chan string, func()) {
	in, cancel := rt.hub.Subscribe()
	out := make(chan string, 8)
	go func() {
		defer close(out)
		for s := range in {
			out <- s.Code
		}
	}()
	return out, cancel
}

func (rt *appRuntime) ChannelsDescription() string { return rt.channels }

// Workspaces are the runtime's workspaces, in navigation order.
func (rt *appRuntime) Workspaces() []shell.Workspace {
	return []shell.Workspace{
		{ID: "counter", Title: i18n.T("nav.counter", "收款"), Icon: theme.ConfirmIcon(), Build: func(s shell.Session) shell.Page {
			v := counter.New(counter.Deps{Payments: rt.payments, Staff: s.Staff, Store: rt.store, Terminal: rt.term,
				Detector: rt.wedge, Canvas: s.Window.Canvas(), Scans: rt.scanCodes, AfterPay: rt.afterPay(s.Staff)})
			return shell.Page{Content: v.Content(), Focus: v.Amount, Stop: v.Stop}
		}},
		{ID: "devices", Title: i18n.T("nav.devices", "设备"), Icon: theme.ComputerIcon(), Build: func(s shell.Session) shell.Page {
			v := devices.New(rt.devicesDeps())
			return shell.Page{Content: v.Content(), Stop: v.Stop}
		}},
	}
}

func (rt *appRuntime) devicesDeps() devices.Deps {
	d := devices.Deps{
		Statuses: rt.statuses,
		SubscribeStatus: func(fn func()) func() {
			stopPrinter := rt.printer.Subscribe(func(printer.Event) { go fn() })
			ch, stopReg := rt.registry.Subscribe()
			go func() {
				for range ch {
					fn()
				}
			}()
			return func() { stopPrinter(); stopReg() }
		},
		Jobs: func() ([]devices.Job, error) {
			js, err := rt.queue.List(context.Background(), printq.Filter{Limit: 100})
			out := make([]devices.Job, 0, len(js))
			for _, j := range js {
				out = append(out, devices.Job{ID: j.ID, Kind: j.Kind, Ref: j.Ref, State: string(j.State),
					Attempts: j.Attempts, Error: j.LastError, Created: j.CreatedAt})
			}
			return out, err
		},
		Reprint: func(id int64) error {
			_, err := rt.queue.Reprint(context.Background(), id)
			return err
		},
	}
	if rt.emu != nil {
		conv := func(r sim.PrinterReceipt) devices.Receipt {
			return devices.Receipt{At: r.At, Image: r.Image, Text: r.Text}
		}
		d.Receipts = func() []devices.Receipt {
			var out []devices.Receipt
			for _, r := range rt.emu.Receipts() {
				out = append(out, conv(r))
			}
			return out
		}
		d.SubscribeReceipts = func(fn func(devices.Receipt)) func() {
			return rt.emu.OnReceipt(func(r sim.PrinterReceipt) { fn(conv(r)) })
		}
		d.SetPaperOut = rt.emu.SetPaperOut
		d.SetCoverOpen = rt.emu.SetCoverOpen
	}
	if rt.locks != nil {
		d.Doors = func() ([]devices.Door, error) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := rt.lockConn.WaitReady(ctx); err != nil {
				return nil, err
			}
			var out []devices.Door
			for _, b := range rt.boards {
				sts, err := rt.locks.States(ctx, b.addr)
				if err != nil {
					return out, err
				}
				for _, st := range sts {
					out = append(out, devices.Door{Board: st.Board, Lock: st.Lock, Open: st.Open})
				}
			}
			return out, nil
		}
		d.OpenDoor = func(board, lock int) error {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := rt.lockConn.WaitReady(ctx); err != nil {
				return err
			}
			_, err := rt.locks.Open(ctx, board, lock)
			return err
		}
		d.SubscribeDoors = func(fn func()) func() {
			ch, cancel := rt.locks.Subscribe()
			go func() {
				for range ch {
					fn()
				}
			}()
			return cancel
		}
		if rt.lockBus != nil {
			d.CloseDoors = func() {
				for _, b := range rt.boards {
					for l := 1; l <= b.locks; l++ {
						if rt.lockBus.DoorOpen(b.addr, l) {
							rt.lockBus.CloseDoor(b.addr, l)
						}
					}
				}
			}
		}
	}
	if rt.spkSim != nil {
		d.Spoken = func() []devices.Utterance {
			var out []devices.Utterance
			for _, u := range rt.spkSim.Spoken() {
				out = append(out, devices.Utterance{At: u.At, Text: u.Text})
			}
			return out
		}
		d.SubscribeSpoken = func(fn func(devices.Utterance)) func() {
			ch, cancel := rt.spkSim.Subscribe()
			go func() {
				for u := range ch {
					fn(devices.Utterance{At: u.At, Text: u.Text})
				}
			}()
			return cancel
		}
	}
	return d
}

func (rt *appRuntime) statuses() []devices.Status {
	pe := rt.printer.State()
	name := i18n.T("devices.name.printer", "小票打印机") + " " + strconv.Itoa(int(rt.paper)) + "mm"
	if rt.emu != nil {
		name += i18n.T("devices.simulated", "（模拟）")
	}
	out := []devices.Status{{Name: name, Kind: "printer", State: string(pe.State), Message: pe.Message}}
	for _, s := range rt.registry.States() {
		n := s.Device
		switch s.Device {
		case "speaker":
			n = i18n.T("devices.name.speaker", "语音播报")
			if rt.spkSim != nil {
				n += i18n.T("devices.simulated", "（模拟）")
			}
		case "scanner":
			n = i18n.T("devices.name.scanner", "扫码枪")
		case "locks":
			n = i18n.T("devices.name.locks", "智能柜锁控板")
			if rt.lockBus != nil {
				n += i18n.T("devices.simulated", "（模拟）")
			}
		}
		out = append(out, devices.Status{Name: n, Kind: s.Device, State: string(s.State), Message: s.Message})
	}
	return out
}

func (rt *appRuntime) Close() {
	for i := len(rt.closers) - 1; i >= 0; i-- {
		rt.closers[i]()
	}
	rt.closers = nil
}
