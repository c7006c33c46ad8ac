package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"cashier/app"
	"cashier/app/cabinet"
	"cashier/app/deposit"
	"cashier/app/payment"
	"cashier/app/sale"
	"cashier/app/summary"
	"cashier/hardware/devicemsg"
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
	"cashier/ui/i18n"
	reportsui "cashier/ui/reports"
)

// Device settings (pos config set KEY VALUE). Empty means simulated: the
// embedded default.
const (
	SettingPrinterPort   = "printer.port"   // transport spec: /dev/ttyUSB0, tcp:192.168.1.50:9100, /dev/usb/lp0, usb:VID:PID
	SettingPrinterWidth  = "printer.width"  // 58 | 80
	SettingDrawer        = "drawer"         // none | pin2 | pin5: the cash drawer on the receipt printer; empty: pin2 on the simulated printer, none on a real one
	SettingSpeakerPort   = "speaker.port"   // transport spec of a SYN6288/XFS5152 module
	SettingSpeakerModule = "speaker.module" // syn6288 | xfs5152
	SettingScannerPort   = "scanner.port"   // transport spec of a serial scanner (keyboard-wedge scanners need none)
	SettingLockPort      = "lock.port"      // transport spec of the cabinet's RS-485 lock line
	SettingLockProtocol  = "lock.protocol"  // xor | kerong
	SettingLockBoards    = "lock.boards"    // boards and their lock counts, e.g. "1:12,2:24"; add "i" for inverted wiring: "3:12i"
)

// Devices are the counter's devices, each simulated in the embedded
// default: the receipt printer (and the drawer on it), the voice speaker,
// scanners and the cabinet's lock boards. It is the checkout's and the
// cabinet's port to them.
type Devices struct {
	db      *localdb.DB
	clock   app.Clock
	queue   *printq.Queue
	printer *printer.Printer
	paper   escpos.Paper
	emu     *sim.PrinterEmulator // nil with a real printer
	// drawer: a cash drawer hangs on the receipt printer (setting drawer),
	// kicked on drawerPin.
	drawer    bool
	drawerPin escpos.DrawerPin
	speaker   *speaker.Speaker
	spkSim    *sim.Speaker // nil with a real speaker
	registry  *transport.Registry
	hub       *scanner.Hub
	wedge     *scanner.Wedge
	locks     lockboard.Controller // nil when no lock line is configured
	lockConn  *transport.Managed
	lockBus   *sim.LockBus // the simulated cabinet in the embedded default
	boards    []lockBoard

	closers []func()
}

var (
	_ sale.ReceiptPrinter = (*Devices)(nil)
	_ sale.Announcer      = (*Devices)(nil)
	_ sale.CashDrawer     = (*Devices)(nil)
	_ cabinet.Locks       = (*Devices)(nil)
	_ deposit.Printer     = (*Devices)(nil)
)

func (d *Devices) onClose(f func()) { d.closers = append(d.closers, f) }

// Close stops every device, last started first.
func (d *Devices) Close() {
	for i := len(d.closers) - 1; i >= 0; i-- {
		d.closers[i]()
	}
	d.closers = nil
}

// startDevices starts the counter's devices; locksOnly starts the lock
// boards alone (pos devices unlock), and then a lock line that does not
// start is an error.
func startDevices(ctx context.Context, db *localdb.DB, clock app.Clock, log io.Writer, locksOnly bool) (_ *Devices, err error) {
	d := &Devices{db: db, clock: clock, registry: transport.NewRegistry(), hub: scanner.NewHub()}
	// The registry's ports close last, after the drivers that use them.
	d.onClose(d.registry.Close)
	defer func() {
		if err != nil {
			d.Close()
		}
	}()
	if locksOnly {
		if err := d.startLocks(ctx, log); err != nil {
			return nil, err
		}
		return d, nil
	}
	if err := d.startPrinter(ctx, log); err != nil {
		return nil, err
	}
	// A missing speaker, scanner or lock line must not stop the counter:
	// report and go on.
	if err := d.startSpeaker(ctx); err != nil {
		fmt.Fprintln(log, "speaker:", i18n.Err(err))
	}
	if err := d.startScanner(ctx); err != nil {
		fmt.Fprintln(log, "scanner:", i18n.Err(err))
	}
	if err := d.startLocks(ctx, log); err != nil {
		fmt.Fprintln(log, "locks:", i18n.Err(err))
	}
	d.wedge = d.hub.Keyboard()
	return d, nil
}

