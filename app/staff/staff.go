// Package staff is staff administration: adding people, their role and
// their own permissions, disabling and enabling them, and resetting a
// PIN, under business-rules section 1's grant rules. The rules are
// applied here, inside the one transaction that writes the change and its
// audit lines, so no screen can skip them and nothing is half-written.
//
// People are never deleted (orders, refunds and shifts name them):
// disabling is how someone leaves.
package staff

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"cashier/app"
	"cashier/app/auth"
)

// MaxCodeLen and MaxNameLen bound a staff number and a name.
const (
	MaxCodeLen = 12
	MaxNameLen = 20
)

// Errors of staff administration (each a refusal, nothing written).
var (
	ErrCodeFormat    = app.NewError("staff.code_format").With("Max", MaxCodeLen)
	ErrCodeTaken     = app.NewError("staff.code_taken")
	ErrRole          = app.NewError("staff.role_unknown")
	ErrLastRefund    = app.NewError("staff.last_refund")
	ErrSelfDisable   = app.NewError("staff.self_disable")
	ErrSelfRights    = app.NewError("staff.self_rights")
	ErrAdminOnly     = app.NewError("staff.admin_only")
	ErrOtherStore    = app.NewError("staff.other_store")
	ErrNotHeld       = app.NewError("staff.grant_not_held")
	ErrResetDisabled = app.NewError("staff.reset_disabled")
	ErrResetSelf     = app.NewError("staff.reset_self")
	ErrResetStronger = app.NewError("staff.reset_stronger")
	ErrRoleAbove     = app.NewError("staff.role_above")
	ErrStoreNeeded   = app.NewError("staff.store_needed")
)

// Record is a new person as stored.
type Record struct {
	StoreID       int64 // 0: a merchant administrator, above the stores
	Code, Name    string
	Role          app.Role
	PINHash       string
	MustChangePIN bool
}

// Tx is one write transaction on the staff tables: every read sees the
// writes before it, and nothing is kept unless the whole function
// succeeds.
type Tx interface {
	// Staff reads a person with their permissions (app.ErrUnknownStaff).
	Staff(id int64) (app.Staff, error)
	CodeTaken(code string) (bool, error)
	// StoreIDs lists every store.
	StoreIDs() ([]int64, error)
	// Holders counts the enabled people who hold perm and serve storeID
	// (its staff and the merchant administrators), except one.
	Holders(perm string, storeID, except int64) (int, error)
	Insert(r Record) (int64, error)
	// Update sets a person's name, role and store (0: none, an
	// administrator).
	Update(id int64, name string, role app.Role, storeID int64) error
	SetDisabled(id int64, disabled bool) error
	Grant(id int64, perm string, by int64) error
	Revoke(id int64, perm string) error
	// SetPIN stores a PIN hash and the must-change mark and clears the
	// failures and any lockout.
	SetPIN(id int64, hash string, mustChange bool) error
	Audit(e app.AuditEntry) error
}

// Store is what staff administration needs from storage.
type Store interface {
	ListStaff(ctx context.Context, storeID int64) ([]app.Staff, error)
	// RolePermissions are a role's defaults: what a new person (or one
	// given this role) starts from.
	RolePermissions(ctx context.Context, role app.Role) ([]string, error)
	StaffTx(ctx context.Context, fn func(Tx) error) error
}

// Service administers staff for a person holding staff_manage.
type Service struct {
	Store  Store
	Clock  app.Clock
	Hasher auth.PINHasher
}

// Person is a new person or the wanted state of one: Permissions is their
// whole set (a role does not add any).
type Person struct {
	ID          int64 // 0 for a new person
	StoreID     int64 // a new person's store (ignored for an administrator)
	Code        string
	Name        string
	Role        app.Role
	PIN         string // a new person's first PIN (changed at their first login)
	Permissions []string
}

// List lists a store's staff and the merchant administrators.
func (s Service) List(ctx context.Context, storeID int64) ([]app.Staff, error) {
	return s.Store.ListStaff(ctx, storeID)
}

// RoleDefaults are the permissions a person of role starts from.
func (s Service) RoleDefaults(ctx context.Context, role app.Role) ([]string, error) {
	if !role.Known() {
		return nil, ErrRole.With("Role", string(role))
	}
	return s.Store.RolePermissions(ctx, role)
}

