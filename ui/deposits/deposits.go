// Package deposits is the hotel front desk's Deposits workspace (押金台):
// a deposit taken at check-in (amount, room, guest, phone, note, then the
// guest's payment code frozen on their wallet), found again at check-out
// by a scan of the receipt's barcode, a scan or typed transaction number
// from the guest's wallet, or a search by room, name, method, date and
// amount; then part of it consumed (the rest goes back by itself) or all
// of it released. The open deposits are listed with their age, those near
// their wallet's automatic refund in the warning colour.
//
// Keyboard only: every button shows its key, Enter goes on, Esc goes
// back, and the focus is always in a field. The rules (what may be sent,
// who may, the wallets' limits) are app/deposit's and app/payment's.
package deposits

import (
	"context"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"cashier/app"
	"cashier/app/deposit"
	"cashier/app/payment"
	"cashier/app/sale"
	"cashier/ui/async"
	"cashier/ui/i18n"
	"cashier/ui/scaninput"
)

var _ Desk = (*deposit.Desk)(nil)

// Desk is the deposit desk use case (app/deposit.Desk).
type Desk interface {
	Open(ctx context.Context, in deposit.TakeInput) (app.Order, error)
	Freeze(ctx context.Context, orderNo, code string, staff app.Staff, onEvent payment.EventFunc) (sale.Outcome, error)
	Cancel(ctx context.Context, outTradeNo string) error
	Find(ctx context.Context, q string) ([]payment.Deposit, error)
	Search(ctx context.Context, f deposit.Filter) ([]deposit.Row, error)
	Get(ctx context.Context, depositNo string) (payment.Deposit, []payment.DepositOp, error)
	Consume(ctx context.Context, in deposit.OpInput) (deposit.Settlement, error)
	Release(ctx context.Context, in deposit.OpInput) (deposit.Settlement, error)
	Abandon(ctx context.Context, orderNo string, staff app.Staff) error
}

// Deps is what the workspace needs.
type Deps struct {
	Desk  Desk
	Staff app.Staff
	// Clock tells the deposits' ages and what is near its limit (nil:
	// the system clock).
	Clock app.Clock
	// Location is the store's time zone for dates (nil: the computer's).
	Location *time.Location
	// Canvas takes the keys when no field has the focus (after a tap)
	// and gets the focus moved between fields; may be nil in tests that
	// press keys on fields.
	Canvas   fyne.Canvas
	Detector scaninput.Detector // keyboard-wedge detector; nil: plain fields
	// Scans is the app's one stream of scans; when set, scans come from
	// it only.
	Scans func() (<-chan string, func())
	// Override asks a manager to approve one action, then runs then.
	Override func(perm string, then func())
	// Reprint prints a deposit's receipt again (nil: no reprint key).
	Reprint func(ctx context.Context, depositNo string) error
	// Signals: SignalOrder reads the list again (nil: F5 only).
	Signals *app.Signals
}

// state is where the workspace stands.
type state int

const (
	stList      state = iota // a list of deposits: the open ones, a search, or several matches
	stForm                   // take: the deposit's amount and guest
	stCode                   // take: waiting for the guest's payment code
	stFreezing               // take: the freeze is going out
	stTaken                  // take: how the freeze ended
	stDetail                 // one deposit and its operations
	stConsume                // the amount to charge, its preview
	stRelease                // release all, waiting for Enter
	stOpRunning              // a consume or release is going out
	stOpResult               // how it ended
)

func (s state) running() bool { return s == stFreezing || s == stOpRunning }

func (s state) detail() bool { return s >= stDetail }

func (s state) take() bool { return s >= stForm && s <= stTaken }

// The workspace's keys, shown on their buttons.
const (
	KeyTake    = fyne.KeyF2
	KeyFind    = fyne.KeyF3
	KeyOpen    = fyne.KeyF4
	KeyRefresh = fyne.KeyF5
	KeyConsume = fyne.KeyF6
	KeyRelease = fyne.KeyF7
	KeyReprint = fyne.KeyF8
)

type key struct {
	id, label string
	name      fyne.KeyName
	icon      func() fyne.Resource
}

// pageKeys switch between taking, finding and the open deposits; actKeys
// act on what is shown.
var (
	pageKeys = []key{
		{"take", i18n.Key("deposits.key.take"), KeyTake, theme.ContentAddIcon},
		{"find", i18n.Key("deposits.key.find"), KeyFind, theme.SearchIcon},
		{"open", i18n.Key("deposits.key.open"), KeyOpen, theme.ListIcon},
		{"refresh", i18n.Key("deposits.key.refresh"), KeyRefresh, theme.ViewRefreshIcon},
	}
	actKeys = []key{
		{"consume", i18n.Key("deposits.key.consume"), KeyConsume, theme.ContentRemoveIcon},
		{"release", i18n.Key("deposits.key.release"), KeyRelease, theme.ContentUndoIcon},
		{"reprint", i18n.Key("deposits.key.reprint"), KeyReprint, theme.DocumentPrintIcon},
		{"enter", i18n.Key("deposits.key.enter"), fyne.KeyReturn, theme.ConfirmIcon},
		{"back", i18n.Key("deposits.key.back"), fyne.KeyEscape, theme.NavigateBackIcon},
	}
)

