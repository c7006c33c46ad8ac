package main

import (
	"context"
	"strconv"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"

	"cashier/app"
	"cashier/app/jobs"
	"cashier/app/sale"
	"cashier/app/settings"
	"cashier/hardware"
	"cashier/hardware/devicemsg"
	"cashier/hardware/printer"
	"cashier/hardware/printq"
	"cashier/hardware/sim"
	"cashier/localdb"
	"cashier/ui/counter"
	"cashier/ui/devices"
	"cashier/ui/held"
	"cashier/ui/i18n"
	"cashier/ui/refund"
	uisettings "cashier/ui/settings"
	"cashier/ui/shell"
	"cashier/ui/today"
)

// workspaces are the GUI's workspaces in navigation order, each given the
// narrow interfaces it declares.
func workspaces(s *Services) []shell.Workspace {
	return append([]shell.Workspace{
		{ID: "counter", TitleKey: i18n.Key("nav.counter"), Icon: theme.ConfirmIcon(),
			// 仅押金: the front desk takes no sales.
			Visible: func(se shell.Session) bool { return se.Terminal.CashierMode.Takes(false) },
			Build: func(se shell.Session) shell.Page {
				v := counter.New(counterDeps(s, se))
				return shell.Page{Content: v.Content(), Focus: v.Line, Stop: v.Stop}
			}},
		depositsWorkspace(s),
		{ID: "devices", TitleKey: i18n.Key("nav.devices"), Icon: theme.ComputerIcon(), Build: func(se shell.Session) shell.Page {
			d := devicesDeps(s, se.Staff)
			d.Override = askOverride(s, se)
			v := devices.New(d)
			return shell.Page{Content: v.Content(), Stop: v.Stop}
		}},
		staffWorkspace(s),
	}, append(append(shiftWorkspaces(s), reportsWorkspace(s), reconcileWorkspace(s)), productsWorkspace(s), auditWorkspace(s), refundWorkspace(s), todayWorkspace(s))...)
}

// settingsDeps is the Settings workspace's service: the settings use
// cases, with the scheduled jobs (定时任务) when they run here.
func settingsDeps(s *Services) uisettings.Service {
	if s.Jobs == nil {
		return s.Settings
	}
	return settingsWithJobs{Service: s.Settings, jobs: s.Jobs}
}

type settingsWithJobs struct {
	settings.Service
	jobs *jobs.Registry
}

func (s settingsWithJobs) Jobs() uisettings.Jobs { return s.jobs }

// scanCodes is the scan stream (serial scanners and the keyboard wedge) as codes.
func (d *Devices) scanCodes() (<-chan string, func()) {
	in, cancel := d.hub.Subscribe()
	out := make(chan string, 8)
	go func() {
		defer close(out)
		for s := range in {
			out <- s.Code
		}
	}()
	return out, cancel
}

func devicesDeps(s *Services, staff app.Staff) devices.Deps {
	d := s.Devices
	if d == nil {
		return devices.Deps{}
	}
	out := devices.Deps{Status: statusFeed{d}}
	if d.queue != nil { // a cabinet-only start has no printer or queue
		out.Queue = queueView{d.queue}
	}
	if d.emu != nil {
		out.Printer = virtualPrinter{d.emu}
	}
	if d.spkSim != nil {
		out.Speaker = virtualSpeaker{d.spkSim}
	}
	if s.Cabinet != nil {
		out.Cabinet = cabinetView{s: s, staff: staff}
		if d.lockBus != nil {
			out.SimCabinet = simCabinet{d}
		}
	}
	return out
}

type statusFeed struct{ d *Devices }

func (f statusFeed) Statuses() []devices.Status {
	d := f.d
	var out []devices.Status
	if d.printer != nil {
		pe := d.printer.State()
		name := i18n.T("devices.name.printer") + " " + strconv.Itoa(int(d.paper)) + "mm"
		if d.emu != nil {
			name += i18n.T("devices.simulated")
		}
		out = append(out, devices.Status{Name: name, Kind: "printer", State: string(pe.State), StateName: devicemsg.State(pe.State),
			Message: deviceWhy(pe.Err, "")})
	}
	for _, st := range d.registry.States() {
		n := st.Device
		switch st.Device {
		case "speaker":
			n = i18n.T("devices.name.speaker")
			if d.spkSim != nil {
				n += i18n.T("devices.simulated")
			}
		case "scanner":
			n = i18n.T("devices.name.scanner")
		case "locks":
			n = i18n.T("devices.name.locks")
			if d.lockBus != nil {
				n += i18n.T("devices.simulated")
			}
		}
		out = append(out, devices.Status{Name: n, Kind: st.Device, State: string(st.State), StateName: devicemsg.State(st.State),
			Message: deviceWhy(st.Err, st.Port)})
	}
	return out
}