// Actor reads the person acting now with their permissions as they are.
func (s Service) Actor(ctx context.Context, actorID int64) (app.Staff, error) {
	var a app.Staff
	err := s.Store.StaffTx(ctx, func(tx Tx) error {
		var err error
		a, err = actor(tx, actorID)
		return err
	})
	return a, err
}

func actor(tx Tx, id int64) (app.Staff, error) {
	a, err := tx.Staff(id)
	if err != nil {
		return a, err
	}
	return a, auth.Allowed(a, app.PermStaffManage, true)
}

// mayTouch: an administrator is made or changed only by an administrator,
// anyone else only by someone of at least their role (a role is power: a
// manager refunds off shift and countersigns, so a clerk granted staff
// management must not reset a manager's PIN and log in as them), and a
// store's people only by someone of that store (or an administrator).
func mayTouch(a app.Staff, target app.Staff) error {
	if a.Role == app.RoleAdmin {
		return nil
	}
	if target.Role == app.RoleAdmin {
		return ErrAdminOnly
	}
	if rank(target.Role) > rank(a.Role) {
		return ErrRoleAbove.With("Name", target.Name)
	}
	if target.StoreID != a.StoreID {
		return ErrOtherStore.With("Name", target.Name)
	}
	return nil
}

// rank orders the roles: a higher one may do more.
func rank(r app.Role) int {
	switch r {
	case app.RoleAdmin:
		return 3
	case app.RoleManager:
		return 2
	case app.RoleClerk:
		return 1
	}
	return 0
}

func checkPerms(perms []string) error {
	for _, p := range perms {
		if !app.KnownPermission(p) {
			return app.ErrPermissionCode.With("Code", p)
		}
	}
	return nil
}

func checkCode(code string) error {
	if code == "" || len(code) > MaxCodeLen || strings.Trim(code, "0123456789") != "" {
		return ErrCodeFormat
	}
	return nil
}

func checkName(name string) error {
	return app.CheckText(app.Msg("field.staff_name"), name, true, MaxNameLen)
}

// Add adds a person with the permissions given (each must be held by the
// actor) and a first PIN they change at their first login.
func (s Service) Add(ctx context.Context, actorID int64, p Person) (app.Staff, error) {
	p.Code, p.Name = strings.TrimSpace(p.Code), strings.TrimSpace(p.Name)
	if err := checkCode(p.Code); err != nil {
		return app.Staff{}, err
	}
	if err := checkName(p.Name); err != nil {
		return app.Staff{}, err
	}
	if !p.Role.Known() {
		return app.Staff{}, ErrRole.With("Role", string(p.Role))
	}
	if err := checkPerms(p.Permissions); err != nil {
		return app.Staff{}, err
	}
	hash, err := s.Hasher.Hash(p.PIN)
	if err != nil {
		return app.Staff{}, err
	}
	if p.Role == app.RoleAdmin {
		p.StoreID = 0
	}
	var out app.Staff
	err = s.Store.StaffTx(ctx, func(tx Tx) error {
		a, err := actor(tx, actorID)
		if err != nil {
			return err
		}
		if err := mayTouch(a, app.Staff{Name: p.Name, Role: p.Role, StoreID: p.StoreID}); err != nil {
			return err
		}
		if p.Role != app.RoleAdmin {
			if err := realStore(tx, p.StoreID, p.Name); err != nil {
				return err
			}
		}
		for _, perm := range p.Permissions {
			if !a.Has(perm) {
				return ErrNotHeld.With("Perm", auth.PermName(perm))
			}
		}
		if taken, err := tx.CodeTaken(p.Code); err != nil || taken {
			if err == nil {
				err = ErrCodeTaken.With("Code", p.Code)
			}
			return err
		}
		id, err := tx.Insert(Record{StoreID: p.StoreID, Code: p.Code, Name: p.Name, Role: p.Role, PINHash: hash, MustChangePIN: true})
		if err != nil {
			return err
		}
		now := s.Clock.Now()
		if err := tx.Audit(app.AuditEntry{At: now, StaffID: a.ID, Action: "staff_add", Subject: p.Code,
			Detail: fmt.Sprintf("name=%s role=%s store=%d", p.Name, p.Role, p.StoreID)}); err != nil {
			return err
		}
		for _, perm := range uniq(p.Permissions) {
			if err := tx.Grant(id, perm, a.ID); err != nil {
				return err
			}
			if err := tx.Audit(app.AuditEntry{At: now, StaffID: a.ID, Action: "permission_grant", Subject: p.Code, Detail: perm}); err != nil {
				return err
			}
		}
		out, err = tx.Staff(id)
		return err
	})
	return out, err
}

