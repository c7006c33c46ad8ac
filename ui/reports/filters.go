package reports

import (
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"cashier/app"
	"cashier/app/summary"
	"cashier/ui/i18n"
)

// keyEntry is a filter field that gives the workspace its keys first (a
// plain Entry keeps F-keys and Ctrl+Tab to itself) and reads the filters
// on Enter.
type keyEntry struct {
	widget.Entry
	v *View
}

func newKeyEntry(v *View, placeholder string, submit func()) *keyEntry {
	e := &keyEntry{v: v}
	e.ExtendBaseWidget(e)
	e.SetPlaceHolder(placeholder)
	e.OnSubmitted = func(string) { submit() }
	return e
}

// TypedKey gives the workspace its keys; Enter and the rest are the field's.
func (e *keyEntry) TypedKey(k *fyne.KeyEvent) {
	switch k.Name {
	case fyne.KeyReturn, fyne.KeyEnter, fyne.KeyUp, fyne.KeyDown, fyne.KeyLeft, fyne.KeyRight,
		fyne.KeyHome, fyne.KeyEnd, fyne.KeyBackspace, fyne.KeyDelete, fyne.KeyTab:
	default:
		if e.v.key(k.Name) {
			return
		}
	}
	e.Entry.TypedKey(k)
}

// TypedShortcut gives the workspace Ctrl+Tab and Ctrl+P.
func (e *keyEntry) TypedShortcut(s fyne.Shortcut) {
	if e.v.shortcut(s) {
		return
	}
	e.Entry.TypedShortcut(s)
}

// choice is a Select whose options stand for values.
type choice[T comparable] struct {
	*widget.Select
	values []T
}

func newChoice[T comparable](changed func()) *choice[T] {
	c := &choice[T]{}
	c.Select = widget.NewSelect(nil, func(string) {
		if changed != nil {
			changed()
		}
	})
	return c
}

// set replaces the options, keeping the value chosen when it is still
// offered, else the first.
func (c *choice[T]) set(labels []string, values []T) {
	keep := c.Value()
	c.values = values
	c.Options = labels
	c.Selected = ""
	for i, v := range values {
		if v == keep || c.Selected == "" {
			c.Selected = labels[i]
		}
	}
	c.Refresh()
}

// Value is what the chosen option stands for (the zero value when none).
func (c *choice[T]) Value() T {
	var zero T
	if i := c.SelectedIndex(); i >= 0 && i < len(c.values) {
		return c.values[i]
	}
	return zero
}

// Choose chooses the option standing for v, as a person would (its
// change runs); false when none does.
func (c *choice[T]) Choose(v T) bool {
	for i, x := range c.values {
		if x == v {
			c.SetSelectedIndex(i)
			return true
		}
	}
	return false
}

// field is a typed filter with its label (a choice says what it is by its
// options).
func field(key string, o fyne.CanvasObject) fyne.CanvasObject {
	return container.NewBorder(nil, nil, widget.NewLabel(i18n.T(key)), nil, o)
}

// cleanDate turns what people type into a date's digits and dashes:
// full-width digits, 2026/1/5, 2026.1.5 and 2026年1月5日.
func cleanDate(s string) string {
	s = strings.TrimSpace(s)
	s = strings.Map(func(r rune) rune {
		switch {
		case r >= '０' && r <= '９':
			return '0' + (r - '０')
		case r == '/' || r == '.' || r == '年' || r == '月' || r == '－':
			return '-'
		case r == '日' || r == '号':
			return -1
		case r == '：':
			return ':'
		}
		return r
	}, s)
	return strings.TrimSuffix(s, "-")
}

// parseDay reads a business day: 2026-01-05 (or 2026-1-5).
func parseDay(s string) (summary.Day, bool) {
	t, err := time.Parse("2006-1-2", cleanDate(s))
	if err != nil || t.Year() < 2000 {
		return summary.Day{}, false
	}
	return summary.DayOf(t, time.UTC), true
}

// parseMonth reads a month: 2026-01.
func parseMonth(s string) (int, time.Month, bool) {
	t, err := time.Parse("2006-1", cleanDate(s))
	if err != nil || t.Year() < 2000 {
		return 0, 0, false
	}
	return t.Year(), t.Month(), true
}

// parseYear reads a year: 2026.
func parseYear(s string) (int, bool) {
	y, err := strconv.Atoi(cleanDate(s))
	if err != nil || y < 2000 || y > 9999 {
		return 0, false
	}
	return y, true
}

// parseMoment reads a time in the store's zone: 2026-01-05 15:04, or a
// date alone — its start, or with end the start of the next day (the day
// typed is included). Empty is unbounded (zero).
func parseMoment(s string, loc *time.Location, end bool) (time.Time, bool) {
	s = cleanDate(s)
	if s == "" {
		return time.Time{}, true
	}
	for _, layout := range []string{"2006-1-2 15:04:05", "2006-1-2 15:04"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, t.Year() >= 2000
		}
	}
	t, err := time.ParseInLocation("2006-1-2", s, loc)
	if err != nil || t.Year() < 2000 {
		return time.Time{}, false
	}
	if end {
		t = t.AddDate(0, 0, 1)
	}
	return t, true
}

// parseAmount reads an amount filter: empty is none.
func parseAmount(s string) (app.Money, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, true
	}
	m, err := app.ParseMoney(s)
	return m, err == nil
}

// dayStart is the start of a business day's calendar date in loc.
func dayStart(d summary.Day, loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.D, 0, 0, 0, 0, loc)
}

// staffLabel names a person in a filter: number and name.
func staffLabel(s app.Staff) string { return s.Code + " " + s.Name }

// storeLabel names a store in a filter: number and name.
func storeLabel(s app.StoreInfo) string { return s.Code + " " + s.Name }

// storeChoice is the store filter, offered to a chain's manager.
func storeChoice(v *View) *choice[int64] {
	c := newChoice[int64](nil)
	c.OnChanged = func(string) { v.setStore(c.Value()) }
	var labels []string
	var ids []int64
	for _, s := range v.stores {
		labels = append(labels, storeLabel(s))
		ids = append(ids, s.ID)
	}
	c.values, c.Options = ids, labels
	for i, id := range ids {
		if id == v.store.ID {
			c.Selected = labels[i]
		}
	}
	return c
}

// setStaffOptions fills a staff filter: everyone, then each person.
func setStaffOptions(c *choice[int64], people []app.Staff) {
	labels := []string{i18n.T("reports.all_staff")}
	ids := []int64{0}
	for _, p := range people {
		labels = append(labels, staffLabel(p))
		ids = append(ids, p.ID)
	}
	c.set(labels, ids)
}

// show makes the option standing for v the one shown, without its change
// running (another tab chose it).
func (c *choice[T]) show(v T) {
	for i, x := range c.values {
		if x == v {
			c.Selected = c.Options[i]
			c.Refresh()
			return
		}
	}
}
