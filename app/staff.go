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

// Roles lists the roles, highest first.
var Roles = []Role{RoleAdmin, RoleManager, RoleClerk}

// Known reports whether r is one of the roles.
func (r Role) Known() bool { return r == RoleAdmin || r == RoleManager || r == RoleClerk }

// Permission codes (the permission table). Each person holds their own
// set; a role only gives the defaults a new person starts from.
const (
	PermRefund          = "refund"
	PermDeposit         = "deposit"        // deposit consume and release
	PermDiscount        = "discount"       // 折扣与改价: discounts and price changes
	PermVoidLine        = "void_line"      // 删除商品行: remove a line from an order
	PermOpenDrawer      = "open_drawer"    // 无销售开钱箱: open the drawer without a sale
	PermAdjustBalance   = "adjust_balance" // member balance adjustment
	PermCabinet         = "cabinet_door"   // open a smart-cabinet door by hand
	PermSettings        = "settings"
	PermStaffManage     = "staff_manage" // 员工管理: add, edit, disable staff, reset PINs
	PermViewStoreOrders = "view_store_orders"
	PermShiftHandover   = "shift_handover"
	PermProductManage   = "product_manage" // 商品管理: the catalogue, its import and export
)

// Permissions lists every permission code, in the order screens show them.
var Permissions = []string{PermRefund, PermDeposit, PermDiscount, PermVoidLine, PermOpenDrawer,
	PermAdjustBalance, PermCabinet, PermSettings, PermStaffManage, PermViewStoreOrders, PermShiftHandover, PermProductManage}

// KnownPermission reports whether p is a permission code.
func KnownPermission(p string) bool {
	for _, q := range Permissions {
		if p == q {
			return true
		}
	}
	return false
}

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
	// MustChangePIN: the PIN was set by someone else (a reset, a new
	// person); the next login asks for a new one before entering.
	MustChangePIN bool
	Permissions   map[string]bool // the person's whole set (not their role's)
	// ApprovedBy is set by a permission check that passed on a manager's
	// one-shot override: who approved it (their ID and name).
	ApprovedBy     int64
	ApprovedByName string
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