// Edit sets a person's name, role and whole permission set. Granting or
// revoking a permission needs the actor to hold it; nobody changes their
// own role or permissions (someone else must); the last enabled holder of
// refund keeps it.
func (s Service) Edit(ctx context.Context, actorID int64, p Person) error {
	p.Name = strings.TrimSpace(p.Name)
	if err := checkName(p.Name); err != nil {
		return err
	}
	if !p.Role.Known() {
		return ErrRole.With("Role", string(p.Role))
	}
	if err := checkPerms(p.Permissions); err != nil {
		return err
	}
	want := map[string]bool{}
	for _, perm := range p.Permissions {
		want[perm] = true
	}
	return s.Store.StaffTx(ctx, func(tx Tx) error {
		a, err := actor(tx, actorID)
		if err != nil {
			return err
		}
		t, err := tx.Staff(p.ID)
		if err != nil {
			return err
		}
		if err := mayTouch(a, t); err != nil {
			return err
		}
		if p.Role == app.RoleAdmin && a.Role != app.RoleAdmin {
			return ErrAdminOnly
		}
		if a.Role != app.RoleAdmin && rank(p.Role) > rank(a.Role) {
			return ErrRoleAbove.With("Name", t.Name)
		}
		var grants, revokes []string
		for _, perm := range app.Permissions { // codes not known here are left alone
			switch {
			case want[perm] && !t.Has(perm):
				grants = append(grants, perm)
			case !want[perm] && t.Has(perm):
				revokes = append(revokes, perm)
			}
		}
		roleChanged := p.Role != t.Role
		// An administrator serves every store and has none; anyone else
		// serves one: made an administrator, a person leaves their store;
		// made something else, an administrator (or a person left without a
		// store) joins the one given, which must exist.
		store := t.StoreID
		switch {
		case p.Role == app.RoleAdmin:
			store = 0
		case t.StoreID == 0:
			if a.Role != app.RoleAdmin && p.StoreID != a.StoreID {
				return ErrOtherStore.With("Name", t.Name)
			}
			if err := realStore(tx, p.StoreID, t.Name); err != nil {
				return err
			}
			store = p.StoreID
		}
		storeChanged := store != t.StoreID
		if t.ID == a.ID && (roleChanged || storeChanged || len(grants)+len(revokes) > 0) {
			return ErrSelfRights
		}
		// The last holder first: it is what the person needs to hear,
		// whoever asks.
		if slices.Contains(revokes, app.PermRefund) {
			if err := keepsRefund(tx, t, nowhere); err != nil {
				return err
			}
		} else if storeChanged && store != 0 {
			// Leaving the stores they served as an administrator.
			if err := keepsRefund(tx, t, func(st int64) bool { return st == store }); err != nil {
				return err
			}
		}
		for _, perm := range append(append([]string{}, grants...), revokes...) {
			if !a.Has(perm) {
				return ErrNotHeld.With("Perm", auth.PermName(perm))
			}
		}
		now := s.Clock.Now()
		audit := func(action, detail string) error {
			return tx.Audit(app.AuditEntry{At: now, StaffID: a.ID, Action: action, Subject: t.Code, Detail: detail})
		}
		if roleChanged || storeChanged || p.Name != t.Name {
			if err := tx.Update(t.ID, p.Name, p.Role, store); err != nil {
				return err
			}
		}
		moved := ""
		if storeChanged {
			moved = fmt.Sprintf(" store=%d->%d", t.StoreID, store)
		}
		if p.Name != t.Name || (storeChanged && !roleChanged) {
			if err := audit("staff_edit", strings.TrimSpace(fmt.Sprintf("name=%s was=%s", p.Name, t.Name)+moved)); err != nil {
				return err
			}
		}
		if roleChanged {
			if err := audit("role_change", fmt.Sprintf("%s->%s", t.Role, p.Role)+moved); err != nil {
				return err
			}
		}
		for _, perm := range grants {
			if err := tx.Grant(t.ID, perm, a.ID); err != nil {
				return err
			}
			if err := audit("permission_grant", perm); err != nil {
				return err
			}
		}
		for _, perm := range revokes {
			if err := tx.Revoke(t.ID, perm); err != nil {
				return err
			}
			if err := audit("permission_revoke", perm); err != nil {
				return err
			}
		}
		return nil
	})
}

