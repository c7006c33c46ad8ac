package main

import (
	"context"

	"fyne.io/fyne/v2/theme"

	"cashier/app"
	"cashier/app/auth"
	"cashier/localdb"
	auditui "cashier/ui/audit"
	"cashier/ui/i18n"
	"cashier/ui/shell"
)

// auditWorkspace is the Audit workspace, offered to managers of settings
// or staff; every read checks the person again.
func auditWorkspace(s *Services) shell.Workspace {
	zone := auditZone(context.Background(), s.DB)
	return shell.Workspace{ID: "audit", TitleKey: i18n.Key("nav.audit"), Icon: theme.HistoryIcon(),
		Visible: func(se shell.Session) bool { return auditui.Visible(se.Staff) },
		Build: func(se shell.Session) shell.Page {
			v := auditui.New(auditui.Deps{Log: auditLog{db: s.DB, staffID: se.Staff.ID}, Zone: zone})
			return shell.Page{Content: v.Content(), Focus: v.From}
		}}
}

// auditLog is the audit log for one person of the Audit workspace.
type auditLog struct {
	db      *localdb.DB
	staffID int64
}

// allowed reads the person afresh: someone who lost both permissions (or
// was disabled) since logging in reads nothing more. The rule is applied
// directly rather than through auth.Rules, whose check would spend a
// manager's one-shot override on merely looking.
func (l auditLog) allowed(ctx context.Context) error {
	st, err := l.db.StaffByID(ctx, l.staffID)
	if err != nil {
		return err
	}
	err = auth.Allowed(st, app.PermSettings, false)
	if err != nil && auth.Allowed(st, app.PermStaffManage, false) == nil {
		return nil
	}
	return err
}

func (l auditLog) List(ctx context.Context, f auditui.Filter) ([]auditui.Row, error) {
	if err := l.allowed(ctx); err != nil {
		return nil, err
	}
	rows, err := l.db.ListAudit(ctx, localdb.AuditFilter{From: f.From, To: f.To, StaffCode: f.StaffCode, Action: f.Action,
		Before: f.Before, Limit: f.Limit})
	out := make([]auditui.Row, 0, len(rows))
	for _, r := range rows {
		out = append(out, auditui.Row{ID: r.ID, At: r.At, StaffCode: r.StaffCode, StaffName: r.StaffName,
			Action: r.Action, Subject: r.Subject, Detail: r.Detail})
	}
	return out, err
}

func (l auditLog) People(ctx context.Context) ([]auditui.Person, error) {
	if err := l.allowed(ctx); err != nil {
		return nil, err
	}
	ps, err := l.db.AuditPeople(ctx)
	out := make([]auditui.Person, 0, len(ps))
	for _, p := range ps {
		out = append(out, auditui.Person{Code: p.Code, Name: p.Name})
	}
	return out, err
}

func (l auditLog) Verify(ctx context.Context) (auditui.Check, error) {
	if err := l.allowed(ctx); err != nil {
		return auditui.Check{}, err
	}
	c, err := l.db.VerifyAudit(ctx)
	return auditui.Check{OK: c.OK(), Message: c.Message()}, err
}
