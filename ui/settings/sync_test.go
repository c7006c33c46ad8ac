package settings

import (
	"context"
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/ui/async"
	"cashier/ui/backofficesync"
	"cashier/ui/i18n"
)

type stubSync struct{ subs int }

func (s *stubSync) Status(context.Context) (backofficesync.Status, error) {
	return backofficesync.Status{Enrolled: true, Terminal: "t-1"}, nil
}
func (s *stubSync) SyncNow(context.Context, func(backofficesync.Progress)) error { return nil }
func (s *stubSync) PushNow(context.Context, func(backofficesync.Progress)) error { return nil }
func (s *stubSync) Enrol(context.Context, int64, string, string) error           { return nil }
func (s *stubSync) Subscribe(func()) func() {
	s.subs++
	return func() { s.subs-- }
}

// With the sync wired, Settings holds 后台同步; Stop ends what it listens
// to. Without it there is no such section and Stop does nothing.
func TestSettings_BackOfficeSyncSection(t *testing.T) {
	async.Synchronous = true
	require.NoError(t, i18n.Use(i18n.Chinese))
	test.NewTempApp(t)
	w := test.NewTempWindow(t, widget.NewLabel(""))
	staff := app.Staff{ID: 7, Permissions: map[string]bool{app.PermSettings: true}}
	sy := &stubSync{}
	v := New(Deps{Settings: &fakeService{}, Staff: staff, Sync: sy, Window: w})
	w.SetContent(v.Content())
	require.NotNil(t, v.SyncSection)
	require.Equal(t, "t-1", v.SyncSection.Terminal.Text)
	require.Equal(t, 1, sy.subs)
	v.Stop()
	require.Zero(t, sy.subs)

	plain := New(Deps{Settings: &fakeService{}, Staff: staff})
	require.Nil(t, plain.SyncSection)
	plain.Stop()
}