// View is the Deposits workspace.
type View struct {
	deps Deps

	Status  *widget.Label
	Buttons map[string]*widget.Button

	take
	list
	detail

	st      state
	pages   map[string]fyne.CanvasObject
	body    fyne.CanvasObject
	keys    map[fyne.KeyName]func()
	entries []*scaninput.Entry
	stops   []func()
	stopped bool
}

// New builds the workspace showing the open deposits.
func New(d Deps) *View {
	if d.Clock == nil {
		d.Clock = app.SystemClock{}
	}
	if d.Location == nil {
		d.Location = time.Local
	}
	v := &View{deps: d, Buttons: map[string]*widget.Button{}}
	v.keys = map[fyne.KeyName]func(){
		fyne.KeyUp:   func() { v.move(-1) },
		fyne.KeyDown: func() { v.move(1) },
	}
	for _, k := range append(append([]key{}, pageKeys...), actKeys...) {
		if k.name == fyne.KeyReturn || k.name == fyne.KeyEscape {
			continue // the fields' own Enter and Esc
		}
		id := k.id
		v.keys[k.name] = func() { v.press(id) }
	}
	v.Status = widget.NewLabel("")
	v.Status.Wrapping = fyne.TextWrapWord
	v.pages = map[string]fyne.CanvasObject{
		"take":   v.buildTake(),
		"list":   v.buildList(),
		"detail": v.buildDetail(),
	}
	v.layout()
	v.installKeys()
	v.subscribe()
	v.showOpen()
	return v
}

// Content is the workspace's root object.
func (v *View) Content() fyne.CanvasObject { return v.body }

// Focus is the field that takes the keyboard when the workspace opens:
// the search, which also takes a scan of a receipt.
func (v *View) Focus() fyne.Focusable { return v.Query }

// Stop leaves the scan stream, the signals and the canvas, and stops
// waiting for a channel (what was sent goes on; recovery finishes it).
func (v *View) Stop() {
	v.abandonTake()
	v.stopped = true
	if v.opCancel != nil {
		v.opCancel()
	}
	for _, s := range v.stops {
		s()
	}
	v.stops = nil
}

func (v *View) newEntry(submit func()) *scaninput.Entry {
	e := scaninput.NewEntry(v.deps.Detector, v.scanned)
	if v.deps.Scans != nil {
		e.OnScan = nil // one stream: the field's detector must not deliver a scan twice
	}
	e.OnSubmitted = func(string) { submit() }
	e.OnEscape = v.escape
	v.entries = append(v.entries, e)
	return e
}

