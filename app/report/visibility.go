package report

import (
	"context"

	"cashier/app"
	"cashier/app/summary"
)

// Scope is what one person may see in the reports, decided by Visibility.
type Scope struct {
	Staff app.Staff // the person as read now
	// StoreID is the one store they may see; AllStores: every store of the
	// merchant (an administrator belongs to none).
	StoreID   int64
	AllStores bool
	// OwnFigures: summaries, breakdowns and bills count only the money
	// they took themselves.
	OwnFigures bool
	// OwnOrders: the details list only orders they took.
	OwnOrders bool
}

// Visibility is who sees what (business-rules sections 1 and 2, as the
// store's transactions view applies them):
//
//   - a person holding view_store_orders (store managers and
//     administrators by default) sees their store — an administrator every
//     store — whole: every figure, every order;
//   - anyone else sees the figures of their own takings only (their
//     shifts, their sales and refunds), and a clerk only while clocked on;
//   - while clocked on, anyone may see the store's transaction details
//     (section 2); off shift, a manager or administrator without the
//     permission sees the orders they took, a clerk nothing;
//   - a disabled person sees nothing.
func Visibility(s app.Staff, onShift bool) (Scope, error) {
	if s.Disabled {
		return Scope{}, app.ErrStaffDisabled.With("Name", s.Name)
	}
	sc := Scope{Staff: s, StoreID: s.StoreID, AllStores: s.StoreID == 0}
	if s.Has(app.PermViewStoreOrders) {
		return sc, nil
	}
	if s.Role == app.RoleClerk && !onShift {
		return Scope{}, ErrOffShift.With("Name", s.Name)
	}
	sc.OwnFigures = true
	sc.OwnOrders = !onShift
	return sc, nil
}

// Scope reads the person afresh (a permission revoked a minute ago counts
// now) and applies Visibility.
func (s *Service) Scope(ctx context.Context, viewer app.Staff) (Scope, error) {
	if viewer.ID == 0 {
		return Scope{}, app.ErrUnknownStaff
	}
	p := viewer
	if s.People != nil {
		var err error
		if p, err = s.People.StaffByID(ctx, viewer.ID); err != nil {
			return Scope{}, err
		}
	}
	on := false
	if !p.Has(app.PermViewStoreOrders) && !p.Disabled && s.Shifts != nil {
		var err error
		if on, err = s.Shifts.ClockedOn(ctx, p.ID); err != nil {
			return Scope{}, err
		}
	}
	return Visibility(p, on)
}

// Sees reports whether the scope covers storeID.
func (sc Scope) Sees(storeID int64) bool { return sc.AllStores || sc.StoreID == storeID }

func (sc Scope) checkStore(storeID int64) error {
	if storeID == 0 {
		return summary.ErrNoStore
	}
	if !sc.Sees(storeID) {
		return ErrNotVisible.With("Name", sc.Staff.Name)
	}
	return nil
}

// own narrows a staff filter to the person when they see only their own:
// another person's ID is refused, none becomes theirs.
func (sc Scope) own(only bool, staffID int64) (int64, error) {
	if !only {
		return staffID, nil
	}
	if staffID != 0 && staffID != sc.Staff.ID {
		return 0, ErrNotVisible.With("Name", sc.Staff.Name)
	}
	return sc.Staff.ID, nil
}

// Figures applies the scope to a summary filter.
func (sc Scope) Figures(f summary.Filter) (summary.Filter, error) {
	if err := sc.checkStore(f.StoreID); err != nil {
		return f, err
	}
	var err error
	f.StaffID, err = sc.own(sc.OwnFigures, f.StaffID)
	return f, err
}

// Orders applies the scope to a details filter.
func (sc Scope) Orders(f DetailFilter) (DetailFilter, error) {
	if err := sc.checkStore(f.StoreID); err != nil {
		return f, err
	}
	var err error
	f.StaffID, err = sc.own(sc.OwnOrders, f.StaffID)
	return f, err
}
