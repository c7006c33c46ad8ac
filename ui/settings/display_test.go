package settings

import (
	"context"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/ui/async"
	"cashier/ui/i18n"
)

// displayService is the fake service with a customer display setting.
type displayService struct {
	fakeService
	display string
	saved   []string
	by      []int64
	fail    error
}

func (f *displayService) CustomerDisplay(context.Context) (string, error) { return f.display, nil }
func (f *displayService) SaveCustomerDisplay(_ context.Context, staffID int64, v string) error {
	if f.fail != nil {
		return f.fail
	}
	f.saved = append(f.saved, v)
	f.by = append(f.by, staffID)
	f.display = v
	return nil
}

func displayView(t *testing.T, svc Service, staff app.Staff) *View {
	t.Helper()
	async.Synchronous = true
	require.NoError(t, i18n.Use(i18n.Chinese))
	test.NewTempApp(t)
	v := New(Deps{Settings: svc, Staff: staff})
	w := test.NewTempWindow(t, v.Content())
	w.Resize(fyne.NewSize(1024, 768))
	return v
}

var manager = app.Staff{ID: 7, Permissions: map[string]bool{app.PermSettings: true}}

// The terminal's customer display is chosen in Settings and saved at
// once for the person (loading it saves nothing); a refused save goes
// back to what is stored.
func TestSettings_CustomerDisplay(t *testing.T) {
	svc := &displayService{display: "off"}
	v := displayView(t, svc, manager)
	require.NotNil(t, v.Display)
	require.Equal(t, "关闭", v.Display.Selected)
	require.False(t, v.Display.Disabled())
	require.Empty(t, svc.saved, "showing is not choosing")

	v.Display.SetSelected("第二个窗口（顾客屏）")
	require.Equal(t, []string{"window"}, svc.saved)
	require.Equal(t, []int64{7}, svc.by)
	v.Display.SetSelected("第二个窗口（顾客屏）")
	require.Len(t, svc.saved, 1, "the same again saves nothing")

	svc.fail = app.ErrNoPermission
	v.Display.SetSelected("关闭")
	require.Equal(t, "第二个窗口（顾客屏）", v.Display.Selected, "back to what is stored")
	require.Contains(t, v.Status.Text, i18n.Err(app.ErrNoPermission))
}

// Without the settings permission the choice is shown, not offered; a
// service without the setting shows no row.
func TestSettings_CustomerDisplayReadOnly(t *testing.T) {
	svc := &displayService{display: "window"}
	v := displayView(t, svc, app.Staff{ID: 9})
	require.Equal(t, "第二个窗口（顾客屏）", v.Display.Selected)
	require.True(t, v.Display.Disabled())

	plain := displayView(t, &fakeService{}, manager)
	require.Nil(t, plain.Display)
}
