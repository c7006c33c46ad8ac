package settings

import (
	"context"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/ui/async"
)

// fakeService keeps what is saved.
type fakeService struct {
	threshold app.Money
	saves     int
	thSaves   []app.Money
}

func (f *fakeService) Current(context.Context) (app.StoreInfo, app.TerminalInfo, error) {
	return app.StoreInfo{ID: 1, Name: "好邻居便利店", ScaleLayout: "price13"}, app.TerminalInfo{ID: 1, Name: "1号收银台", CashierMode: app.ModeSale}, nil
}
func (f *fakeService) Language(context.Context) (string, error) { return "zh", nil }
func (f *fakeService) Save(context.Context, int64, app.StoreInfo, app.TerminalInfo) error {
	f.saves++
	return nil
}
func (f *fakeService) SaveLanguage(context.Context, string) error { return nil }
func (f *fakeService) VarianceThreshold(context.Context) (app.Money, error) {
	return f.threshold, nil
}
func (f *fakeService) SaveAll(_ context.Context, _ int64, _ app.StoreInfo, _ app.TerminalInfo, m app.Money) error {
	f.saves++
	f.thSaves = append(f.thSaves, m)
	f.threshold = m
	return nil
}

// The store section shows the handover's variance threshold; a value
// that is not an amount in range saves nothing; an unchanged one is not
// written again.
func TestSettings_VarianceThreshold(t *testing.T) {
	async.Synchronous = true
	test.NewTempApp(t)
	svc := &fakeService{threshold: 5000}
	v := New(Deps{Settings: svc, Staff: app.Staff{ID: 7, Permissions: map[string]bool{app.PermSettings: true}}})
	w := test.NewTempWindow(t, v.Content())
	w.Resize(fyne.NewSize(1024, 768))
	require.Equal(t, "50.00", v.Threshold.Text)

	for _, bad := range []string{"abc", "-1", "10000.01", "1.234"} {
		v.Threshold.SetText(bad)
		test.Tap(v.Save)
		require.Zero(t, svc.saves, bad)
		require.Contains(t, v.Status.Text, bad, "the message names what was typed")
	}

	v.Threshold.SetText("50")
	test.Tap(v.Save)
	require.Equal(t, 1, svc.saves)
	require.Empty(t, svc.thSaves, "unchanged: not written")

	v.Threshold.SetText("20")
	test.Tap(v.Save)
	require.Equal(t, []app.Money{2000}, svc.thSaves)
	require.Equal(t, "20.00", v.Threshold.Text)
}
