package deposits

import (
	"context"
	"errors"
	"strconv"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"cashier/app"
	"cashier/app/deposit"
	"cashier/app/payment"
	"cashier/ui/async"
	"cashier/ui/i18n"
	"cashier/ui/scaninput"
)

// listMode is what the list shows.
type listMode int

const (
	modeOpen   listMode = iota // every deposit still frozen, whatever its age
	modeSearch                 // by the filters
	modeFound                  // several deposits one number matched
)

// DefaultDays is how far back a search goes unless told otherwise.
const DefaultDays = 30

// list is the deposits listed, the search field and the filters.
type list struct {
	Query    *scaninput.Entry // a scan, a number, a room or a name
	Wallet   *keySelect
	From, To *scaninput.Entry // dates in the store's zone, both included
	Min, Max *scaninput.Entry // amounts in yuan
	OpenOnly *keyCheck
	List     *rowList
	Heading  *widget.Label
	NearNote *widget.Label // how many are near their wallet's automatic refund
	Rows     []deposit.Row

	filters  *fyne.Container
	listTop  *fyne.Container // the filters, the heading and the note above the list
	sel      int
	moving   bool // the selection moves by a key, not a tap
	mode     listMode
	prevMode listMode // the list before several matches were shown
	lastQ    string   // the text (or number) the list was searched by
	notes    map[string]string
	gen      int // the load being waited for
}

// wallets are the method filter's choices, in the order shown.
var wallets = []app.Wallet{"", app.WalletWeChat, app.WalletAlipay}

func (v *View) buildList() fyne.CanvasObject {
	l := &v.list
	l.notes = map[string]string{}
	l.Query = v.newEntry(v.querySubmit)
	l.Query.SetPlaceHolder(i18n.T("deposits.query.placeholder"))
	names := []string{i18n.T("deposits.filter.all")}
	for _, w := range wallets[1:] {
		names = append(names, i18n.M(app.WalletName(w)))
	}
	l.Wallet = newKeySelect(v, names, func(string) { v.filtersChanged() })
	l.Wallet.SetSelectedIndex(0)
	l.From = v.newEntry(v.applyFilters)
	l.To = v.newEntry(v.applyFilters)
	l.Min = v.newEntry(v.applyFilters)
	l.Max = v.newEntry(v.applyFilters)
	today := v.now().In(v.deps.Location)
	l.From.SetText(today.AddDate(0, 0, -(DefaultDays - 1)).Format(dateOnly))
	l.To.SetText(today.Format(dateOnly))
	l.From.SetPlaceHolder(dateOnly)
	l.To.SetPlaceHolder(dateOnly)
	l.Min.SetPlaceHolder(i18n.T("deposits.filter.min"))
	l.Max.SetPlaceHolder(i18n.T("deposits.filter.max"))
	l.OpenOnly = newKeyCheck(v, i18n.T("deposits.filter.open_only"), func(bool) { v.filtersChanged() })
	l.OpenOnly.SetChecked(true)
	l.Heading = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	l.Heading.Wrapping = fyne.TextWrapWord
	l.NearNote = widget.NewLabel("")
	l.NearNote.Wrapping = fyne.TextWrapWord
	l.NearNote.Importance = widget.WarningImportance
	l.List = newRowList(v)

	to := func() fyne.CanvasObject { return widget.NewLabel(i18n.T("deposits.filter.to")) }
	l.filters = container.NewVBox(
		container.NewHBox(widget.NewLabel(i18n.T("deposits.filter.date")), minWidth(112, l.From), to(), minWidth(112, l.To),
			widget.NewLabel(i18n.T("deposits.filter.method")), minWidth(110, l.Wallet)),
		container.NewHBox(widget.NewLabel(i18n.T("deposits.filter.amount")), minWidth(96, l.Min), to(), minWidth(96, l.Max),
			l.OpenOnly))
	l.listTop = container.NewVBox(l.filters, l.Heading, l.NearNote, listHeader())
	return container.NewBorder(l.listTop, nil, nil, nil, l.List)
}

