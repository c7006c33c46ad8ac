// Package auth logs staff in and decides what they may do: PINs with a
// durable lockout, and the permission rules of business-rules section 1,
// checked against the person as stored at the moment of the action.
package auth

import (
	"context"
	"fmt"
	"time"
	"unicode"

	"golang.org/x/crypto/bcrypt"

	"cashier/app"
)

// Login policy: 5 wrong PINs lock that person for 5 minutes.
const (
	MaxPINAttempts = 5
	PINLockout     = 5 * time.Minute
	MinPINLength   = 4
	MaxPINLength   = 12
)

var (
	ErrPINFormat = app.NewError("auth.pin_format").With("Min", MinPINLength, "Max", MaxPINLength)
	// ErrWrongPIN carries Remaining: tries left before the lockout.
	ErrWrongPIN = app.NewError("auth.wrong_pin")
	// ErrLocked carries Until: when the lockout ends.
	ErrLocked = app.NewError("auth.locked")
)

// Store is what login and the permission rules need from storage.
type Store interface {
	StaffByCode(ctx context.Context, code string) (app.Staff, string, error) // staff, PIN hash
	StaffByID(ctx context.Context, id int64) (app.Staff, error)
	// SetLoginState records failures and lockouts durably.
	SetLoginState(ctx context.Context, staffID int64, failed int, lockedUntil time.Time) error
	// ClockedOn reports whether the person has an open shift.
	ClockedOn(ctx context.Context, staffID int64) (bool, error)
	app.AuditLog
}

// PINHasher hashes and checks PINs with a deliberately slow hash.
type PINHasher struct{ Cost int }

// DefaultPINHasher uses bcrypt's default cost (~50–100 ms a check), slow
// enough that a stolen database does not give up 4–6 digit PINs quickly.
var DefaultPINHasher = PINHasher{Cost: bcrypt.DefaultCost}

// ValidatePIN checks the PIN's form.
func ValidatePIN(pin string) error {
	if len(pin) < MinPINLength || len(pin) > MaxPINLength {
		return ErrPINFormat
	}
	for _, r := range pin {
		if !unicode.IsDigit(r) || r > '9' {
			return ErrPINFormat
		}
	}
	return nil
}

func (h PINHasher) Hash(pin string) (string, error) {
	if err := ValidatePIN(pin); err != nil {
		return "", err
	}
	cost := h.Cost
	if cost == 0 {
		cost = bcrypt.DefaultCost
	}
	b, err := bcrypt.GenerateFromPassword([]byte(pin), cost)
	return string(b), err
}

func (h PINHasher) Check(hash, pin string) bool {
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(pin)) == nil
}

// Auth logs staff in.
type Auth struct {
	Store  Store
	Clock  app.Clock
	Hasher PINHasher
}

// Login checks code and PIN. Wrong PINs are counted durably; the fifth in a
// row locks the person for PINLockout. A lockout ends by itself; the count
// restarts after it.
func (a *Auth) Login(ctx context.Context, code, pin string) (app.Staff, error) {
	s, hash, err := a.Store.StaffByCode(ctx, code)
	if err != nil {
		return app.Staff{}, err
	}
	now := a.Clock.Now()
	if s.Disabled {
		a.audit(ctx, s.ID, "login_refused", "disabled")
		return app.Staff{}, app.ErrStaffDisabled.With("Name", s.Name)
	}
	if now.Before(s.LockedUntil) {
		a.audit(ctx, s.ID, "login_refused", "locked")
		return app.Staff{}, ErrLocked.With("Until", s.LockedUntil)
	}
	failed := s.FailedAttempts
	if !s.LockedUntil.IsZero() && !now.Before(s.LockedUntil) {
		failed = 0 // the lockout has expired: a fresh set of tries
	}
	if !a.Hasher.Check(hash, pin) {
		failed++
		var until time.Time
		result := ErrWrongPIN.With("Remaining", MaxPINAttempts-failed)
		if failed >= MaxPINAttempts {
			until = now.Add(PINLockout)
			result = ErrLocked.With("Until", until)
		}
		if err := a.Store.SetLoginState(ctx, s.ID, failed, until); err != nil {
			return app.Staff{}, err
		}
		a.audit(ctx, s.ID, "login_failed", fmt.Sprintf("attempt %d", failed))
		return app.Staff{}, result
	}
	if s.FailedAttempts != 0 || !s.LockedUntil.IsZero() {
		if err := a.Store.SetLoginState(ctx, s.ID, 0, time.Time{}); err != nil {
			return app.Staff{}, err
		}
	}
	s.FailedAttempts, s.LockedUntil = 0, time.Time{}
	a.audit(ctx, s.ID, "login", "")
	return s, nil
}

func (a *Auth) audit(ctx context.Context, id int64, action, detail string) {
	_ = a.Store.Audit(ctx, app.AuditEntry{At: a.Clock.Now(), StaffID: id, Action: action, Detail: detail})
}

// Rules is the shop's app.Permits: it reads the person afresh for every
// check. A permission must be held (by role or personal grant) by a person
// who is not disabled; refunds and deposit operations by a clerk need an
// open shift as well (a store manager or administrator may do them at any
// time).
type Rules struct{ Store Store }

var _ app.Permits = Rules{}

// Check implements app.Permits.
func (r Rules) Check(ctx context.Context, staffID int64, perm string) (app.Staff, error) {
	if staffID == 0 {
		return app.Staff{}, app.ErrUnknownStaff
	}
	s, err := r.Store.StaffByID(ctx, staffID)
	if err != nil {
		return app.Staff{}, err
	}
	on := false
	if s.Role == app.RoleClerk && needsShift(perm) {
		if on, err = r.Store.ClockedOn(ctx, s.ID); err != nil {
			return s, err
		}
	}
	return s, Allowed(s, perm, on)
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
	case app.PermSettings:
		return app.Msg("perm.settings")
	case app.PermGrant:
		return app.Msg("perm.grant")
	case app.PermAdjustBalance:
		return app.Msg("perm.adjust_balance")
	case app.PermViewStoreOrders:
		return app.Msg("perm.view_store_orders")
	case app.PermShiftHandover:
		return app.Msg("perm.shift_handover")
	case app.PermCabinet:
		return app.Msg("perm.cabinet_door")
	}
	return app.Msg("perm.other", "Code", p)
}
