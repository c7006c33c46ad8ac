package main

import (
	"context"
	"time"

	"fyne.io/fyne/v2/theme"

	"cashier/ui/deposits"
	"cashier/ui/i18n"
	"cashier/ui/shell"
)

// depositsWorkspace is the hotel front desk (押金): offered where the
// terminal's cashier mode takes deposits (仅押金, 收银+押金).
func depositsWorkspace(s *Services) shell.Workspace {
	return shell.Workspace{ID: "deposits", TitleKey: i18n.Key("nav.deposits"), Icon: theme.StorageIcon(),
		Visible: func(se shell.Session) bool {
			return s.Desk != nil && se.Terminal.CashierMode.Takes(true)
		},
		Build: func(se shell.Session) shell.Page {
			v := deposits.New(depositsDeps(s, se))
			return shell.Page{Content: v.Content(), Focus: v.Focus(), Stop: v.Stop}
		}}
}

// depositsDeps are the desk screen's dependencies for the person logged in.
func depositsDeps(s *Services, se shell.Session) deposits.Deps {
	var loc *time.Location // the computer's, when the store cannot be read
	if st, err := s.DB.CurrentStore(s.ctx); err == nil {
		loc = st.Location()
	}
	d := deposits.Deps{Desk: s.Desk, Staff: se.Staff, Clock: s.Clock, Location: loc, Canvas: se.Window.Canvas(),
		Override: askOverride(s, se), Signals: s.Signals,
		Reprint: func(ctx context.Context, no string) error { return s.Checkout.Reprint(ctx, no, se.Staff) }}
	if s.Devices != nil {
		d.Detector, d.Scans = s.Devices.wedge, s.Devices.scanCodes
	}
	return d
}