const dateOnly = "2006-01-02"

// showList sets the list page for the state.
func (v *View) showList() {
	v.filters.Hidden = v.mode != modeSearch
	v.filters.Refresh()
	v.NearNote.Hidden = v.NearNote.Text == ""
	v.NearNote.Refresh()
}

// showOpen is F4 (and the start): every deposit still frozen.
func (v *View) showOpen() {
	v.mode, v.lastQ = modeOpen, ""
	v.Query.SetText("")
	v.show(stList)
	v.say(i18n.T("deposits.list.hint"))
	v.load()
}

// showSearch is F3: the filters, the last 30 days unless changed.
func (v *View) showSearch() {
	v.mode = modeSearch
	if v.Query.Text != v.lastQ {
		v.lastQ = trim(v.Query.Text)
	}
	v.show(stList)
	v.say(i18n.T("deposits.search.hint"))
	v.load()
}

// backToList leaves a deposit or the take page for the list as it was,
// read again (what was done since shows).
func (v *View) backToList() {
	v.Query.SetText(v.lastQ)
	v.show(stList)
	v.say(i18n.T("deposits.list.hint"))
	v.load()
}

// applyFilters is Enter in a filter field.
func (v *View) applyFilters() {
	if v.st.running() {
		return
	}
	v.mode = modeSearch
	if v.st != stList {
		v.show(stList)
	}
	v.load()
}

// filtersChanged: the method or open-only changed; a search shows it at
// once.
func (v *View) filtersChanged() {
	if v.mode == modeSearch && v.st == stList {
		v.load()
	}
}

// querySubmit is Enter in the search field: what is typed is searched;
// with nothing typed, Enter goes on as it would elsewhere.
func (v *View) querySubmit() {
	if v.st.running() {
		v.say(i18n.T("deposits.busy"))
		return
	}
	if q := trim(v.Query.Text); q != "" && (v.st != stList || q != v.lastQ) {
		v.search(q)
		return
	}
	v.enter()
}

// listEnter is Enter on the list: a new search when the text changed,
// else the chosen deposit opens.
func (v *View) listEnter() {
	if q := trim(v.Query.Text); q != v.lastQ {
		v.search(q)
		return
	}
	if v.sel >= 0 && v.sel < len(v.Rows) {
		v.openDetail(v.Rows[v.sel].DepositNo)
		return
	}
	v.say(i18n.T("deposits.list.none"))
}

// listEscape is Esc on the list: the text typed goes, then several
// matches go back to the list before them, then a search goes back to
// the open deposits.
func (v *View) listEscape() {
	switch {
	case v.Query.Text != "" || v.lastQ != "":
		v.Query.SetText("")
		v.lastQ = ""
		if v.mode == modeFound {
			v.mode = v.prevMode
		}
		v.load()
	case v.mode == modeSearch:
		v.showOpen()
	}
}

// search looks for what was typed: a number (the deposit's, the wallet's
// transaction number, or the last six of either) is found as a scan is;
// other text (a room's start, part of a name) searches the list shown.
func (v *View) search(q string) {
	if q == "" {
		v.lastQ = ""
		if v.mode == modeFound {
			v.mode = v.prevMode
		}
		v.show(stList)
		v.load()
		return
	}
	if !numberLike(q) {
		v.searchText(q, nil)
		return
	}
	var found []payment.Deposit
	var err error
	desk := v.deps.Desk
	v.say(i18n.T("deposits.finding"))
	async.Run(func() { found, err = desk.Find(context.Background(), q) }, func() {
		switch {
		case err == nil && len(found) > 0:
			v.foundDeposits(q, found)
		case errors.Is(err, deposit.ErrNotADeposit), errors.Is(err, deposit.ErrOtherStore):
			v.say(i18n.Err(err))
		default:
			v.searchText(q, err)
		}
	})
}

