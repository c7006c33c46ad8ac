package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cashier/ui/async"
	"cashier/ui/i18n"
	"cashier/ui/postheme"
	"cashier/ui/shell"
)

// The Reports workspace on the real services: offered to the manager at
// any time and to a clerk without the store-transactions permission only
// while on shift; it opens on today's summary and stops cleanly.
func TestReportsWorkspace_OnTheRealServices(t *testing.T) {
	async.Synchronous = true
	t.Cleanup(func() { async.Synchronous = false })
	require.NoError(t, i18n.Use(i18n.Chinese))
	ctx := context.Background()
	s, err := Open(ctx, Options{DataDir: t.TempDir(), Command: "test", Lock: true, Seed: true, Payments: true})
	require.NoError(t, err)
	t.Cleanup(s.Close)
	require.NoError(t, s.Start(ctx))
	require.NotNil(t, s.Reports)
	mgr, _, err := s.DB.StaffByCode(ctx, "1001")
	require.NoError(t, err)
	clerk, _, err := s.DB.StaffByCode(ctx, "1003")
	require.NoError(t, err)

	ws := reportsWorkspace(s)
	assert.True(t, ws.Visible(shell.Session{Staff: mgr}))
	assert.False(t, ws.Visible(shell.Session{Staff: clerk}), "a clerk off shift sees no reports")
	assert.True(t, ws.Visible(shell.Session{Staff: clerk, OnShift: true}))

	test.NewTempApp(t).Settings().SetTheme(postheme.New())
	w := test.NewTempWindow(t, nil)
	page := ws.Build(shell.Session{Staff: mgr, Window: w})
	require.NotNil(t, page.Content)
	w.SetContent(page.Content)
	w.Resize(fyne.NewSize(1024, 700))
	require.Eventually(t, func() bool {
		var shown string
		async.DoAndWait(func() { shown = texts(page.Content) })
		return strings.Contains(shown, i18n.T("report.col.tx_amount"))
	}, 10*time.Second, 10*time.Millisecond, "today's summary with its figures")
	if page.Stop != nil {
		page.Stop()
	}
}