func (v *View) layout() {
	for _, k := range append(append([]key{}, pageKeys...), actKeys...) {
		k := k
		v.Buttons[k.id] = widget.NewButtonWithIcon(i18n.T(k.label)+"  "+keyLabel(k.name), k.icon(), func() { v.press(k.id) })
	}
	v.Buttons["enter"].Importance = widget.HighImportance
	v.Buttons["take"].Importance = widget.HighImportance
	if v.deps.Reprint == nil {
		v.Buttons["reprint"].Hide()
	}
	top := container.NewHBox()
	for _, k := range pageKeys {
		top.Add(v.Buttons[k.id])
	}
	bar := container.New(spread{})
	for _, k := range actKeys {
		bar.Add(v.Buttons[k.id])
	}
	title := widget.NewLabelWithStyle(i18n.T("deposits.title"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	pages := container.NewStack(v.pages["take"], v.pages["list"], v.pages["detail"])
	v.body = container.NewBorder(
		container.NewVBox(container.NewBorder(nil, nil, title, top, v.Query), widget.NewSeparator()),
		container.NewVBox(widget.NewSeparator(), v.Status, bar),
		nil, nil, pages)
}

func keyLabel(k fyne.KeyName) string {
	switch k {
	case fyne.KeyReturn:
		return "Enter"
	case fyne.KeyEscape:
		return "Esc"
	}
	return string(k)
}

// installKeys makes every key work wherever the focus is.
func (v *View) installKeys() {
	for _, e := range v.entries {
		e.Keys = v.keys
	}
	c := v.deps.Canvas
	if c == nil {
		return
	}
	canvasKeys := map[fyne.KeyName]func(){fyne.KeyEscape: v.escape}
	for n, fn := range v.keys {
		canvasKeys[n] = fn
	}
	if v.deps.Detector != nil {
		// Enter stays the detector's (a scan ends with it): the fields
		// take a person's Enter, and every state puts the focus in one.
		onScan := v.scanned
		if v.deps.Scans != nil {
			onScan = nil
		}
		v.stops = append(v.stops, scaninput.CanvasKeys(c, v.deps.Detector, onScan, canvasKeys, nil))
		return
	}
	canvasKeys[fyne.KeyReturn] = v.enter
	c.SetOnTypedKey(func(k *fyne.KeyEvent) {
		if fn := canvasKeys[k.Name]; fn != nil {
			fn()
		}
	})
	v.stops = append(v.stops, func() { c.SetOnTypedKey(nil) })
}

// handleKey is a key typed in a widget that is not a scan-aware field
// (the list, the method, the open-only box): true when the view took it.
func (v *View) handleKey(name fyne.KeyName) bool {
	switch name {
	case fyne.KeyEscape:
		v.escape()
	case fyne.KeyReturn, fyne.KeyEnter:
		v.enter()
	default:
		fn := v.keys[name]
		if fn == nil {
			return false
		}
		fn()
	}
	return true
}

func (v *View) subscribe() {
	if v.deps.Signals != nil {
		v.stops = append(v.stops, v.deps.Signals.Subscribe(app.SignalOrder, func(any) { async.Do(v.changed) }))
	}
	if v.deps.Scans == nil {
		return
	}
	ch, cancel := v.deps.Scans()
	done := make(chan struct{})
	v.stops = append(v.stops, cancel, func() {
		select {
		case <-done:
		case <-time.After(2 * time.Second):
		}
	})
	go func() {
		defer close(done)
		for code := range ch {
			async.Do(func() { v.scanned(code) })
		}
	}()
}

// changed: a deposit moved elsewhere (recovery settled one, another
// till took one): what is shown is read again when nothing is typed.
func (v *View) changed() {
	if v.stopped {
		return
	}
	switch v.st {
	case stList:
		v.load()
	case stDetail:
		v.reloadDetail()
	}
}

// press is a button or its key.
func (v *View) press(id string) {
	if v.st.running() && id != "back" {
		v.say(i18n.T("deposits.busy"))
		return
	}
	switch id {
	case "take":
		v.startTake()
	case "find":
		v.showSearch()
	case "open":
		v.showOpen()
	case "refresh":
		v.refresh()
	case "consume":
		v.askConsume()
	case "release":
		v.askRelease()
	case "reprint":
		v.reprint()
	case "enter":
		v.enter()
	case "back":
		v.escape()
	}
}

// scanned is a code from a scanner: the guest's payment code while one
// is awaited, else a receipt's barcode or a wallet's transaction number.
func (v *View) scanned(code string) {
	switch {
	case v.st.running():
		v.say(i18n.T("deposits.busy"))
	case v.st == stCode:
		v.freeze(code)
	case v.st == stForm && v.opening:
		// Enter sent the form and the guest's code came before the prompt
		// did: it is the code, frozen once the order is written.
		v.take.early = code
	case v.st == stForm:
		v.say(i18n.T("deposits.take.scan_in_form"))
	default:
		v.Query.SetText(code)
		v.find(code)
	}
}

// enter is Enter: go on from wherever the workspace stands.
func (v *View) enter() {
	switch v.st {
	case stList:
		v.listEnter()
	case stForm:
		v.submitForm()
	case stCode:
		v.codeEnter()
	case stTaken:
		v.startTake()
	case stDetail:
		v.queryOr(func() { v.say(i18n.T("deposits.detail.hint")) })
	case stConsume:
		v.runConsume()
	case stRelease:
		v.runRelease()
	case stOpResult:
		v.queryOr(v.showOpen)
	}
}

// escape is Esc: one step back; while a channel is at work, its cancel.
func (v *View) escape() {
	switch v.st {
	case stFreezing:
		v.cancelFreeze()
	case stOpRunning:
		v.stopWaiting()
	case stForm, stTaken:
		v.backToList()
	case stCode:
		v.show(stForm)
		v.say(i18n.T("deposits.take.back_to_form"))
	case stConsume, stRelease, stOpResult:
		v.show(stDetail)
		v.say(i18n.T("deposits.detail.hint"))
	case stDetail:
		v.backToList()
	case stList:
		v.listEscape()
	}
}

func (v *View) focus(f fyne.Focusable) {
	if v.deps.Canvas != nil && f != nil {
		v.deps.Canvas.Focus(f)
	}
}

func (v *View) focused(f fyne.Focusable) bool {
	return v.deps.Canvas != nil && v.deps.Canvas.Focused() == f
}

func (v *View) say(s string) { v.Status.SetText(s) }

func (v *View) now() time.Time { return v.deps.Clock.Now() }

// show puts the workspace in state st: which page, which buttons, where
// the keyboard goes.
func (v *View) show(st state) {
	v.st = st
	page := "list"
	switch {
	case st.take():
		page = "take"
	case st.detail():
		page = "detail"
	}
	for name, p := range v.pages {
		if name == page {
			p.Show()
		} else {
			p.Hide()
		}
	}
	v.showTake()
	v.showDetail()
	v.showList()
	v.buttons()
	if v.body != nil {
		v.body.Refresh() // what was hidden is laid out before it is drawn
	}
	switch st {
	case stForm:
		v.focus(v.formFocus())
	case stCode, stFreezing, stTaken:
		v.focus(v.Code)
	case stConsume:
		v.focus(v.Charge)
	default:
		v.focus(v.Query)
	}
}

// buttons enables what can be done now and names Enter and Esc for it.
func (v *View) buttons() {
	enable := func(id string, on bool) {
		if on {
			v.Buttons[id].Enable()
		} else {
			v.Buttons[id].Disable()
		}
	}
	run := v.st.running()
	for _, id := range []string{"take", "find", "open"} {
		enable(id, !run)
	}
	enable("refresh", !run && (v.st == stList || v.st.detail()))
	settle := v.st.detail() && !run && v.dep.State == payment.DepositFrozen
	enable("consume", settle)
	enable("release", settle)
	enable("reprint", v.deps.Reprint != nil && !run && (v.st.detail() && v.dep.DepositNo != "" || v.st == stTaken && v.takenNo != ""))
	enable("enter", !run)
	enter := i18n.T("deposits.key.enter")
	switch v.st {
	case stForm:
		enter = i18n.T("deposits.key.next")
	case stCode:
		enter = i18n.T("deposits.key.freeze")
	case stTaken:
		enter = i18n.T("deposits.key.another")
	case stConsume:
		enter = i18n.T("deposits.key.do_consume")
	case stRelease:
		enter = i18n.T("deposits.key.do_release")
	case stList:
		enter = i18n.T("deposits.key.open_row")
	case stDetail:
		enter = i18n.T("deposits.key.search")
	case stOpResult:
		enter = i18n.T("deposits.key.to_list")
	}
	v.Buttons["enter"].SetText(enter + "  Enter")
	back := i18n.T("deposits.key.back")
	switch v.st {
	case stFreezing:
		back = i18n.T("deposits.key.cancel")
	case stOpRunning:
		back = i18n.T("deposits.key.stop")
	}
	v.Buttons["back"].SetText(back + "  Esc")
	enable("back", v.st != stFreezing || !v.cancelling)
}

// queryOr searches what is typed in the search field, or does otherwise.
func (v *View) queryOr(otherwise func()) {
	if q := trim(v.Query.Text); q != "" {
		v.search(q)
		return
	}
	otherwise()
}

// refresh is F5: the list or the deposit shown read again.
func (v *View) refresh() {
	switch {
	case v.st == stList:
		v.load()
	case v.st.detail():
		v.show(stDetail)
		v.reloadDetail()
	}
}

// reprint prints the deposit's receipt again.
func (v *View) reprint() {
	no := v.dep.DepositNo
	if v.st == stTaken {
		no = v.takenNo
	}
	if v.deps.Reprint == nil || no == "" || v.st.running() {
		return
	}
	v.say(i18n.T("deposits.printing"))
	var err error
	p := v.deps.Reprint
	async.Run(func() { err = p(context.Background(), no) }, func() {
		if err != nil {
			v.say(i18n.T("deposits.err.reprint", "Err", i18n.Err(err)))
			return
		}
		v.say(i18n.T("deposits.reprinted", "Short", app.ShortNo(no)))
	})
}

// spread lays buttons in a row, each at least as wide as its text, the
// rest of the width shared out equally.
type spread struct{}

func (spread) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	pad := theme.Padding()
	var need float32
	n := 0
	for _, o := range objs {
		if o.Visible() {
			need += o.MinSize().Width
			n++
		}
	}
	if n == 0 {
		return
	}
	extra := max(size.Width-need-pad*float32(n-1), 0) / float32(n)
	x := float32(0)
	for _, o := range objs {
		if !o.Visible() {
			continue
		}
		w := o.MinSize().Width + extra
		o.Move(fyne.NewPos(x, 0))
		o.Resize(fyne.NewSize(w, size.Height))
		x += w + pad
	}
}

func (spread) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var w, h float32
	n := 0
	for _, o := range objs {
		if o.Visible() {
			m := o.MinSize()
			w += m.Width
			h = max(h, m.Height)
			n++
		}
	}
	return fyne.NewSize(w+theme.Padding()*float32(max(n-1, 0)), h)
}