// setting reads a device setting; empty means the embedded default.
func (d *Devices) setting(ctx context.Context, key string) (string, error) {
	return d.db.GetSetting(ctx, key, "")
}

// settings reads device settings in order, stopping at the first error.
func (d *Devices) settings(ctx context.Context, keys ...string) ([]string, error) {
	out := make([]string, len(keys))
	for i, k := range keys {
		v, err := d.setting(ctx, k)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

// ErrDeviceSetting: a device setting cannot be used. Key names it.
var ErrDeviceSetting = app.NewError("devices.bad_setting")

// The device settings' values, read by the same parsers as the installer's
// port-level commands: `pos config set` refuses what a start would refuse,
// and a start refuses a stored value it cannot read instead of guessing.

// parsePaper reads printer.width: 58 or 80 (the default).
func parsePaper(v string) (escpos.Paper, error) {
	if strings.TrimSpace(v) == "" {
		return escpos.Paper80, nil
	}
	p, err := escpos.ParsePaper(v)
	if err != nil {
		return 0, ErrDeviceSetting.With("Key", SettingPrinterWidth, "Value", v).Wrap(err)
	}
	return p, nil
}

// parseDrawer reads drawer: none, pin2 or pin5; empty is real's default
// (none: a printer with no drawer must never be kicked) or the simulated
// printer's (pin2, so the demo shows the drawer).
func parseDrawer(v string, simulated bool) (escpos.DrawerPin, bool, error) {
	switch strings.TrimSpace(v) {
	case "":
		return escpos.DrawerPin2, simulated, nil
	case "none":
		return 0, false, nil
	case "pin2":
		return escpos.DrawerPin2, true, nil
	case "pin5":
		return escpos.DrawerPin5, true, nil
	}
	return 0, false, ErrDeviceSetting.With("Key", SettingDrawer, "Value", v)
}

func parseDrawerSetting(v string) (escpos.DrawerPin, error) {
	p, _, err := parseDrawer(v, false)
	return p, err
}

// parseModule reads speaker.module: syn6288 (the default) or xfs5152.
func parseModule(v string) (speaker.Module, error) {
	if strings.TrimSpace(v) == "" {
		return speaker.SYN6288, nil
	}
	m, err := speaker.ParseModule(strings.TrimSpace(v))
	if err != nil {
		return "", ErrDeviceSetting.With("Key", SettingSpeakerModule, "Value", v).Wrap(err)
	}
	return m, nil
}

// parseProtocol reads lock.protocol: xor (the default) or kerong.
func parseProtocol(v string) (lockboard.Protocol, error) {
	p, err := lockboard.ParseProtocol(v)
	if err != nil {
		return "", ErrDeviceSetting.With("Key", SettingLockProtocol, "Value", v).Wrap(err)
	}
	return p, nil
}

// boardRange is the protocol's board addresses and locks per board.
func boardRange(p lockboard.Protocol) (minBoard, maxBoard, maxLocks int) {
	if p == lockboard.Kerong {
		return 0, lockboard.MaxKerongBoard, lockboard.MaxKerongLock
	}
	return 1, lockboard.MaxXORBoard, lockboard.MaxXORLock
}

func (d *Devices) startPrinter(ctx context.Context, log io.Writer) error {
	v, err := d.settings(ctx, SettingPrinterWidth, SettingPrinterPort, SettingDrawer)
	if err != nil {
		return err
	}
	width, port := v[0], v[1]
	if d.paper, err = parsePaper(width); err != nil {
		return err
	}
	if d.drawerPin, d.drawer, err = parseDrawer(v[2], port == ""); err != nil {
		return err
	}
	cfg := printer.Config{Name: "receipt"}
	if port != "" {
		sp, err := printer.ParseSpec(port)
		if err != nil {
			return ErrDeviceSetting.With("Key", SettingPrinterPort).Wrap(err)
		}
		cfg.Open = printer.SpecOpener(sp, nil)
		if sp.Settings.Baud > 0 {
			cfg.BytesPerSecond = sp.Settings.Baud / 10 // 8N1: ten bits a byte
		}
	} else {
		d.emu = sim.NewPrinterEmulator(sim.PrinterOptions{Paper: d.paper})
		cfg.Open = d.emu.Opener()
	}
	d.printer = printer.New(cfg)
	go func() {
		_, _ = d.printer.Check(ctx) // show the real state at once, not after the first watch period
		d.printer.Watch(ctx, 5*time.Second)
	}()
	d.queue = printq.New(d.db.PrintJobs(), d.clock, printq.Options{Reason: devicemsg.Code,
		Logger: slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	d.queue.AddPrinter("receipt", d.printer)
	if err := d.queue.Start(ctx); err != nil {
		d.printer.Close()
		return err
	}
	d.onClose(func() { d.queue.Stop(); d.printer.Close() })
	return nil
}

func (d *Devices) startSpeaker(ctx context.Context) error {
	v, err := d.settings(ctx, SettingSpeakerModule, SettingSpeakerPort)
	if err != nil {
		return err
	}
	spec := v[1]
	module, err := parseModule(v[0])
	if err != nil {
		return err
	}
	if spec == "" {
		d.spkSim = sim.NewSpeaker(sim.SpeakerOptions{Module: module, SendReady: true, PerRune: 60 * time.Millisecond})
		path, err := d.spkSim.ServePTY()
		if err != nil {
			d.spkSim = nil
			return err
		}
		d.onClose(func() { d.spkSim.Close() })
		spec = path
	}
	sp, err := transport.ParseSpec(spec)
	if err != nil {
		return ErrDeviceSetting.With("Key", SettingSpeakerPort).Wrap(err)
	}
	m := transport.NewManaged("speaker", sp, transport.ManagedOptions{})
	d.registry.Add(m)
	m.Start()
	d.speaker = speaker.New(m.Port(), speaker.Options{Module: module, OnState: m.Report})
	d.onClose(func() { d.speaker.Close(); m.Close() })
	return nil
}

func (d *Devices) startScanner(ctx context.Context) error {
	spec, err := d.setting(ctx, SettingScannerPort)
	if err != nil || spec == "" {
		return err // keyboard-wedge scanners need no port
	}
	sp, err := transport.ParseSpec(spec)
	if err != nil {
		return ErrDeviceSetting.With("Key", SettingScannerPort).Wrap(err)
	}
	m := transport.NewManaged("scanner", sp, transport.ManagedOptions{})
	d.registry.Add(m)
	m.Start()
	d.hub.AttachSerial(m.Port(), scanner.SerialOptions{Device: "scanner"})
	d.onClose(func() { m.Close() })
	return nil
}

type lockBoard struct {
	addr, locks int
	inverted    bool
}

// parseBoards reads "1:12,2:24i" (board:locks, i = inverted wiring) for
// boards of protocol p: addresses and lock counts within what p can
// address, each board once.
func parseBoards(v string, p lockboard.Protocol) ([]lockBoard, error) {
	minBoard, maxBoard, maxLocks := boardRange(p)
	var out []lockBoard
	seen := map[int]bool{}
	for _, part := range strings.Split(v, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		inv := strings.HasSuffix(part, "i")
		a, n, ok := strings.Cut(strings.TrimSuffix(part, "i"), ":")
		addr, err1 := strconv.Atoi(a)
		locks, err2 := strconv.Atoi(n)
		if !ok || err1 != nil || err2 != nil || addr < minBoard || addr > maxBoard || locks < 1 || locks > maxLocks || seen[addr] {
			return nil, ErrDeviceSetting.With("Key", SettingLockBoards, "Value", part)
		}
		seen[addr] = true
		out = append(out, lockBoard{addr: addr, locks: locks, inverted: inv})
	}
	return out, nil
}

func (d *Devices) startLocks(ctx context.Context, log io.Writer) error {
	v, err := d.settings(ctx, SettingLockPort, SettingLockProtocol, SettingLockBoards)
	if err != nil {
		return err
	}
	spec := v[0]
	proto, err := parseProtocol(v[1])
	if err != nil {
		return err
	}
	boards, err := parseBoards(v[2], proto)
	if err != nil {
		return err
	}
	if spec == "" {
		// The embedded default: one simulated 12-door cabinet, board 1
		// (an address both protocols have).
		boards = []lockBoard{{addr: 1, locks: 12}}
		d.lockBus = sim.NewLockBus(proto)
		d.lockBus.AddBoard(1, sim.LockBoardConfig{Locks: 12, Reports: true})
		path, err := d.lockBus.ServePTY()
		if err != nil {
			d.lockBus = nil
			return err
		}
		d.onClose(func() { d.lockBus.Close() })
		spec = path
	} else if len(boards) == 0 {
		return ErrDeviceSetting.With("Key", SettingLockBoards, "Value", "")
	}
	sp, err := transport.ParseSpec(spec)
	if err != nil {
		return ErrDeviceSetting.With("Key", SettingLockPort).Wrap(err)
	}
	m := transport.NewManaged("locks", sp, transport.ManagedOptions{})
	d.registry.Add(m)
	m.Start()
	cfg := map[int]lockboard.BoardConfig{}
	for _, b := range boards {
		cfg[b.addr] = lockboard.BoardConfig{Locks: b.locks, Inverted: b.inverted}
	}
	ctl, err := lockboard.New(proto, m.Port(), lockboard.Options{Boards: cfg,
		Logger: slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		m.Close()
		return err
	}
	d.locks, d.boards, d.lockConn = ctl, boards, m
	d.onClose(func() { ctl.Close(); m.Close() })
	return nil
}

// PrintReceipt implements sale.ReceiptPrinter: the receipt from the stored
// order, queued durably on the receipt printer.
func (d *Devices) PrintReceipt(ctx context.Context, r sale.Receipt) error {
	h := receipt.HeaderFromStore(r.Store)
	opt := receipt.Options{Paper: d.paper}
	o := r.Order
	var job []byte
	var err error
	kind := printq.KindSale
	at, again := receiptTimes(r)
	if o.Kind == app.OrderDeposit {
		kind = printq.KindDeposit
		loc := r.Store.Location()
		dp := receipt.Deposit{DepositNo: o.OrderNo, Time: at.In(loc), Cashier: r.Cashier, Terminal: r.Terminal.Name,
			Amount: o.Payable, Guest: o.Guest, Note: o.Note}
		if !again.IsZero() {
			dp.ReprintAt = again.In(loc)
		}
		for _, t := range o.Tenders {
			if t.State == app.TenderPaid {
				dp.Method, dp.Ref = tenderMethod(t), tenderRef(t)
				dp.Limit = depositLimit(t.Wallet, firstTime(o.PaidAt, at), loc)
			}
		}
		job, err = receipt.DepositReceipt(h, dp, opt)
	} else {
		s := receipt.Sale{OrderNo: o.OrderNo, Time: at, ReprintAt: again, Cashier: r.Cashier, Terminal: r.Terminal.Name,
			Total: o.Total, Discount: o.Discount, Payable: o.Payable, Note: o.Note,
			// No e-receipt service exists yet: the QR carries the order
			// number, which a scanner at the counter reads back.
			QR: o.OrderNo, QRCaption: "订单号（退款、查单时扫描）"}
		for _, l := range o.Lines {
			s.Lines = append(s.Lines, receipt.Line{Name: l.Name, Qty: l.Qty, UnitPrice: l.UnitPrice, Amount: l.Amount})
		}
		if len(o.Lines) == 0 {
			s.Lines = []receipt.Line{{Name: "收款", Qty: 1, UnitPrice: o.Total, Amount: o.Total}}
		}
		for _, t := range o.Tenders {
			if t.State != app.TenderPaid {
				continue
			}
			s.Payments = append(s.Payments, receipt.Payment{Method: tenderMethod(t), Amount: t.Amount, Ref: tenderRef(t)})
			s.Change += t.Change()
		}
		job, err = receipt.SaleReceipt(h, s, opt)
	}
	if err != nil {
		return err
	}
	_, err = d.queue.Enqueue(ctx, "receipt", kind, o.OrderNo, job)
	return err
}

// depositLimit is the wallet's automatic return of a deposit frozen at
// frozen, dated in the store's zone; none for a wallet without a known
// limit (Alipay).
func depositLimit(w app.Wallet, frozen time.Time, loc *time.Location) receipt.DepositLimit {
	limit, ok := payment.DepositLimit(w)
	if !ok {
		return receipt.DepositLimit{}
	}
	// The wallet as people name it in the sentence: 微信, not 微信支付.
	name := strings.TrimSuffix(tenderMethod(app.Tender{Kind: app.TenderWallet, Wallet: w}), "支付")
	return receipt.DepositLimit{Wallet: name, Days: int(limit / (24 * time.Hour)), On: frozen.Add(limit).In(loc)}
}

func firstTime(ts ...time.Time) time.Time {
	for _, t := range ts {
		if !t.IsZero() {
			return t
		}
	}
	return time.Time{}
}

// PrintDepositSettlement implements deposit.Printer: the check-out slip
// (押金结算单), queued durably like every receipt, under the operation's
// number (the number the slip prints, as a refund's job carries its
// refund number). It is a deposit's paper, so it is queued as a deposit
// job.
func (d *Devices) PrintDepositSettlement(ctx context.Context, s deposit.Settlement) error {
	dep, loc := s.Deposit, s.Store.Location()
	out := receipt.Settlement{DepositNo: dep.DepositNo,
		Guest:  app.Guest{Room: dep.Room, Name: dep.GuestName, Phone: dep.GuestPhone},
		Method: tenderMethod(app.Tender{Kind: app.TenderWallet, Wallet: dep.Wallet}),
		Ref:    tenderRef(app.Tender{TransactionID: dep.TransactionID, OutTradeNo: dep.OutTradeNo}),
		Amount: dep.Amount, Charged: s.Charged, Returned: s.Returned,
		Release: s.Op.Kind == app.DepositOpRelease, OpNo: s.Op.OutRequestNo,
		Time: s.Time.In(loc), Cashier: s.Cashier, Terminal: s.Terminal.Name}
	if taken := firstTime(dep.PaidAt, dep.CreatedAt); !taken.IsZero() {
		out.TakenAt = taken.In(loc)
	}
	job, err := receipt.DepositSettlement(receipt.HeaderFromStore(s.Store), out, receipt.Options{Paper: d.paper})
	if err != nil {
		return err
	}
	_, err = d.queue.Enqueue(ctx, "receipt", printq.KindDeposit, out.OpNo, job)
	return err
}

// summaryJobKind is the print queue's kind of a printed transaction
// summary.
const summaryJobKind = printq.KindReport

var _ reportsui.Printer = (*Devices)(nil)

// PrintSummary implements reportsui.Printer: the transaction summary the
// Reports workspace shows (交易汇总: the day, range or shift, the person
// when narrowed to one, the eight figures in total and per method that
// moved money, the deposits apart), laid out in Chinese whatever the
// screen's language and queued durably like the shift report.
func (d *Devices) PrintSummary(ctx context.Context, p reportsui.SummaryPrint) error {
	if d.queue == nil {
		return sale.ErrNoPrinter
	}
	loc := p.Store.Location()
	sum, f := p.Summary, p.Summary.Filter
	out := receipt.Summary{Store: p.Store.Name, Total: shiftFigures(sum.Total), PrintedBy: p.PrintedBy.Name, PrintedAt: p.PrintedAt.In(loc)}
	if p.Store.Code != "" {
		out.Store += "（" + p.Store.Code + "）"
	}
	ref := "summary:" + p.Store.Code + ":"
	switch {
	case f.ShiftID != 0:
		end := "在班"
		if !p.Shift.End.IsZero() {
			end = p.Shift.End.In(loc).Format("01-02 15:04")
		}
		out.Shift = fmt.Sprintf("#%d %s %s – %s", f.ShiftID, p.Shift.StaffName, p.Shift.Start.In(loc).Format("01-02 15:04"), end)
		ref += "shift" + strconv.FormatInt(f.ShiftID, 10)
	case !f.Day.IsZero():
		out.Day = f.Day.String()
		ref += out.Day
	default:
		out.From, out.To = f.From.In(loc), f.To.In(loc)
		ref += out.From.Format("20060102150405") + "-" + out.To.Format("20060102150405")
	}
	if p.Staff.ID != 0 {
		out.Staff = p.Staff.Name
		if p.Staff.Code != "" {
			out.Staff += "（" + p.Staff.Code + "）"
		}
	}
	for _, m := range summary.Methods {
		if fg, ok := sum.ByMethod[m]; ok && fg != (summary.Figures{}) {
			out.Methods = append(out.Methods, receipt.MethodFigures{Method: i18n.In(i18n.Chinese, m.Name()), Figures: shiftFigures(fg)})
		}
	}
	dep := sum.Deposits
	out.Deposits = receipt.SummaryDeposits{TakenCount: dep.TakenCount, Taken: dep.Taken, Consumed: dep.Consumed, Released: dep.Released,
		HeldKnown: p.HeldKnown, HeldCount: dep.HeldCount, Held: dep.Held}
	job, err := receipt.SummaryJob(receipt.HeaderFromStore(p.Store), out, receipt.Options{Paper: d.paper})
	if err != nil {
		return err
	}
	_, err = d.queue.Enqueue(ctx, "receipt", summaryJobKind, ref, job)
	return err
}

// tenderRef is the number printed beside a wallet tender: the channel's
// transaction number (what the customer's wallet shows), else ours.
func tenderRef(t app.Tender) string {
	if t.TransactionID != "" {
		return t.TransactionID
	}
	return t.OutTradeNo
}

// tenderMethod names a tender on a receipt. Receipts are printed in
// Chinese whatever the screen's language (the printer's code page is
// GB18030): a wallet is named by the Chinese translation of the name the
// screens show (app.WalletName), so the two cannot disagree.
func tenderMethod(t app.Tender) string {
	if t.Kind == app.TenderCash {
		return "现金"
	}
	return i18n.In(i18n.Chinese, app.WalletName(t.Wallet)) // receipts are Chinese
}

// Announce implements sale.Announcer.
func (d *Devices) Announce(_ context.Context, a sale.Announcement) error {
	if d.speaker == nil {
		return nil
	}
	phrase := speaker.Collected(a.Amount)
	if a.Deposit {
		phrase = speaker.Deposit(a.Amount)
	}
	return d.speaker.Say(phrase)
}

// HasDrawer reports whether a cash drawer is configured on the printer.
func (d *Devices) HasDrawer() bool { return d.printer != nil && d.drawer }

// OpenDrawer implements sale.CashDrawer: the kick goes straight to the
// printer, not through the durable queue, so a restart never replays it.
func (d *Devices) OpenDrawer(ctx context.Context) error {
	if !d.HasDrawer() {
		return sale.ErrNoDrawer
	}
	b, err := escpos.New(d.paper).DrawerKick(escpos.DrawerPulse{Pin: d.drawerPin}).Bytes()
	if err != nil {
		return err
	}
	return d.printer.Send(ctx, b)
}

// Open implements cabinet.Locks.
func (d *Devices) Open(ctx context.Context, board, lock int) (bool, error) {
	if d.locks == nil {
		return false, ErrDeviceSetting.With("Key", SettingLockPort)
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := d.lockConn.WaitReady(ctx); err != nil {
		return false, err
	}
	st, err := d.locks.Open(ctx, board, lock)
	if errors.Is(err, lockboard.ErrOpenFailed) {
		return false, nil // the board answered: it did not open
	}
	if err != nil {
		return false, err // no usable answer: whether it opened is unknown
	}
	return st.Open, nil
}

// Doors implements cabinet.Locks.
func (d *Devices) Doors(ctx context.Context) ([]cabinet.Door, error) {
	if d.locks == nil {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := d.lockConn.WaitReady(ctx); err != nil {
		return nil, err
	}
	var out []cabinet.Door
	for _, b := range d.boards {
		sts, err := d.locks.States(ctx, b.addr)
		if err != nil {
			return out, err
		}
		for _, st := range sts {
			out = append(out, cabinet.Door{Board: st.Board, Lock: st.Lock, Open: st.Open})
		}
	}
	return out, nil
}
