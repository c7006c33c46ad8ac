package auth

import (
	"context"
	"errors"

	"cashier/app"
)

// Rules is the shop's app.Permits: it reads the person afresh for every
// check. A permission must be held by a person who is not disabled;
// refunds and deposit operations by a clerk need an open shift as well (a
// store manager or administrator may do them at any time). A check that
// fails for want of the permission (or of a shift) passes once when a
// manager has approved exactly this for this person within OverrideTTL
// (Auth.Override); a disabled person is never let through.
type Rules struct {
	Store Store
	// Overrides holds the managers' one-shot approvals; nil: none.
	Overrides *Overrides
}

var _ app.Permits = Rules{}

// Check implements app.Permits. On an override it returns the person with
// ApprovedBy and ApprovedByName set, for the action to record.
func (r Rules) Check(ctx context.Context, staffID int64, perm string) (app.Staff, error) {
	if staffID == 0 {
		return app.Staff{}, app.ErrUnknownStaff
	}
	s, err := r.Store.StaffByID(ctx, staffID)
	if err != nil {
		return app.Staff{}, err
	}
	err = r.allowed(ctx, s, perm)
	if err == nil || s.Disabled || !errors.Is(err, app.ErrNoPermission) || r.Overrides == nil {
		return s, err
	}
	by, ok := r.Overrides.take(s.ID, perm)
	if !ok {
		return s, err
	}
	// The approver must still be allowed now: one disabled or stripped of
	// the permission since approving approves nothing.
	now, aerr := r.Store.StaffByID(ctx, by.ID)
	if aerr == nil {
		aerr = r.allowed(ctx, now, perm)
	}
	if aerr != nil || !servesStoreOf(now, s) {
		return s, err
	}
	s.ApprovedBy, s.ApprovedByName = now.ID, now.Name
	return s, nil
}

// allowed applies the rule to s as read now, reading their shift when it
// matters.
func (r Rules) allowed(ctx context.Context, s app.Staff, perm string) error {
	on := false
	if s.Role == app.RoleClerk && needsShift(perm) && !s.Disabled && s.Has(perm) {
		var err error
		if on, err = r.Store.ClockedOn(ctx, s.ID); err != nil {
			return err
		}
	}
	return Allowed(s, perm, on)
}

func needsShift(perm string) bool { return perm == app.PermRefund || perm == app.PermDeposit }

// Allowed applies the rule to a person as read now.
func Allowed(s app.Staff, perm string, clockedOn bool) error {
	if s.Disabled {
		return app.ErrStaffDisabled.With("Name", s.Name)
	}
	if !s.Has(perm) {
		return app.ErrNoPermission.With("Name", s.Name, "Perm", PermName(perm))
	}
	if s.Role == app.RoleClerk && needsShift(perm) && !clockedOn {
		return app.ErrNotOnShift.With("Name", s.Name, "Perm", PermName(perm))
	}
	return nil
}

// PermName names a permission for people.
func PermName(p string) app.Message {
	switch p {
	case app.PermRefund:
		return app.Msg("perm.refund")
	case app.PermDeposit:
		return app.Msg("perm.deposit")
	case app.PermDiscount:
		return app.Msg("perm.discount")
	case app.PermVoidLine:
		return app.Msg("perm.void_line")
	case app.PermOpenDrawer:
		return app.Msg("perm.open_drawer")
	case app.PermAdjustBalance:
		return app.Msg("perm.adjust_balance")
	case app.PermCabinet:
		return app.Msg("perm.cabinet_door")
	case app.PermSettings:
		return app.Msg("perm.settings")
	case app.PermStaffManage:
		return app.Msg("perm.staff_manage")
	case app.PermViewStoreOrders:
		return app.Msg("perm.view_store_orders")
	case app.PermShiftHandover:
		return app.Msg("perm.shift_handover")
	case app.PermProductManage:
		return app.Msg("perm.product_manage")
	}
	return app.Msg("perm.other", "Code", p)
}
