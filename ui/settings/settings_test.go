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

// fakeService keeps what is saved.
type fakeService struct {
	threshold app.Money
	saves     int
	thSaves   []app.Money
	stores    []app.StoreInfo // each save's store details
}

func (f *fakeService) Current(context.Context) (app.StoreInfo, app.TerminalInfo, error) {
	return app.StoreInfo{ID: 1, Name: "好邻居便利店", ScaleLayout: "price13"}, app.TerminalInfo{ID: 1, Name: "1号收银台", CashierMode: app.ModeSale}, nil
}
func (f *fakeService) Language(context.Context) (string, error) { return "zh", nil }
func (f *fakeService) Save(_ context.Context, _ int64, s app.StoreInfo, _ app.TerminalInfo) error {
	f.saves++
	f.stores = append(f.stores, s)
	return nil
}
func (f *fakeService) SaveLanguage(context.Context, string) error { return nil }
func (f *fakeService) VarianceThreshold(context.Context) (app.Money, error) {
	return f.threshold, nil
}
func (f *fakeService) SaveAll(_ context.Context, _ int64, s app.StoreInfo, _ app.TerminalInfo, m app.Money) error {
	f.saves++
	f.stores = append(f.stores, s)
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

// The store's label-scale layout is shown by name in the language in use
// and saved as the layout's code; every layout has a name of its own.
func TestSettings_ScaleLayout(t *testing.T) {
	async.Synchronous = true
	test.NewTempApp(t)
	for _, lang := range []string{i18n.Chinese, i18n.English} {
		require.NoError(t, i18n.Use(lang))
		names := map[string]bool{}
		for _, l := range app.ScaleLayouts {
			n := ScaleName(l)
			require.NotEqual(t, l, n, "%s has a name in %s", l, lang)
			names[n] = true
		}
		require.Len(t, names, len(app.ScaleLayouts))
	}
	require.NoError(t, i18n.Use(i18n.Chinese))
	t.Cleanup(func() { _ = i18n.Use(i18n.Chinese) })
	require.Equal(t, "13位重量码", ScaleName("weight13"))
	require.Equal(t, "GS1 金额码（含校验位）", ScaleName("gs1price"))

	svc := &fakeService{threshold: 5000}
	v := New(Deps{Settings: svc, Staff: app.Staff{ID: 7, Permissions: map[string]bool{app.PermSettings: true}}})
	w := test.NewTempWindow(t, v.Content())
	w.Resize(fyne.NewSize(1024, 768))
	require.Equal(t, "13位金额码", v.Scale.Selected, "the stored layout, by name")
	require.Equal(t, []string{"无条码秤", "13位金额码", "13位重量码", "GS1 金额码（含校验位）"}, v.Scale.Options)

	v.Scale.SetSelected("13位重量码")
	test.Tap(v.Save)
	require.Len(t, svc.stores, 1)
	require.Equal(t, "weight13", svc.stores[0].ScaleLayout)
	require.Equal(t, "好邻居便利店", svc.stores[0].Name, "the other details as they were")

	v.Scale.SetSelected("无条码秤")
	test.Tap(v.Save)
	require.Equal(t, "none", svc.stores[1].ScaleLayout)
}