// searchText lists the deposits whose room starts with q or whose
// guest's name holds it; findErr is why q was not found as a number.
func (v *View) searchText(q string, findErr error) {
	v.lastQ = q
	if v.mode == modeFound {
		v.mode = v.prevMode
	}
	v.show(stList)
	v.loadThen(func(n int) {
		if n == 0 && findErr != nil {
			v.say(i18n.Err(findErr))
		}
	})
}

// shortNoLen is how many trailing characters of a deposit's or a
// transaction's number find it (localdb.ShortNoLen).
const shortNoLen = 6

// numberLike: what a receipt, a wallet or their last six read.
func numberLike(q string) bool {
	if len(q) < shortNoLen {
		return false
	}
	for _, r := range q {
		if !(r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z') {
			return false
		}
	}
	return true
}

// find is a scanned receipt barcode or wallet transaction number.
func (v *View) find(code string) {
	var found []payment.Deposit
	var err error
	desk := v.deps.Desk
	v.say(i18n.T("deposits.finding"))
	async.Run(func() { found, err = desk.Find(context.Background(), code) }, func() {
		if err != nil {
			v.say(i18n.Err(err))
			return
		}
		v.foundDeposits(code, found)
	})
}

// foundDeposits opens the one deposit a number found, or lists several
// to choose from.
func (v *View) foundDeposits(q string, found []payment.Deposit) {
	if len(found) == 1 {
		v.openDetail(found[0].DepositNo)
		return
	}
	if v.mode != modeFound {
		v.prevMode = v.mode
	}
	v.mode, v.lastQ = modeFound, q
	v.Query.SetText(q)
	rows := make([]deposit.Row, len(found))
	for i, d := range found {
		rows[i] = deposit.Row{Deposit: d, Note: v.notes[d.DepositNo]}
	}
	v.gen++
	v.setRows(rows)
	v.show(stList)
	v.say(i18n.T("deposits.found.several", "N", len(found), "Q", q))
}

// filter is the list's filter now; an error says which field is wrong.
func (v *View) filter() (deposit.Filter, error) {
	f := deposit.Filter{Text: v.lastQ}
	if v.mode == modeOpen {
		f.Open = true
		return f, nil
	}
	f.Open = v.OpenOnly.Checked
	f.Wallet = wallets[max(v.Wallet.SelectedIndex(), 0)]
	day := func(e *scaninput.Entry) (time.Time, error) {
		s := trim(e.Text)
		if s == "" {
			return time.Time{}, nil
		}
		t, err := time.ParseInLocation(dateOnly, s, v.deps.Location)
		if err != nil {
			return t, filterErr{i18n.T("deposits.filter.bad_date", "Value", s), e}
		}
		return t, nil
	}
	var err error
	if f.From, err = day(v.From); err != nil {
		return f, err
	}
	if f.To, err = day(v.To); err != nil {
		return f, err
	}
	if !f.To.IsZero() {
		f.To = f.To.AddDate(0, 0, 1) // the day itself is included
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return f, filterErr{i18n.T("deposits.filter.dates_reversed"), v.From}
	}
	amount := func(e *scaninput.Entry) (app.Money, error) {
		s := trim(e.Text)
		if s == "" {
			return 0, nil
		}
		m, err := app.ParseMoney(s)
		if err != nil {
			return 0, filterErr{i18n.T("deposits.filter.bad_amount", "Err", i18n.Err(err)), e}
		}
		return m, nil
	}
	if f.MinAmount, err = amount(v.Min); err != nil {
		return f, err
	}
	if f.MaxAmount, err = amount(v.Max); err != nil {
		return f, err
	}
	if f.MinAmount > 0 && f.MaxAmount > 0 && f.MinAmount > f.MaxAmount {
		return f, filterErr{i18n.T("deposits.filter.amounts_reversed"), v.Min}
	}
	return f, nil
}

// filterErr is a filter field that cannot be read, in words.
type filterErr struct {
	msg   string
	field *scaninput.Entry
}

