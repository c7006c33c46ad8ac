package main

import (
	"context"

	"fyne.io/fyne/v2/theme"

	"cashier/app"
	"cashier/app/staff"
	"cashier/localdb"
	"cashier/ui/i18n"
	"cashier/ui/override"
	"cashier/ui/shell"
	staffui "cashier/ui/staff"
)

// staffWorkspace is the Staff workspace, offered to holders of staff
// management (the rules are checked again, afresh, on every change).
func staffWorkspace(s *Services) shell.Workspace {
	return shell.Workspace{ID: "staff", TitleKey: i18n.Key("nav.staff"), Icon: theme.AccountIcon(),
		Visible: func(se shell.Session) bool { return se.Staff.Has(app.PermStaffManage) },
		Build: func(se shell.Session) shell.Page {
			v := staffui.New(staffui.Deps{Staff: staffDesk{s.Staff, s.DB}, Actor: se.Staff, Window: se.Window})
			return shell.Page{Content: v.Content(), Focus: v.FocusFirst()}
		}}
}

// staffDesk is the staff service with this terminal's store.
type staffDesk struct {
	staff.Service
	db *localdb.DB
}

func (d staffDesk) CurrentStore(ctx context.Context) (app.StoreInfo, error) {
	return d.db.CurrentStore(ctx)
}

// askOverride offers the manager override on se's screen (ui/override).
func askOverride(s *Services, se shell.Session) func(perm string, then func()) {
	return func(perm string, then func()) { override.Ask(se.Window, perm, se.Staff, s.Auth, then) }
}
