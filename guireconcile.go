package main

import (
	"time"

	"fyne.io/fyne/v2/theme"

	"cashier/ui/i18n"
	reconcileui "cashier/ui/reconcile"
	"cashier/ui/shell"
)

// reconcileWorkspace is 对账: each channel's bill of a day matched against
// the till, with every difference and its resolution. Offered to those who
// may see the store's transactions; settling and explaining ask for more
// (the use case checks, a manager may approve).
func reconcileWorkspace(s *Services) shell.Workspace {
	return shell.Workspace{ID: "reconcile", TitleKey: i18n.Key("reconview.title"), Icon: theme.DocumentSaveIcon(),
		Visible: func(se shell.Session) bool { return s.Channels != nil && reconcileui.Visible(se.Staff) },
		Build: func(se shell.Session) shell.Page {
			var zone *time.Location // the computer's, when the store cannot be read
			if st, err := s.DB.CurrentStore(s.ctx); err == nil {
				zone = st.Location()
			}
			v := reconcileui.New(reconcileui.Deps{Reconciler: s.Reconciler(), Staff: se.Staff, Zone: zone,
				Window: se.Window, Canvas: se.Window.Canvas(), Override: askOverride(s, se)})
			return shell.Page{Content: v.Content(), Focus: v.Focus(), Stop: v.Stop}
		}}
}
