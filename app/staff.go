package app

import (
	"context"
	"time"
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
	PermCabinet         = "cabinet_door" // open a smart-cabinet door by hand
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

// AuditEntry is one line of the audit log. Detail never holds secrets.
type AuditEntry struct {
	At      time.Time
	StaffID int64
	Action  string
	Subject string
	Detail  string
}

// AuditLog writes audit lines durably.
type AuditLog interface {
	Audit(ctx context.Context, e AuditEntry) error
}

// Permits decides, at the moment of an action, whether a person may do it:
// it reads the person, their role, grants and shift afresh (a grant revoked
// or a person disabled a minute ago counts now) and applies the shop's
// rules. It returns the person as they are now, or an error whose code says
// why not (ErrNoPermission and its cases).
type Permits interface {
	Check(ctx context.Context, staffID int64, perm string) (Staff, error)
}

// Errors of permission checks; each is an ErrNoPermission.
var (
	ErrNoPermission   = NewError("perm.denied")
	ErrStaffDisabled  = ErrNoPermission.Sub("perm.disabled")
	ErrNotOnShift     = ErrNoPermission.Sub("perm.clerk_off_shift")
	ErrUnknownStaff   = NewError("staff.unknown")
	ErrPermissionCode = NewError("perm.unknown")
)
