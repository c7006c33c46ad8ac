// Package auth logs staff in and decides what they may do: PINs with a
// durable lockout (shared by logins, PIN changes and a manager's override
// or countersign), and the permission rules of business-rules section 1,
// checked against the person as stored at the moment of the action, with
// a manager's one-shot override.
package auth

import (
	"context"
	"errors"
	"fmt"
	"sync"
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
	// ErrMustChangePIN: the PIN is right but was set by someone else; it
	// lets the person change it (ChangePIN) and nothing else.
	ErrMustChangePIN = app.NewError("auth.must_change_pin")
	ErrPINSame       = app.NewError("auth.pin_same")
)

// Store is what login and the permission rules need from storage.
type Store interface {
	StaffByCode(ctx context.Context, code string) (app.Staff, string, error) // staff, PIN hash
	StaffByID(ctx context.Context, id int64) (app.Staff, error)
	// SetLoginState records failures and lockouts durably.
	SetLoginState(ctx context.Context, staffID int64, failed int, lockedUntil time.Time) error
	// SetPIN stores a new PIN hash and the must-change mark, clears the
	// failures and any lockout, and writes e, in one transaction.
	SetPIN(ctx context.Context, staffID int64, hash string, mustChange bool, e app.AuditEntry) error
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

// Auth logs staff in, changes PINs and takes managers' overrides.
type Auth struct {
	Store  Store
	Clock  app.Clock
	Hasher PINHasher
	// Overrides receives the approvals Override grants (the same registry
	// as the Rules that consume them); nil refuses every override.
	Overrides *Overrides

	// pins makes each PIN check one step: read the count, compare, write
	// the count. Checks at the same moment (a login and an override, a
	// script) each read what the one before wrote, so none is lost and no
	// more than MaxPINAttempts are compared before the lockout. Within one
	// process is enough: only a holder of the data folder's lock logs
	// anyone in. Not a database transaction: that would hold up every
	// sale for the length of a bcrypt.
	pins sync.Mutex
}

// Login checks code and PIN. Wrong PINs are counted durably; the fifth in a
// row locks the person for PINLockout. A lockout ends by itself; the count
// restarts after it. A right PIN that was set by someone else gives
// ErrMustChangePIN: the person sets their own (ChangePIN) and logs in with it.
func (a *Auth) Login(ctx context.Context, code, pin string) (app.Staff, error) {
	s, err := a.check(ctx, code, pin, "login")
	if err != nil {
		return app.Staff{}, err
	}
	a.audit(ctx, s.ID, "login", "")
	return s, nil
}

// Verify checks a person's PIN for something other than a login (a
// manager's override, a countersign): the same rules and the same count
// towards their lockout as Login, audited as failed logins are. A success
// writes no line: the caller records what the PIN approved.
func (a *Auth) Verify(ctx context.Context, code, pin string) (app.Staff, error) {
	return a.check(ctx, code, pin, "verify")
}

// ChangePIN sets a person's own new PIN, checking the old one as a login
// does (a wrong one counts towards the lockout). The new PIN must have the
// PIN's form and differ from the old. It clears the must-change mark.
func (a *Auth) ChangePIN(ctx context.Context, code, oldPIN, newPIN string) error {
	if err := ValidatePIN(newPIN); err != nil {
		return err
	}
	if newPIN == oldPIN {
		return ErrPINSame
	}
	s, err := a.check(ctx, code, oldPIN, "pin_change")
	if err != nil && !errors.Is(err, ErrMustChangePIN) {
		return err
	}
	hash, err := a.Hasher.Hash(newPIN)
	if err != nil {
		return err
	}
	return a.Store.SetPIN(ctx, s.ID, hash, false, app.AuditEntry{At: a.Clock.Now(), StaffID: s.ID, Action: "pin_change", Subject: s.Code})
}

// check verifies code and PIN for purpose (login, verify, pin_change),
// counting a wrong PIN towards the person's lockout. It returns the person
// with ErrMustChangePIN when the PIN is right but must be changed.
func (a *Auth) check(ctx context.Context, code, pin, purpose string) (app.Staff, error) {
	a.pins.Lock()
	defer a.pins.Unlock()
	s, hash, err := a.Store.StaffByCode(ctx, code)
	if err != nil {
		return app.Staff{}, err
	}
	now := a.Clock.Now()
	if s.Disabled {
		a.audit(ctx, s.ID, "login_refused", purpose+" disabled")
		return app.Staff{}, app.ErrStaffDisabled.With("Name", s.Name)
	}
	if now.Before(s.LockedUntil) {
		a.audit(ctx, s.ID, "login_refused", purpose+" locked")
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
		a.audit(ctx, s.ID, "login_failed", fmt.Sprintf("%s attempt %d", purpose, failed))
		if !until.IsZero() {
			a.audit(ctx, s.ID, "lockout", fmt.Sprintf("%s until %s", purpose, until.Format(time.RFC3339)))
		}
		return app.Staff{}, result
	}
	if s.FailedAttempts != 0 || !s.LockedUntil.IsZero() {
		if err := a.Store.SetLoginState(ctx, s.ID, 0, time.Time{}); err != nil {
			return app.Staff{}, err
		}
	}
	s.FailedAttempts, s.LockedUntil = 0, time.Time{}
	if s.MustChangePIN {
		if purpose != "pin_change" {
			a.audit(ctx, s.ID, "login_refused", purpose+" must_change_pin")
		}
		return s, ErrMustChangePIN.With("Name", s.Name)
	}
	return s, nil
}

func (a *Auth) audit(ctx context.Context, id int64, action, detail string) {
	_ = a.Store.Audit(ctx, app.AuditEntry{At: a.Clock.Now(), StaffID: id, Action: action, Detail: detail})
}