func (e filterErr) Error() string { return e.msg }

// load reads the list again as its mode and filters say.
func (v *View) load() { v.loadThen(nil) }

func (v *View) loadThen(then func(n int)) {
	if v.stopped {
		return
	}
	if v.mode == modeFound {
		v.refind(then)
		return
	}
	f, err := v.filter()
	if err != nil {
		var fe filterErr
		if errors.As(err, &fe) && v.st == stList {
			v.focus(fe.field)
		}
		v.say(err.Error())
		return
	}
	v.gen++
	gen, desk := v.gen, v.deps.Desk
	var rows []deposit.Row
	async.Run(func() { rows, err = desk.Search(context.Background(), f) }, func() {
		if gen != v.gen || v.stopped {
			return // another load was asked for meanwhile
		}
		if err != nil {
			v.say(i18n.T("deposits.err.load", "Err", i18n.Err(err)))
			return
		}
		v.setRows(rows)
		if then != nil {
			then(len(rows))
		}
	})
}

// refind reads several matches of one number again.
func (v *View) refind(then func(n int)) {
	v.gen++
	gen, q, desk := v.gen, v.lastQ, v.deps.Desk
	var found []payment.Deposit
	var err error
	async.Run(func() { found, err = desk.Find(context.Background(), q) }, func() {
		if gen != v.gen || v.stopped {
			return
		}
		if err != nil {
			v.say(i18n.Err(err))
			found = nil
		}
		rows := make([]deposit.Row, len(found))
		for i, d := range found {
			rows[i] = deposit.Row{Deposit: d, Note: v.notes[d.DepositNo]}
		}
		v.setRows(rows)
		if then != nil {
			then(len(rows))
		}
	})
}

// setRows shows rows, keeping the deposit chosen when it is still there.
func (v *View) setRows(rows []deposit.Row) {
	chosen := ""
	if v.sel >= 0 && v.sel < len(v.Rows) {
		chosen = v.Rows[v.sel].DepositNo
	}
	v.Rows = rows
	v.sel = 0
	for i, r := range rows {
		if r.Note != "" {
			v.notes[r.DepositNo] = r.Note
		}
		if r.DepositNo == chosen {
			v.sel = i
		}
	}
	v.List.Refresh()
	if len(rows) > 0 {
		v.selectRow(v.sel)
	} else {
		v.List.UnselectAll()
	}
	v.heading()
}

// heading says what the list holds and how many deposits are near their
// wallet's automatic refund.
func (v *View) heading() {
	n := len(v.Rows)
	var held app.Money
	near, past := 0, 0
	now := v.now()
	for _, r := range v.Rows {
		if r.State == payment.DepositFrozen {
			held += r.Left()
		}
		switch {
		case payment.DepositPastLimit(r.Deposit, now):
			past++
		case payment.DepositNearLimit(r.Deposit, now):
			near++
		}
	}
	var h string
	switch {
	case v.mode == modeFound:
		h = i18n.T("deposits.found.heading", "N", n, "Q", v.lastQ)
	case v.mode == modeOpen && v.lastQ == "":
		h = i18n.T("deposits.open.heading", "N", n, "Held", held.Display())
	case v.mode == modeOpen:
		h = i18n.T("deposits.open.heading_q", "N", n, "Q", v.lastQ)
	default:
		h = i18n.T("deposits.search.heading", "N", n, "From", trim(v.From.Text), "To", trim(v.To.Text))
	}
	if n >= deposit.DefaultLimit {
		h += " " + i18n.T("deposits.list.limited", "Limit", deposit.DefaultLimit)
	}
	v.Heading.SetText(h)
	note := ""
	if near > 0 {
		note = i18n.T("deposits.near.note", "N", near, "Days", int(payment.DepositWarnBefore/(24*time.Hour)))
	}
	if past > 0 {
		if note != "" {
			note += i18n.T("list.sep")
		}
		note += i18n.T("deposits.past.note", "N", past)
	}
	v.NearNote.SetText(note)
	v.showList()
	v.listTop.Refresh() // the note shown or gone moves the list
}

