package settings

import (
	"context"
	"testing"

	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/app/auth"
	"cashier/ui/async"
	"cashier/ui/i18n"
)

// guardedService saves only with an approval (as auth.Rules with a
// manager's one-shot override), for a person who does not hold settings.
type guardedService struct {
	fakeService
	approved bool
}

func (g *guardedService) Save(ctx context.Context, id int64, s app.StoreInfo, t app.TerminalInfo) error {
	if !g.approved {
		return app.ErrNoPermission.With("Name", "张伟", "Perm", auth.PermName(app.PermSettings))
	}
	g.approved = false
	return g.fakeService.Save(ctx, id, s, t)
}

// SaveAll is one action: one approval covers the details and the threshold.
func (g *guardedService) SaveAll(ctx context.Context, id int64, s app.StoreInfo, t app.TerminalInfo, m app.Money) error {
	if !g.approved {
		return app.ErrNoPermission.With("Name", "张伟", "Perm", auth.PermName(app.PermSettings))
	}
	g.approved = false
	return g.fakeService.SaveAll(ctx, id, s, t, m)
}

// A person without the settings permission saves once on a manager's
// override; one whose permission went after login is offered it when the
// save is refused.
func TestSettings_SaveOnManagerOverride(t *testing.T) {
	async.Synchronous = true
	require.NoError(t, i18n.Use(i18n.Chinese))
	test.NewTempApp(t)
	svc := &guardedService{}
	var asked []string
	approve := func(perm string, then func()) {
		asked = append(asked, perm)
		svc.approved = true
		then()
	}
	clerk := app.Staff{ID: 3, Name: "张伟", Permissions: map[string]bool{}}
	v := New(Deps{Settings: svc, Staff: clerk, Override: approve})
	test.NewTempWindow(t, v.Content())
	require.True(t, v.Save.Disabled())
	require.True(t, v.Approve.Visible())
	v.Name.SetText("新店名")
	test.Tap(v.Approve)
	require.Equal(t, []string{app.PermSettings}, asked)
	require.Equal(t, 1, svc.saves)
	require.Equal(t, "已保存", v.Status.Text)
	require.True(t, v.Save.Disabled(), "still not theirs to save")

	// Held at login, revoked since: the refusal offers the override.
	svc.approved = false
	holder := app.Staff{ID: 1, Name: "王店长", Permissions: map[string]bool{app.PermSettings: true}}
	v = New(Deps{Settings: svc, Staff: holder, Override: approve})
	test.NewTempWindow(t, v.Content())
	require.False(t, v.Approve.Visible())
	test.Tap(v.Save)
	require.Contains(t, v.Status.Text, "张伟 没有系统设置权限")
	require.True(t, v.Approve.Visible())

	// Without an override source it is never offered.
	v = New(Deps{Settings: svc, Staff: clerk})
	test.NewTempWindow(t, v.Content())
	require.False(t, v.Approve.Visible())
}