// SetDisabled disables (the way a person leaves) or enables someone.
// Nobody disables themselves, and the last enabled holder of refund stays.
func (s Service) SetDisabled(ctx context.Context, actorID, id int64, disabled bool) error {
	return s.Store.StaffTx(ctx, func(tx Tx) error {
		a, err := actor(tx, actorID)
		if err != nil {
			return err
		}
		t, err := tx.Staff(id)
		if err != nil {
			return err
		}
		if t.ID == a.ID && disabled {
			return ErrSelfDisable
		}
		if err := mayTouch(a, t); err != nil {
			return err
		}
		if t.Disabled == disabled {
			return nil
		}
		if disabled && t.Has(app.PermRefund) {
			if err := keepsRefund(tx, t, nowhere); err != nil {
				return err
			}
		}
		if err := tx.SetDisabled(t.ID, disabled); err != nil {
			return err
		}
		action := "staff_enable"
		if disabled {
			action = "staff_disable"
		}
		return tx.Audit(app.AuditEntry{At: s.Clock.Now(), StaffID: a.ID, Action: action, Subject: t.Code, Detail: t.Name})
	})
}

// ResetPIN gives someone a temporary PIN: their lockout ends and their
// next login asks them for a new one. Not for a disabled person, nor for
// oneself (change your own PIN instead), nor for someone holding a
// permission the actor lacks (knowing the temporary PIN must not give the
// actor more than they have).
func (s Service) ResetPIN(ctx context.Context, actorID, id int64, pin string) error {
	hash, err := s.Hasher.Hash(pin)
	if err != nil {
		return err
	}
	return s.Store.StaffTx(ctx, func(tx Tx) error {
		a, err := actor(tx, actorID)
		if err != nil {
			return err
		}
		t, err := tx.Staff(id)
		if err != nil {
			return err
		}
		if t.ID == a.ID {
			return ErrResetSelf
		}
		if err := mayTouch(a, t); err != nil {
			return err
		}
		if t.Disabled {
			return ErrResetDisabled.With("Name", t.Name)
		}
		for _, perm := range app.Permissions {
			if t.Has(perm) && !a.Has(perm) {
				return ErrResetStronger.With("Name", t.Name, "Perm", auth.PermName(perm))
			}
		}
		if err := tx.SetPIN(t.ID, hash, true); err != nil {
			return err
		}
		return tx.Audit(app.AuditEntry{At: s.Clock.Now(), StaffID: a.ID, Action: "pin_reset", Subject: t.Code, Detail: t.Name})
	})
}

// keepsRefund refuses to take refund from t (enabled, holding it) in the
// stores it serves and will not (stays(store) false) when that would leave
// one of them with nobody enabled who holds it: an administrator serves
// every store.
func keepsRefund(tx Tx, t app.Staff, stays func(store int64) bool) error {
	if t.Disabled || !t.Has(app.PermRefund) {
		return nil
	}
	stores := []int64{t.StoreID}
	if t.StoreID == 0 {
		var err error
		if stores, err = tx.StoreIDs(); err != nil {
			return err
		}
	}
	for _, st := range stores {
		if stays(st) {
			continue
		}
		n, err := tx.Holders(app.PermRefund, st, t.ID)
		if err != nil {
			return err
		}
		if n == 0 {
			return ErrLastRefund.With("Name", t.Name)
		}
	}
	return nil
}

// nowhere: the person keeps refund in no store (revoked, disabled).
func nowhere(int64) bool { return false }

// realStore: storeID is one of the stores (a person who is not an
// administrator serves one).
func realStore(tx Tx, storeID int64, name string) error {
	ids, err := tx.StoreIDs()
	if err != nil {
		return err
	}
	if storeID == 0 || !slices.Contains(ids, storeID) {
		return ErrStoreNeeded.With("Name", name)
	}
	return nil
}

func uniq(ps []string) []string {
	out := slices.Clone(ps)
	slices.Sort(out)
	return slices.Compact(out)
}