// deviceWhy is the detail beside a device's state: the error that explains
// it in the person's language, else the port in use.
func deviceWhy(err error, port string) string {
	if err != nil {
		return i18n.Err(devicemsg.Err(err))
	}
	return port
}

func (f statusFeed) SubscribeStatus(fn func()) func() {
	stopPrinter := func() {}
	if f.d.printer != nil {
		stopPrinter = f.d.printer.Subscribe(func(printer.Event) { go fn() })
	}
	ch, stopReg := f.d.registry.Subscribe()
	go func() {
		for range ch {
			fn()
		}
	}()
	return func() { stopPrinter(); stopReg() }
}

type queueView struct{ q *printq.Queue }

func (q queueView) Jobs(ctx context.Context) ([]devices.Job, error) {
	js, err := q.q.List(ctx, printq.Filter{Limit: 100})
	out := make([]devices.Job, 0, len(js))
	for _, j := range js {
		out = append(out, devices.Job{ID: j.ID, Kind: j.Kind, Ref: j.Ref, State: string(j.State),
			Attempts: j.Attempts, Error: i18n.M(app.Message{Code: j.LastError})})
	}
	return out, err
}

func (q queueView) Reprint(ctx context.Context, id int64) error {
	_, err := q.q.Reprint(ctx, id)
	return err
}

type virtualPrinter struct{ emu *sim.PrinterEmulator }

func receiptOf(r sim.PrinterReceipt) devices.Receipt {
	return devices.Receipt{At: r.At, Image: r.Image, Text: r.Text}
}

func (p virtualPrinter) Receipts() []devices.Receipt {
	var out []devices.Receipt
	for _, r := range p.emu.Receipts() {
		out = append(out, receiptOf(r))
	}
	return out
}

func (p virtualPrinter) SubscribeReceipts(fn func(devices.Receipt)) func() {
	return p.emu.OnReceipt(func(r sim.PrinterReceipt) { fn(receiptOf(r)) })
}

func (p virtualPrinter) SetPaperOut(v bool)  { p.emu.SetPaperOut(v) }
func (p virtualPrinter) SetCoverOpen(v bool) { p.emu.SetCoverOpen(v) }

type virtualSpeaker struct{ spk *sim.Speaker }

func (v virtualSpeaker) Spoken() []devices.Utterance {
	var out []devices.Utterance
	for _, u := range v.spk.Spoken() {
		out = append(out, devices.Utterance{At: u.At, Text: u.Text})
	}
	return out
}

func (v virtualSpeaker) SubscribeSpoken(fn func(devices.Utterance)) func() {
	ch, cancel := v.spk.Subscribe()
	go func() {
		for u := range ch {
			fn(devices.Utterance{At: u.At, Text: u.Text})
		}
	}()
	return cancel
}

// cabinetView opens doors for the person logged in, through the cabinet
// use case (permission and audit).
type cabinetView struct {
	s     *Services
	staff app.Staff
}

func (c cabinetView) Doors(ctx context.Context) ([]devices.Door, error) {
	ds, err := c.s.Cabinet.Doors(ctx)
	out := make([]devices.Door, 0, len(ds))
	for _, d := range ds {
		out = append(out, devices.Door{Board: d.Board, Lock: d.Lock, Open: d.Open})
	}
	return out, err
}

func (c cabinetView) OpenDoor(ctx context.Context, board, lock int) error {
	return c.s.Cabinet.OpenDoor(ctx, c.staff.ID, board, lock)
}

func (c cabinetView) SubscribeDoors(fn func()) func() {
	ch, cancel := c.s.Devices.locks.Subscribe()
	go func() {
		for range ch {
			fn()
		}
	}()
	return cancel
}

type simCabinet struct{ d *Devices }

