package main

import (
	"context"
	"database/sql"
	"slices"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/app/deposit"
	"cashier/ui/async"
	"cashier/ui/i18n"
	"cashier/ui/postheme"
	"cashier/ui/shell"
)

// The deposit desk on the real services: offered by the terminal's
// cashier mode (仅押金 hides the Counter, 仅收银 the desk) and following a
// change of it without a restart; the status bar counts the deposits near
// their wallet's automatic refund.
func TestDepositsWorkspace_CashierModeAndStatusBar(t *testing.T) {
	async.Synchronous = true
	t.Cleanup(func() { async.Synchronous = false })
	require.NoError(t, i18n.Use(i18n.Chinese))
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(ctx, Options{DataDir: dir, Command: "test", Lock: true, Seed: true, Payments: true})
	require.NoError(t, err)
	t.Cleanup(s.Close)
	require.NoError(t, s.Start(ctx))
	require.NotNil(t, s.Desk)
	mgr, _, err := s.DB.StaffByCode(ctx, "1001")
	require.NoError(t, err)

	// A WeChat deposit taken 28 days ago: within 3 days of its 30.
	o, err := s.Desk.Open(ctx, deposit.TakeInput{Staff: mgr, Amount: 50000, Guest: app.Guest{Room: "1208", Name: "陈静"}})
	require.NoError(t, err)
	out, err := s.Desk.Freeze(ctx, o.OrderNo, "134567890123457041", mgr, nil)
	require.NoError(t, err)
	require.True(t, out.Paid(), "%s %s", out.Payment.State, out.Payment.Msg)
	require.NoError(t, s.DB.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`UPDATE deposit SET created_at=? WHERE deposit_no=?`, s.Clock.Now().Add(-28*24*time.Hour).UnixMilli(), o.OrderNo)
		return err
	}))
	st, err := shiftStatus{s: s.Shifts, db: s.DB, desk: s.Desk}.ShiftStatus(ctx, mgr.ID)
	require.NoError(t, err)
	assert.Equal(t, 1, st.DepositsNearLimit)

	store, term, err := s.Settings.Current(ctx)
	require.NoError(t, err)
	require.Equal(t, app.ModeSaleDeposit, term.CashierMode, "the demo terminal takes both")

	a := test.NewTempApp(t)
	a.Settings().SetTheme(postheme.New())
	d := shell.Deps{Auth: s.Auth, Staff: s.DB, Settings: s.Settings, Signals: s.Signals, Store: store, Terminal: term,
		Workspace: workspaces(s)}
	withShifts(s, &d)
	sh := shell.New(a, d)
	t.Cleanup(func() { sh.Window().Close() })
	sh.Window().Resize(fyne.NewSize(1024, 768))
	test.Type(sh.Login.Code, "1001")
	test.Type(sh.Login.PIN, "8888")
	sh.Login.PIN.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	require.NotNil(t, sh.Session())
	counter, desk := i18n.T("nav.counter"), i18n.T("nav.deposits")
	assert.Subset(t, sh.Titles(), []string{counter, desk}, "收银+押金 offers both")

	set := func(m app.CashierMode) {
		term.CashierMode = m
		require.NoError(t, s.Settings.Save(ctx, mgr.ID, store, term))
		require.Eventually(t, func() bool {
			var cur app.CashierMode
			async.DoAndWait(func() { cur = sh.Session().Terminal.CashierMode })
			return cur == m
		}, 10*time.Second, 10*time.Millisecond, "the shell reads the new mode")
	}
	set(app.ModeDeposit)
	assert.Contains(t, sh.Titles(), desk)
	assert.False(t, slices.Contains(sh.Titles(), counter), "仅押金: no Counter")
	set(app.ModeSale)
	assert.Contains(t, sh.Titles(), counter)
	assert.False(t, slices.Contains(sh.Titles(), desk), "仅收银: no deposit desk")
}
