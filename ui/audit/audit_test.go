package audit

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/ui/async"
	"cashier/ui/i18n"
)

var shanghai = time.FixedZone("CST", 8*3600)

// fakeLog filters its rows as localdb does: newest first, From ≤ at < To.
type fakeLog struct {
	rows   []Row // oldest first
	check  Check
	err    error
	asked  []Filter
	people []Person
}

func (l *fakeLog) List(_ context.Context, f Filter) ([]Row, error) {
	l.asked = append(l.asked, f)
	if l.err != nil {
		return nil, l.err
	}
	var out []Row
	for i := len(l.rows) - 1; i >= 0 && len(out) < f.Limit; i-- {
		r := l.rows[i]
		switch {
		case !f.From.IsZero() && r.At.Before(f.From),
			!f.To.IsZero() && !r.At.Before(f.To),
			f.StaffCode != "" && r.StaffCode != f.StaffCode,
			f.Action != "" && r.Action != f.Action,
			f.Before > 0 && r.ID >= f.Before:
			continue
		}
		out = append(out, r)
	}
	return out, nil
}

func (l *fakeLog) People(context.Context) ([]Person, error) { return l.people, nil }
func (l *fakeLog) Verify(context.Context) (Check, error)    { return l.check, nil }

func sampleLog() *fakeLog {
	day := func(d, h int) time.Time { return time.Date(2026, 11, d, h, 0, 0, 0, shanghai) }
	return &fakeLog{
		people: []Person{{"1001", "王店长"}, {"1003", "李娜"}},
		rows: []Row{
			{ID: 1, At: day(1, 9), StaffCode: "1003", StaffName: "李娜", Action: "login"},
			{ID: 2, At: day(1, 10), StaffCode: "1003", StaffName: "李娜", Action: "drawer_open", Subject: "SZ1", Detail: "cash_sale"},
			{ID: 3, At: day(2, 9), StaffCode: "1001", StaffName: "王店长", Action: "refund", Subject: "SZ1", Detail: "R1 12.00"},
			{ID: 4, At: day(2, 23), StaffCode: "1003", StaffName: "李娜", Action: "login_failed", Detail: "attempt 1"},
			{ID: 5, At: day(3, 0), Action: "weird_new_thing"},
		},
		check: Check{OK: true, Message: app.Msg("audit.verify.ok", "Rows", 5)},
	}
}

func ids(v *View) []int64 {
	out := []int64{}
	for _, r := range v.Rows() {
		out = append(out, r.ID)
	}
	return out
}

func newView(t *testing.T, l *fakeLog) (*View, fyne.Window) {
	t.Helper()
	async.Synchronous = true
	t.Cleanup(func() { async.Synchronous = false })
	test.NewTempApp(t)
	require.NoError(t, i18n.Use(i18n.Chinese))
	v := New(Deps{Log: l, Zone: shanghai})
	w := test.NewTempWindow(t, v.Content())
	w.Resize(fyne.NewSize(1024, 768))
	return v, w
}

func TestAuditView_ShowsNewestFirstInWords(t *testing.T) {
	v, _ := newView(t, sampleLog())
	assert.Equal(t, []int64{5, 4, 3, 2, 1}, ids(v))
	assert.Equal(t, "2026-11-01 10:00:00", v.Cell(3, 0))
	assert.Equal(t, "1003 李娜", v.Cell(3, 1))
	assert.Equal(t, i18n.T("audit.action.drawer_open"), v.Cell(3, 2))
	assert.NotEqual(t, "drawer_open", v.Cell(3, 2), "a known action is in words")
	assert.Equal(t, "SZ1", v.Cell(3, 3))
	assert.Equal(t, "cash_sale", v.Cell(3, 4))
	assert.Equal(t, "weird_new_thing", v.Cell(0, 2), "an unknown action shows its code")
	assert.Equal(t, i18n.T("audit.view.system"), v.Cell(0, 1))
	assert.Equal(t, i18n.T("audit.view.count", "N", 5), v.Status.Text)
	assert.True(t, v.More.Disabled(), "one short page: nothing older")

	v.Table.Select(widget.TableCellID{Row: 2, Col: 0})
	assert.Contains(t, v.Detail.Text, "#3")
	assert.Contains(t, v.Detail.Text, "R1 12.00")
}

