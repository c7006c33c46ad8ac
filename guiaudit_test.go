package main

import (
	"context"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/ui/async"
	auditui "cashier/ui/audit"
	"cashier/ui/i18n"
	"cashier/ui/shell"
)

// The Audit workspace is offered to managers of settings or staff, and
// its reads check the person afresh: a clerk who somehow holds the page
// reads nothing.
func TestAuditWorkspace_ManagersOnly(t *testing.T) {
	dir := auditFolder(t)
	ctx := context.Background()
	s, err := Open(ctx, Options{DataDir: dir, Command: "test", Lock: true})
	require.NoError(t, err)
	defer s.Close()
	mgr, _, err := s.DB.StaffByCode(ctx, "1001")
	require.NoError(t, err)
	clerk, _, err := s.DB.StaffByCode(ctx, "1003")
	require.NoError(t, err)

	w := auditWorkspace(s)
	assert.True(t, w.Visible(shell.Session{Staff: mgr}))
	assert.False(t, w.Visible(shell.Session{Staff: clerk}))

	rows, err := auditLog{db: s.DB, staffID: mgr.ID}.List(ctx, auditui.Filter{Limit: 3})
	require.NoError(t, err)
	require.Len(t, rows, 3)
	assert.Equal(t, "1001", rows[0].StaffCode, "the newest line: the last login")
	assert.Equal(t, "login", rows[0].Action)
	people, err := auditLog{db: s.DB, staffID: mgr.ID}.People(ctx)
	require.NoError(t, err)
	assert.Contains(t, people, auditui.Person{Code: "1002", Name: "李娜"})
	c, err := auditLog{db: s.DB, staffID: mgr.ID}.Verify(ctx)
	require.NoError(t, err)
	assert.True(t, c.OK)
	assert.Equal(t, "audit.verify.ok", c.Message.Code)

	_, err = auditLog{db: s.DB, staffID: clerk.ID}.List(ctx, auditui.Filter{Limit: 3})
	assert.ErrorIs(t, err, app.ErrNoPermission)
	_, err = auditLog{db: s.DB, staffID: clerk.ID}.Verify(ctx)
	assert.ErrorIs(t, err, app.ErrNoPermission)
	_, err = auditLog{db: s.DB, staffID: clerk.ID}.People(ctx)
	assert.ErrorIs(t, err, app.ErrNoPermission)
}

// The workspace on the real log: the person filter narrows the table to
// their lines, and the verify button names a line changed meanwhile with
// the sqlite3 tool.
func TestAuditWorkspace_OnTheRealLog(t *testing.T) {
	dir := auditFolder(t)
	ctx := context.Background()
	s, err := Open(ctx, Options{DataDir: dir, Command: "test", Lock: true})
	require.NoError(t, err)
	defer s.Close()
	mgr, _, err := s.DB.StaffByCode(ctx, "1001")
	require.NoError(t, err)

	async.Synchronous = true
	defer func() { async.Synchronous = false }()
	test.NewTempApp(t)
	require.NoError(t, i18n.Use(i18n.English))
	defer i18n.Use(i18n.Chinese)
	page := auditWorkspace(s).Build(shell.Session{Staff: mgr})
	v := auditui.New(auditui.Deps{Log: auditLog{db: s.DB, staffID: mgr.ID}, Zone: auditZone(ctx, s.DB)})
	w := test.NewTempWindow(t, v.Content())
	w.Resize(fyne.NewSize(1024, 768))
	require.NotNil(t, page.Content)
	require.NotNil(t, page.Focus, "the first date field takes the keyboard")

	all := len(v.Rows())
	require.Greater(t, all, 4)
	v.Person.SetSelected("1002 李娜")
	require.Len(t, v.Rows(), 2)
	assert.Equal(t, "failed login (wrong PIN)", v.Cell(0, 2))
	assert.Equal(t, "log in", v.Cell(1, 2))

	test.Tap(v.Verify)
	assert.Contains(t, v.Result.Text, "audit log intact")

	sqliteTool(t, dir, dropAuditTriggers+`UPDATE audit_log SET detail='-' WHERE id=3`)
	test.Tap(v.Verify)
	assert.Contains(t, v.Result.Text, "audit log broken at row 3: the row was changed")
}
