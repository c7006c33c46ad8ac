package auth

import (
	"context"
	"fmt"
	"sync"
	"time"

	"cashier/app"
)

// OverrideTTL is how long a manager's approval waits to be used.
const OverrideTTL = 2 * time.Minute

// Errors of an override.
var (
	ErrOverrideSelf = app.NewError("auth.override_self")
	ErrOverrideOff  = app.NewError("auth.override_off")
	// ErrOverrideOtherStore: the approver serves another store.
	ErrOverrideOtherStore = app.NewError("auth.override_other_store")
	// ErrOverrideRole carries Name: only a store manager or an
	// administrator approves an override (a clerk holding the permission
	// may use it, not lend it).
	ErrOverrideRole = app.NewError("auth.override_role")
)

// Overrides holds managers' approvals in memory: each lets one check of
// one permission pass for one person, once, within OverrideTTL. They are
// not stored: a restart drops the approvals not yet used, which is the
// safe way to lose them. Safe for concurrent use.
type Overrides struct {
	clock   app.Clock
	mu      sync.Mutex
	pending map[overrideKey]approval
}

type overrideKey struct {
	staffID int64
	perm    string
}

type approval struct {
	by app.Staff
	at time.Time // on clock, for Since
}

// NewOverrides makes an empty registry on clock.
func NewOverrides(clock app.Clock) *Overrides {
	return &Overrides{clock: clock, pending: map[overrideKey]approval{}}
}

func (o *Overrides) valid(a approval) bool {
	d := o.clock.Since(a.at)
	return d >= 0 && d < OverrideTTL
}

// put records an approval; a newer one for the same person and permission
// replaces the older (still one use).
func (o *Overrides) put(staffID int64, perm string, by app.Staff) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for k, a := range o.pending {
		if !o.valid(a) {
			delete(o.pending, k)
		}
	}
	o.pending[overrideKey{staffID, perm}] = approval{by: by, at: o.clock.Now()}
}

// take uses up the approval for staffID and perm, if there is a live one.
func (o *Overrides) take(staffID int64, perm string) (app.Staff, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	k := overrideKey{staffID, perm}
	a, ok := o.pending[k]
	delete(o.pending, k)
	if !ok || !o.valid(a) {
		return app.Staff{}, false
	}
	return a.by, true
}

// servesStoreOf: the approver is an administrator (no store: every one)
// or of the person's store, as a countersign must be.
func servesStoreOf(approver, s app.Staff) bool {
	return approver.StoreID == 0 || s.StoreID == 0 || approver.StoreID == s.StoreID
}

// Override lets a manager approve, with their staff number and PIN on the
// clerk's screen, one action needing perm that forStaffID may not do: the
// next permission check of perm for that person passes once (within
// OverrideTTL) and names the approver. The PIN is checked as Verify does
// (a wrong one counts towards the manager's lockout). Refused: the same
// person, an approver who is not a store manager or administrator, is
// disabled or may not do it themselves (a manager needs no shift), or one
// of another store. Approvals and
// refusals are audited, naming both people and the permission.
func (a *Auth) Override(ctx context.Context, managerCode, pin string, forStaffID int64, perm string) (app.Staff, error) {
	if !app.KnownPermission(perm) {
		return app.Staff{}, app.ErrPermissionCode.With("Code", perm)
	}
	if a.Overrides == nil {
		return app.Staff{}, ErrOverrideOff
	}
	clerk, err := a.Store.StaffByID(ctx, forStaffID)
	if err != nil {
		return app.Staff{}, err
	}
	refuse := func(err error) (app.Staff, error) {
		why := err.Error()
		if m, ok := app.AsMessage(err); ok {
			why = m.Code
		}
		_ = a.Store.Audit(ctx, app.AuditEntry{At: a.Clock.Now(), StaffID: clerk.ID, Action: "override_refused",
			Subject: clerk.Code, Detail: fmt.Sprintf("perm=%s approver=%s reason=%s", perm, managerCode, why)})
		return app.Staff{}, err
	}
	m, err := a.Verify(ctx, managerCode, pin)
	if err != nil {
		return refuse(err)
	}
	if m.ID == clerk.ID {
		return refuse(ErrOverrideSelf)
	}
	if m.Role != app.RoleManager && m.Role != app.RoleAdmin {
		return refuse(ErrOverrideRole.With("Name", m.Name))
	}
	if !servesStoreOf(m, clerk) {
		return refuse(ErrOverrideOtherStore.With("Name", m.Name))
	}
	if err := (Rules{Store: a.Store}).allowed(ctx, m, perm); err != nil {
		return refuse(err)
	}
	if err := a.Store.Audit(ctx, app.AuditEntry{At: a.Clock.Now(), StaffID: m.ID, Action: "override", Subject: clerk.Code,
		Detail: fmt.Sprintf("perm=%s for=%s(%s) approver=%s(%s)", perm, clerk.Code, clerk.Name, m.Code, m.Name)}); err != nil {
		return app.Staff{}, err
	}
	a.Overrides.put(clerk.ID, perm, m)
	return m, nil
}