func TestAuditView_FiltersNarrowTheTable(t *testing.T) {
	l := sampleLog()
	v, w := newView(t, l)

	v.Person.SetSelected("1003 李娜")
	assert.Equal(t, []int64{4, 2, 1}, ids(v))
	assert.Equal(t, "1003", l.asked[len(l.asked)-1].StaffCode)

	v.Action.SetSelected(ActionName("login"))
	assert.Equal(t, []int64{1}, ids(v))

	v.Action.SetSelected(i18n.T("audit.view.all_actions"))
	v.Person.SetSelected(i18n.T("audit.view.all_people"))
	assert.Equal(t, []int64{5, 4, 3, 2, 1}, ids(v))

	// Dates are the store's days, both ends included; Enter applies.
	w.Canvas().Focus(v.From)
	test.Type(v.From, "2026-11-02")
	test.Type(v.To, "2026-11-02")
	v.To.OnSubmitted(v.To.Text)
	assert.Equal(t, []int64{4, 3}, ids(v))
	f := l.asked[len(l.asked)-1]
	assert.Equal(t, time.Date(2026, 11, 2, 0, 0, 0, 0, shanghai), f.From)
	assert.Equal(t, time.Date(2026, 11, 3, 0, 0, 0, 0, shanghai), f.To)

	// Bad input: nothing is asked, the table stays, the status says why.
	asked := len(l.asked)
	v.To.SetText("2026-13-01")
	test.Tap(v.Apply)
	assert.Equal(t, asked, len(l.asked))
	assert.Equal(t, []int64{4, 3}, ids(v))
	assert.Equal(t, i18n.T("audit.view.bad_date", "Value", "2026-13-01"), v.Status.Text)
	v.To.SetText("2026-11-01")
	test.Tap(v.Apply)
	assert.Equal(t, asked, len(l.asked))
	assert.Equal(t, i18n.T("audit.view.bad_range"), v.Status.Text)

	// No match.
	v.From.SetText("2030-01-01")
	v.To.SetText("")
	test.Tap(v.Apply)
	assert.Empty(t, ids(v))
	assert.Equal(t, i18n.T("audit.view.none"), v.Status.Text)
}

func TestAuditView_PagesOlderRows(t *testing.T) {
	l := &fakeLog{}
	for i := 1; i <= PageSize+30; i++ {
		l.rows = append(l.rows, Row{ID: int64(i), At: time.Unix(int64(i), 0), StaffCode: "1003", Action: "login"})
	}
	v, _ := newView(t, l)
	require.Len(t, v.Rows(), PageSize)
	assert.Equal(t, int64(PageSize+30), v.Rows()[0].ID)
	require.False(t, v.More.Disabled())
	assert.Equal(t, i18n.T("audit.view.count_more", "N", PageSize), v.Status.Text)
	test.Tap(v.More)
	require.Len(t, v.Rows(), PageSize+30)
	assert.Equal(t, int64(1), v.Rows()[PageSize+29].ID)
	assert.Equal(t, int64(31), l.asked[len(l.asked)-1].Before)
	assert.True(t, v.More.Disabled())
}

func TestAuditView_VerifyButtonShowsTheResult(t *testing.T) {
	l := sampleLog()
	v, _ := newView(t, l)
	test.Tap(v.Verify)
	assert.Equal(t, i18n.T("audit.verify.ok", "Rows", 5), v.Result.Text)
	assert.Equal(t, widget.SuccessImportance, v.Result.Importance)

	l.check = Check{Message: app.Msg("audit.verify.missing", "ID", int64(3), "Rows", int64(2))}
	test.Tap(v.Verify)
	assert.Contains(t, v.Result.Text, "3")
	assert.Equal(t, i18n.T("audit.verify.missing", "ID", 3, "Rows", 2), v.Result.Text)
	assert.Equal(t, widget.DangerImportance, v.Result.Importance)
	assert.False(t, v.Verify.Disabled())
}

func TestAuditView_LoadErrorIsShown(t *testing.T) {
	l := sampleLog()
	l.err = errors.New("disk gone")
	v, _ := newView(t, l)
	assert.Empty(t, v.Rows())
	assert.Contains(t, v.Status.Text, "disk gone")
}

// The workspace fits the smallest screen beside the navigation bar.
func TestAuditView_FitsTheScreen(t *testing.T) {
	for _, lang := range []string{i18n.Chinese, i18n.English} {
		t.Run(lang, func(t *testing.T) {
			v, _ := newView(t, sampleLog())
			require.NoError(t, i18n.Use(lang))
			defer i18n.Use(i18n.Chinese)
			v = New(Deps{Log: sampleLog(), Zone: shanghai})
			min := v.Content().MinSize()
			assert.LessOrEqual(t, min.Width, float32(1024-200), fmt.Sprint(min))
			assert.LessOrEqual(t, min.Height, float32(768-120), fmt.Sprint(min))
		})
	}
}

func TestVisible_SettingsOrStaffManagers(t *testing.T) {
	assert.True(t, Visible(app.Staff{Permissions: map[string]bool{app.PermSettings: true}}))
	assert.True(t, Visible(app.Staff{Permissions: map[string]bool{app.PermStaffManage: true}}))
	assert.False(t, Visible(app.Staff{Permissions: map[string]bool{app.PermRefund: true}}))
}

func TestActionName_EveryKnownCodeHasWords(t *testing.T) {
	for _, lang := range []string{i18n.Chinese, i18n.English} {
		require.NoError(t, i18n.Use(lang))
		for _, c := range ActionCodes() {
			n := ActionName(c)
			assert.NotEqual(t, c, n, "%s in %s", c, lang)
			assert.NotContains(t, n, "audit.action", "%s in %s", c, lang)
		}
	}
	require.NoError(t, i18n.Use(i18n.Chinese))
	assert.Equal(t, "no_such_action", ActionName("no_such_action"))
}