// move is ↑/↓: the chosen deposit in the list, or the field above or
// below in the form.
func (v *View) move(d int) {
	switch v.st {
	case stList:
		if len(v.Rows) > 0 {
			v.selectRow(min(max(v.sel+d, 0), len(v.Rows)-1))
		}
	case stForm:
		for i, e := range v.form {
			if v.focused(e) {
				v.focus(v.form[min(max(i+d, 0), len(v.form)-1)])
				return
			}
		}
	}
}

func (v *View) selectRow(i int) {
	v.sel = i
	v.moving = true
	v.List.Select(i)
	v.moving = false
	v.List.ScrollTo(i)
}

// rowList is the list of deposits, taking the view's keys while it has
// the focus (a plain List keeps ↑/↓ to itself and ignores Enter).
type rowList struct {
	widget.List
	v *View
}

// Column widths at their least; wider screens share the extra in
// proportion. Last six, room, guest, phone, method, amount, held, days,
// state.
var widths = []float32{66, 60, 88, 104, 96, 90, 90, 48, 136}

func newRowList(v *View) *rowList {
	l := &rowList{v: v}
	l.Length = func() int { return len(v.Rows) }
	l.CreateItem = func() fyne.CanvasObject {
		cells := make([]fyne.CanvasObject, len(widths))
		for i := range cells {
			c := widget.NewLabel("")
			c.Truncation = fyne.TextTruncateEllipsis
			cells[i] = c
		}
		return container.New(cols(widths), cells...)
	}
	l.UpdateItem = func(i widget.ListItemID, o fyne.CanvasObject) {
		if i >= len(v.Rows) {
			return
		}
		texts, imp := v.cells(v.Rows[i])
		for c, text := range texts {
			lb := o.(*fyne.Container).Objects[c].(*widget.Label)
			lb.Importance = imp
			lb.Text = text
			lb.Refresh()
		}
	}
	l.OnSelected = func(i widget.ListItemID) {
		v.sel = i
		if !v.moving && v.st == stList && i < len(v.Rows) {
			v.openDetail(v.Rows[i].DepositNo) // a tap opens it
		}
	}
	l.ExtendBaseWidget(l)
	return l
}

// TypedKey gives the view its keys first.
func (l *rowList) TypedKey(k *fyne.KeyEvent) {
	if !l.v.handleKey(k.Name) {
		l.List.TypedKey(k)
	}
}

