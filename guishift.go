package main

import (
	"context"
	"time"

	"fyne.io/fyne/v2/theme"

	"cashier/app/deposit"
	"cashier/app/shift"
	"cashier/localdb"
	"cashier/ui/i18n"
	"cashier/ui/shell"
	shiftui "cashier/ui/shift"
	"cashier/ui/transactions"
)

// shiftWorkspaces are the Shift workspace and the store's transactions;
// none when the shift service was not started.
func shiftWorkspaces(s *Services) []shell.Workspace {
	if s.Shifts == nil {
		return nil
	}
	return []shell.Workspace{
		{ID: "shift", TitleKey: i18n.Key("nav.shift"), Icon: theme.HistoryIcon(), Build: func(se shell.Session) shell.Page {
			v := shiftui.New(shiftui.Deps{Shifts: shiftView{s.Shifts}, Signals: s.Signals, Staff: se.Staff, Window: se.Window})
			return shell.Page{Content: v.Content(), Focus: v.Focus(), Stop: v.Stop}
		}},
		{ID: "transactions", TitleKey: i18n.Key("nav.transactions"), Icon: theme.ListIcon(),
			// A clerk without the permission is offered it only on shift;
			// the view itself closes at clock-off.
			Visible: func(se shell.Session) bool { return transactions.Visible(se.Staff, se.OnShift) },
			Build: func(se shell.Session) shell.Page {
				v := transactions.New(transactions.Deps{Orders: storeOrders{s.DB}, Shifts: onShift{s.Shifts},
					Signals: s.Signals, Staff: se.Staff})
				return shell.Page{Content: v.Content(), Stop: v.Stop}
			}},
	}
}

// withShifts gives the shell its status bar and the clock-on button there.
func withShifts(s *Services, d *shell.Deps) {
	if s.Shifts == nil {
		return
	}
	d.Shifts = shiftStatus{s: s.Shifts, db: s.DB, desk: s.Desk}
	d.ClockOn = func(se shell.Session) { shiftui.ShowClockOn(se.Window, s.Shifts, se.Staff, nil) }
}

// shiftView is the shift service as the Shift workspace asks for it.
type shiftView struct{ *shift.Service }

// recentShifts is how many shifts the workspace lists.
const recentShifts = 50

func (v shiftView) Recent(ctx context.Context, staffID int64, store bool) ([]shift.Shift, error) {
	q := shift.Query{Limit: recentShifts}
	if !store {
		q.StaffID = staffID
	}
	return v.List(ctx, q)
}

// shiftStatus feeds the status bar: the person's open shift with what it
// received so far, and how many others are on shift in the store.
type shiftStatus struct {
	s  *shift.Service
	db *localdb.DB
	// desk counts the deposits near their wallet's automatic refund
	// (nil: no deposit desk here).
	desk *deposit.Desk
}

func (f shiftStatus) ShiftStatus(ctx context.Context, staffID int64) (shell.ShiftStatus, error) {
	var out shell.ShiftStatus
	if f.db != nil {
		p, err := f.db.StaffByID(ctx, staffID)
		if err != nil {
			return out, err
		}
		if p.Disabled {
			out.Disabled = true
			return out, nil
		}
	}
	open, err := f.s.OpenShifts(ctx)
	if err != nil {
		return out, err
	}
	for _, sh := range open {
		if sh.StaffID != staffID {
			out.Others++
			continue
		}
		sum, err := f.s.Takings(ctx, sh.ID)
		if err != nil {
			return out, err
		}
		out.On, out.Since, out.Received = true, sh.StartedAt, sum.Total.Received
	}
	if f.desk != nil {
		if out.DepositsNearLimit, err = f.desk.NearLimit(ctx); err != nil {
			return out, err
		}
	}
	return out, nil
}

type onShift struct{ s *shift.Service }

func (o onShift) OnShift(ctx context.Context, staffID int64) (bool, error) {
	_, on, err := o.s.Current(ctx, staffID)
	return on, err
}

// storeOrders lists the store's orders from the database.
type storeOrders struct{ db *localdb.DB }

func (o storeOrders) Store(ctx context.Context) (int64, *time.Location, error) {
	st, err := o.db.CurrentStore(ctx)
	if err != nil {
		return 0, nil, err
	}
	return st.ID, st.Location(), nil
}

func (o storeOrders) StoreOrders(ctx context.Context, storeID int64, from, to time.Time) ([]transactions.Row, error) {
	rows, err := o.db.StoreOrders(ctx, storeID, from, to)
	out := make([]transactions.Row, 0, len(rows))
	for _, r := range rows {
		out = append(out, transactions.Row{At: r.Order.CreatedAt, No: r.Order.OrderNo, Kind: r.Order.Kind, Status: r.Order.Status,
			Amount: r.Order.Payable, Paid: r.Order.Paid, Refunded: r.Order.Refunded, Methods: r.Methods, Staff: r.StaffName})
	}
	return out, err
}
