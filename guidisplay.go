package main

import (
	"context"
	"strconv"

	"fyne.io/fyne/v2"

	"cashier/app"
	"cashier/app/settings"
	"cashier/ui/async"
	"cashier/ui/counter"
	"cashier/ui/custdisplay"
	"cashier/ui/shell"
)

// startCustomerDisplay gives the main window its customer display (顾客屏):
// made once as Services.CustomerDisplay, which the Counter drives; its
// window opens when this terminal's setting says so, opens or closes when
// the setting changes (SignalTerminal, no restart), and closes with the
// main window. storeName is the store's name as started.
func startCustomerDisplay(a fyne.App, s *Services, sh *shell.Shell, storeName string) *custdisplay.Window {
	d := custdisplay.NewWindow(a, custdisplay.Deps{StoreName: storeName, DemoPay: s.SandboxPayQR})
	s.CustomerDisplay = d
	apply := func() {
		var on bool
		var name string
		var err error
		async.Run(func() {
			ctx := context.Background()
			var v string
			if v, err = s.Settings.CustomerDisplay(ctx); err != nil {
				return
			}
			on = v == settings.DisplayWindow
			if st, e := s.DB.CurrentStore(ctx); e == nil {
				name = st.Name
			}
		}, func() {
			if err != nil {
				// A value this build does not know: the window stays as
				// it is; Settings shows the error where it can be fixed.
				fyne.LogError("customer display setting", err)
				return
			}
			if name != "" {
				d.SetStoreName(name)
			}
			if on {
				if !d.IsOpen() {
					d.Open()
					// A new window takes the keyboard: give it back to
					// the cashier's window.
					sh.Window().RequestFocus()
				}
			} else {
				d.Close()
			}
		})
	}
	cancel := s.Signals.Subscribe(app.SignalTerminal, func(any) { apply() })
	apply()
	// The shell's own OnClosed stops it; this one takes its place.
	sh.Window().SetOnClosed(func() {
		cancel()
		sh.Stop()
		d.Close()
	})
	return d
}

// counterDisplay is the customer display as the Counter drives it: the
// Counter's view of the sale in the display's terms. A nil window takes
// everything quietly (no GUI, the display off).
type counterDisplay struct{ w *custdisplay.Window }

// customerDisplay is what the Counter's Deps.Display gets: nil without a
// customer display (a test's services, the CLI).
func customerDisplay(s *Services) counter.CustomerDisplay {
	if s.CustomerDisplay == nil {
		return nil
	}
	return counterDisplay{s.CustomerDisplay}
}

var customerPhases = map[counter.CustomerPhase]custdisplay.Phase{
	counter.CustomerIdle:      custdisplay.Idle,
	counter.CustomerCart:      custdisplay.Cart,
	counter.CustomerAwaitCode: custdisplay.AwaitCode,
	counter.CustomerQR:        custdisplay.QR,
	counter.CustomerPaid:      custdisplay.Paid,
	counter.CustomerFailed:    custdisplay.Failed,
}

func (c counterDisplay) ShowCustomer(cv counter.CustomerView) {
	c.w.Show(displayScreen(cv))
}

// displayScreen is the Counter's state as the customer display shows it.
func displayScreen(cv counter.CustomerView) custdisplay.Screen {
	o := cv.Order
	phase, ok := customerPhases[cv.Phase]
	if !ok {
		phase = custdisplay.Cart // a state this display does not name: the sale, not a welcome
	}
	sc := custdisplay.Screen{Phase: phase, Total: o.Total, Discount: o.Discount, Due: cv.Due,
		Paid: o.Paid, Change: cv.Change, QR: cv.QR, QRWallet: cv.Wallet, Expires: cv.Expires, Message: cv.Message}
	if sc.Phase == custdisplay.Paid && sc.Paid == 0 {
		sc.Paid = o.Payable
	}
	sc.Lines = make([]custdisplay.Line, len(o.Lines))
	for i, l := range o.Lines {
		sc.Lines[i] = custdisplay.Line{Name: l.Name, Qty: strconv.FormatInt(l.Qty, 10), Amount: l.Amount}
	}
	return sc
}

// SettingCustomerDisplay is the customer display's setting, which `pos
// config` sets too (an installer putting in the second screen).
const SettingCustomerDisplay = settings.SettingCustomerDisplay