func (c simCabinet) CloseDoors() {
	for _, b := range c.d.boards {
		for l := 1; l <= b.locks; l++ {
			if c.d.lockBus.DoorOpen(b.addr, l) {
				c.d.lockBus.CloseDoor(b.addr, l)
			}
		}
	}
}

// counterDeps wires the Counter to the services of the session.
func counterDeps(s *Services, se shell.Session) counter.Deps {
	d := counter.Deps{Checkout: s.Checkout, Catalog: s.Catalog, Terminal: counterTerminal{s.DB}, Signals: s.Signals,
		Staff: se.Staff, Canvas: se.Window.Canvas(), Window: se.Window, Override: askOverride(s, se)}
	if s.Devices != nil {
		d.Detector, d.Scans = s.Devices.wedge, s.Devices.scanCodes
	}
	if s.Holds != nil {
		d.Held = counterHeld{s: s, se: se}
	}
	if s.Devices != nil && s.Devices.printer != nil {
		p := s.Devices.printer
		d.PrinterProblem = func() string {
			switch st := p.State().State; st {
			case hardware.StatePaperOut, hardware.StateCoverOpen, hardware.StateOffline, hardware.StateDisconnected, hardware.StateError:
				return i18n.T("counter.printer_problem", "State", i18n.M(devicemsg.State(st)))
			}
			return ""
		}
	}
	if s.Checkout != nil {
		d.QR = s.Checkout
		if s.Checkout.Printer != nil {
			d.ReprintLast = reprintLast(s, se.Staff)
		}
	}
	d.Display = customerDisplay(s)
	d.Today = func(closed func()) {
		var hide func()
		td := todayDeps(s, se)
		td.OnClose = func() { hide() }
		v := today.New(td)
		hide = overCounter(se.Window, i18n.T("nav.today"), v.Content(), v.Focus(), func() { v.Stop(); closed() })
	}
	if s.Refunds != nil {
		d.Refund = func(closed func()) {
			var hide func()
			rd := refundDeps(s, se)
			rd.OnClose = func() { hide() }
			v := refund.New(rd)
			hide = overCounter(se.Window, i18n.T("nav.refund"), v.Content(), v.Focus(), func() { v.Stop(); closed() })
		}
	}
	return d
}

// overCounter shows a screen in a dialog over the Counter with the focus
// in it; closed runs once it is gone. It returns what closes it.
func overCounter(win fyne.Window, title string, content fyne.CanvasObject, focus fyne.Focusable, closed func()) (hide func()) {
	dlg := dialog.NewCustomWithoutButtons(title, content, win)
	dlg.SetOnClosed(closed)
	size := win.Canvas().Size()
	dlg.Resize(fyne.NewSize(size.Width*0.94, size.Height*0.92))
	dlg.Show()
	win.Canvas().Focus(focus)
	return dlg.Hide
}

// counterHeld parks carts through the holds use case and picks them back
// from the held-orders list (ui/held) over the Counter.
type counterHeld struct {
	s  *Services
	se shell.Session
}

func (h counterHeld) Hold(ctx context.Context, staff app.Staff, label string, c sale.Cart) error {
	_, err := h.s.Holds.Hold(ctx, staff, sale.HeldFromCart(c, label))
	return err
}

func (h counterHeld) Pick(resume func(sale.Cart), closed func()) {
	held.Open(h.se.Window, held.Deps{Holds: h.s.Holds, Staff: h.se.Staff, Signals: h.s.Signals,
		OnResume: func(o app.HeldOrder) { resume(sale.CartFromHeld(o)) }, OnClose: closed,
		Override: askOverride(h.s, h.se)})
}

// counterTerminal gives the Counter the terminal and the store's rules.
type counterTerminal struct{ db *localdb.DB }

func (t counterTerminal) CurrentTerminal(ctx context.Context) (app.TerminalInfo, error) {
	return t.db.CurrentTerminal(ctx)
}

func (t counterTerminal) CounterRules(ctx context.Context) (counter.Rules, error) {
	st, err := t.db.CurrentStore(ctx)
	if err != nil {
		return counter.Rules{}, err
	}
	return counter.Rules{Mode: counter.PayMode(st.PaymentMode.Or()), FloorPct: st.DiscountFloorPct}, nil
}