func listHeader() fyne.CanvasObject {
	keys := []string{i18n.Key("deposits.col.short"), i18n.Key("deposits.col.room"), i18n.Key("deposits.col.guest"),
		i18n.Key("deposits.col.phone"), i18n.Key("deposits.col.method"), i18n.Key("deposits.col.amount"),
		i18n.Key("deposits.col.held"), i18n.Key("deposits.col.days"), i18n.Key("deposits.col.state")}
	cells := make([]fyne.CanvasObject, len(keys))
	for i, k := range keys {
		l := widget.NewLabelWithStyle(i18n.T(k), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		l.Truncation = fyne.TextTruncateEllipsis
		cells[i] = l
	}
	return container.New(cols(widths), cells...)
}

// cells are a row's texts, and how it stands out: in the warning colour
// near its wallet's automatic refund, in the error colour past it, grey
// once settled.
func (v *View) cells(r deposit.Row) ([]string, widget.Importance) {
	now := v.now()
	state, imp := stateWords(r.Deposit), widget.MediumImportance
	switch {
	case payment.DepositPastLimit(r.Deposit, now):
		state, imp = i18n.T("deposits.state.past_limit"), widget.DangerImportance
	case payment.DepositNearLimit(r.Deposit, now):
		state, imp = i18n.T("deposits.state.near_limit", "Days", daysLeft(r.Deposit, now)), widget.WarningImportance
	case r.State != payment.DepositFrozen:
		imp = widget.LowImportance
	}
	return []string{app.ShortNo(r.DepositNo), r.Room, r.GuestName, app.MaskPhone(r.GuestPhone),
		i18n.M(app.WalletName(r.Wallet)), r.Amount.Display(), r.Left().Display(),
		strconv.Itoa(ageDays(r.Deposit, now)), state}, imp
}

// ageDays is how many whole days ago the deposit was taken.
func ageDays(d payment.Deposit, now time.Time) int {
	return max(int(now.Sub(d.CreatedAt)/(24*time.Hour)), 0)
}

// daysLeft is how many days (started ones count) remain before the
// wallet refunds the deposit by itself.
func daysLeft(d payment.Deposit, now time.Time) int {
	limit, ok := payment.DepositLimit(d.Wallet)
	if !ok {
		return 0
	}
	left := d.CreatedAt.Add(limit).Sub(now)
	return max(int((left+24*time.Hour-1)/(24*time.Hour)), 0)
}

// stateWords names where a deposit stands.
func stateWords(d payment.Deposit) string {
	switch d.State {
	case payment.DepositFrozen:
		return i18n.T("deposits.state.frozen")
	case payment.DepositConsumed:
		return i18n.T("deposits.state.consumed")
	case payment.DepositReleased:
		return i18n.T("deposits.state.released")
	case payment.DepositExpired:
		return i18n.T("deposits.state.expired")
	}
	return i18n.T("deposits.state.not_frozen")
}

// cols lays cells out side by side from their least widths, sharing any
// extra width in proportion.
type cols []float32

func (c cols) total() float32 {
	var t float32
	for _, w := range c {
		t += w
	}
	return t
}

func (c cols) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	t := c.total()
	extra := max(size.Width-t, 0)
	x := float32(0)
	for i, o := range objs {
		if i >= len(c) {
			break
		}
		w := c[i] + extra*c[i]/t
		o.Move(fyne.NewPos(x, 0))
		o.Resize(fyne.NewSize(w, size.Height))
		x += w
	}
}

func (c cols) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var h float32
	for _, o := range objs {
		h = max(h, o.MinSize().Height)
	}
	return fyne.NewSize(c.total(), h)
}

// minWidth gives a field a usable width in a row of them.
func minWidth(w float32, o fyne.CanvasObject) fyne.CanvasObject {
	return container.New(atLeast(w), o)
}

type atLeast float32

func (a atLeast) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(size)
	}
}

func (a atLeast) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var s fyne.Size
	for _, o := range objs {
		s = s.Max(o.MinSize())
	}
	return fyne.NewSize(max(s.Width, float32(a)), s.Height)
}

// keySelect is the method filter, taking the view's keys (Esc, Enter,
// ↑/↓, the F-keys) while it has the focus; ←/→ change it, Space opens it.
type keySelect struct {
	widget.Select
	v *View
}

func newKeySelect(v *View, options []string, changed func(string)) *keySelect {
	s := &keySelect{v: v}
	s.Options, s.OnChanged = options, changed
	s.ExtendBaseWidget(s)
	return s
}

func (s *keySelect) TypedKey(k *fyne.KeyEvent) {
	switch k.Name {
	case fyne.KeyLeft, fyne.KeyRight, fyne.KeySpace:
		s.Select.TypedKey(k)
	default:
		if !s.v.handleKey(k.Name) {
			s.Select.TypedKey(k)
		}
	}
}

// keyCheck is the open-only box, taking the view's keys while it has the
// focus; Space ticks it.
type keyCheck struct {
	widget.Check
	v *View
}

func newKeyCheck(v *View, label string, changed func(bool)) *keyCheck {
	c := &keyCheck{v: v}
	c.Text, c.OnChanged = label, changed
	c.ExtendBaseWidget(c)
	return c
}

func (c *keyCheck) TypedKey(k *fyne.KeyEvent) {
	if !c.v.handleKey(k.Name) {
		c.Check.TypedKey(k)
	}
}
