package settings

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/ui/async"
	"cashier/ui/i18n"
)

// The store's payment mode is chosen by name and saved as its code; the
// discount floor is a whole percent 0..100 ("" is none), anything else
// saves nothing and says what was typed.
func TestSettings_PaymentModeAndFloor(t *testing.T) {
	async.Synchronous = true
	test.NewTempApp(t)
	require.NoError(t, i18n.Use(i18n.Chinese))
	svc := &fakeService{threshold: 5000}
	v := New(Deps{Settings: svc, Staff: app.Staff{ID: 7, Permissions: map[string]bool{app.PermSettings: true}}})
	w := test.NewTempWindow(t, v.Content())
	w.Resize(fyne.NewSize(1024, 768))
	require.Equal(t, []string{"默认", "总额+不可优惠金额（仅支付宝）", "消费+押金"}, v.PayMode.Options)
	require.Equal(t, "默认", v.PayMode.Selected, "a store without the setting: the default")
	require.Equal(t, "0", v.Floor.Text)

	for _, bad := range []string{"-1", "101", "abc", "8.5", "1000"} {
		v.Floor.SetText(bad)
		test.Tap(v.Save)
		require.Zero(t, svc.saves, bad)
		require.Contains(t, v.Status.Text, bad, "the message names what was typed")
	}

	v.PayMode.SetSelected("消费+押金")
	v.Floor.SetText(" 80% ")
	test.Tap(v.Save)
	require.Len(t, svc.stores, 1)
	require.Equal(t, app.PaymentConsumeDeposit, svc.stores[0].PaymentMode)
	require.Equal(t, 80, svc.stores[0].DiscountFloorPct)
	require.Equal(t, "80", v.Floor.Text)
	require.Equal(t, "好邻居便利店", svc.stores[0].Name, "the other details as they were")

	v.Floor.SetText("")
	test.Tap(v.Save)
	require.Zero(t, svc.stores[1].DiscountFloorPct, "empty: no floor")
	require.Equal(t, app.PaymentConsumeDeposit, svc.stores[1].PaymentMode)

	require.NoError(t, i18n.Use(i18n.English))
	t.Cleanup(func() { _ = i18n.Use(i18n.Chinese) })
	names := map[string]bool{}
	for _, m := range app.PaymentModes {
		names[PaymentModeName(m)] = true
	}
	require.Len(t, names, len(app.PaymentModes))
	require.Equal(t, "Total + non-discountable amount (Alipay only)", PaymentModeName(app.PaymentTotalNonDiscount))
}
