package app

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unicode"

	"golang.org/x/crypto/bcrypt"
)

// Role is a staff member's role.
type Role string

const (
	RoleAdmin   Role = "admin"   // 商户管理员
	RoleManager Role = "manager" // 店长
	RoleClerk   Role = "clerk"   // 店员
)

// Permission codes (see the permission table).
const (
	PermRefund          = "refund"
	PermDeposit         = "deposit"
	PermSettings        = "settings"
	PermGrant           = "grant"
	PermAdjustBalance   = "adjust_balance"
	PermViewStoreOrders = "view_store_orders"
	PermShiftHandover   = "shift_handover"
)

// Staff is a person who can log in at this terminal.
type Staff struct {
	ID             int64
	StoreID        int64
	Code           string
	Name           string
	Role           Role
	Disabled       bool
	FailedAttempts int
	LockedUntil    time.Time
	Permissions    map[string]bool // role permissions plus personal grants
}

// Has reports whether s holds permission p.
func (s Staff) Has(p string) bool { return s.Permissions[p] }

// Login policy: 5 wrong PINs lock that person for 5 minutes.
const (
	MaxPINAttempts = 5
	PINLockout     = 5 * time.Minute
	MinPINLength   = 4
	MaxPINLength   = 12
)

var (
	ErrUnknownStaff  = errors.New("没有这个员工 / no such staff member")
	ErrStaffDisabled = errors.New("该员工已停用 / this staff member is disabled")
	ErrPINFormat     = errors.New("密码须为4到12位数字 / the PIN must be 4 to 12 digits")
)

// WrongPINError says how many tries are left before the lockout.
type WrongPINError struct{ Remaining int }

func (e *WrongPINError) Error() string {
	return fmt.Sprintf("密码错误，还可尝试%d次 / wrong PIN, %d tries left", e.Remaining, e.Remaining)
}

// LockedError says until when a person is locked out.
type LockedError struct{ Until time.Time }

func (e *LockedError) Error() string {
	return fmt.Sprintf("密码错误次数过多，已锁定至 %s / too many wrong PINs, locked until %s",
		e.Until.Format("15:04:05"), e.Until.Format("15:04:05"))
}

// StaffStore is what login needs from storage.
type StaffStore interface {
	StaffByCode(ctx context.Context, code string) (Staff, string, error) // staff, PIN hash
	ListStaff(ctx context.Context, storeID int64) ([]Staff, error)
	// SetLoginState records failures and lockouts durably.
	SetLoginState(ctx context.Context, staffID int64, failed int, lockedUntil time.Time) error
	Audit(ctx context.Context, e AuditEntry) error
}

// AuditEntry is one line of the audit log. Detail never holds secrets.
type AuditEntry struct {
	At      time.Time
	StaffID int64
	Action  string
	Subject string
	Detail  string
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
	Store  StaffStore
	Clock  Clock
	Hasher PINHasher
}

// Login checks code and PIN. Wrong PINs are counted durably; the fifth in a
// row locks the person for PINLockout. A lockout ends by itself; the count
// restarts after it.
func (a *Auth) Login(ctx context.Context, code, pin string) (Staff, error) {
	s, hash, err := a.Store.StaffByCode(ctx, code)
	if err != nil {
		return Staff{}, err
	}
	now := a.Clock.Now()
	if s.Disabled {
		a.audit(ctx, s.ID, "login_refused", "disabled")
		return Staff{}, ErrStaffDisabled
	}
	if now.Before(s.LockedUntil) {
		a.audit(ctx, s.ID, "login_refused", "locked")
		return Staff{}, &LockedError{Until: s.LockedUntil}
	}
	failed := s.FailedAttempts
	if !s.LockedUntil.IsZero() && !now.Before(s.LockedUntil) {
		failed = 0 // the lockout has expired: a fresh set of tries
	}
	if !a.Hasher.Check(hash, pin) {
		failed++
		var until time.Time
		var result error = &WrongPINError{Remaining: MaxPINAttempts - failed}
		if failed >= MaxPINAttempts {
			until = now.Add(PINLockout)
			result = &LockedError{Until: until}
		}
		if err := a.Store.SetLoginState(ctx, s.ID, failed, until); err != nil {
			return Staff{}, err
		}
		a.audit(ctx, s.ID, "login_failed", fmt.Sprintf("attempt %d", failed))
		return Staff{}, result
	}
	if s.FailedAttempts != 0 || !s.LockedUntil.IsZero() {
		if err := a.Store.SetLoginState(ctx, s.ID, 0, time.Time{}); err != nil {
			return Staff{}, err
		}
	}
	s.FailedAttempts, s.LockedUntil = 0, time.Time{}
	a.audit(ctx, s.ID, "login", "")
	return s, nil
}

func (a *Auth) audit(ctx context.Context, id int64, action, detail string) {
	_ = a.Store.Audit(ctx, AuditEntry{At: a.Clock.Now(), StaffID: id, Action: action, Detail: detail})
}

// ErrRefundNotAllowed is returned when the refund rules say no.
var ErrRefundNotAllowed = errors.New("无退款权限 / not allowed to refund")

// CanRefund applies the refund rule: refund permission is per person; a
// clerk who holds it may refund only while clocked on; a store manager or
// administrator who holds it may refund at any time.
func CanRefund(s Staff, clockedOn bool) error {
	if s.Disabled || !s.Has(PermRefund) {
		return fmt.Errorf("%w: %s", ErrRefundNotAllowed, s.Name)
	}
	if s.Role == RoleClerk && !clockedOn {
		return fmt.Errorf("%w: 店员须在上班期间退款 / a clerk may refund only while clocked on", ErrRefundNotAllowed)
	}
	return nil
}
