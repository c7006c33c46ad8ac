// Package staff is the Staff workspace (员工管理), for holders of the staff
// management permission: the store's people with their role, state and
// permissions; adding a person; editing a name, role and permissions;
// disabling and enabling (nobody is deleted); resetting a PIN. The grant
// rules are app/staff's: this screen only offers what the person may do
// and shows the rules' refusals in words.
package staff

import (
	"context"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"cashier/app"
	"cashier/app/auth"
	appstaff "cashier/app/staff"
	"cashier/ui/async"
	"cashier/ui/i18n"
	"cashier/ui/login"
	"cashier/ui/scaninput"
)

// Service is what the workspace needs (app/staff.Service).
type Service interface {
	List(ctx context.Context, storeID int64) ([]app.Staff, error)
	RoleDefaults(ctx context.Context, role app.Role) ([]string, error)
	Actor(ctx context.Context, actorID int64) (app.Staff, error)
	Add(ctx context.Context, actorID int64, p appstaff.Person) (app.Staff, error)
	Edit(ctx context.Context, actorID int64, p appstaff.Person) error
	SetDisabled(ctx context.Context, actorID, id int64, disabled bool) error
	ResetPIN(ctx context.Context, actorID, id int64, pin string) error
	// CurrentStore is this terminal's store: its people are shown and
	// new people join it.
	CurrentStore(ctx context.Context) (app.StoreInfo, error)
}

// Deps is what the workspace needs.
type Deps struct {
	Staff  Service
	Actor  app.Staff // who is logged in (read again from the store when the workspace opens)
	Window fyne.Window
	Now    func() time.Time // whether a lockout is still on; nil: time.Now
}

// View is the workspace.
type View struct {
	deps     Deps
	actor    app.Staff
	people   []app.Staff
	defaults map[app.Role][]string
	selected int64 // the person in the editor; 0: a new one
	storeID  int64 // this terminal's store, once read

	List    *widget.List
	AddNew  *widget.Button
	Title   *widget.Label
	Code    *scaninput.Entry
	Name    *scaninput.Entry
	Role    *widget.Select
	PIN     *scaninput.Entry // a new person's first PIN
	Checks  map[string]*widget.Check
	Save    *widget.Button
	Toggle  *widget.Button // disable / enable
	Reset   *widget.Button
	Status  *widget.Label
	pinForm *widget.Form // a new person's first PIN: hidden while editing someone
	busy    bool
	content fyne.CanvasObject
	loading bool // the editor is being filled: a role set by the program is not a role change
	loaded  bool // the first load is done
}

// RoleName is a role's name.
func RoleName(r app.Role) string { return login.RoleName(r) }

func roleOf(name string) app.Role {
	for _, r := range app.Roles {
		if RoleName(r) == name {
			return r
		}
	}
	return ""
}

// New builds the workspace and loads the people in the background.
func New(d Deps) *View {
	if d.Now == nil {
		d.Now = time.Now
	}
	v := &View{deps: d, actor: d.Actor, defaults: map[app.Role][]string{}, Checks: map[string]*widget.Check{}}
	v.List = widget.NewList(func() int { return len(v.people) },
		func() fyne.CanvasObject {
			head := widget.NewLabel("")
			head.TextStyle.Bold = true
			head.Truncation = fyne.TextTruncateEllipsis
			perms := widget.NewLabel("")
			perms.Truncation = fyne.TextTruncateEllipsis
			perms.SizeName = theme.SizeNameCaptionText
			return container.NewVBox(head, perms)
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			box := o.(*fyne.Container)
			box.Objects[0].(*widget.Label).SetText(v.headline(v.people[i]))
			box.Objects[1].(*widget.Label).SetText(Summary(v.people[i]))
		})
	v.List.OnSelected = func(i widget.ListItemID) {
		if i >= 0 && i < len(v.people) {
			v.edit(v.people[i])
		}
	}
	v.AddNew = widget.NewButtonWithIcon(i18n.T("staffview.add"), theme.ContentAddIcon(), v.startNew)
	refresh := widget.NewButtonWithIcon(i18n.T("staffview.refresh"), theme.ViewRefreshIcon(), func() { v.reload(v.selected, "") })

	v.Title = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	v.Code = scaninput.NewEntry(nil, nil)
	v.Name = scaninput.NewEntry(nil, nil)
	v.PIN = scaninput.NewEntry(nil, nil)
	v.PIN.Password = true
	v.PIN.SetPlaceHolder(i18n.T("login.pin.placeholder"))
	var roles []string
	for _, r := range app.Roles {
		roles = append(roles, RoleName(r))
	}
	v.Role = widget.NewSelect(roles, func(string) { v.roleChanged() })
	v.Code.OnSubmitted = func(string) { v.focus(v.Name) }
	v.Name.OnSubmitted = func(string) { v.nameEntered() }
	v.PIN.OnSubmitted = func(string) { v.save() }
	for _, e := range []*scaninput.Entry{v.Code, v.Name, v.PIN} {
		e.OnEscape = v.cancelEdit
	}
	var checks []fyne.CanvasObject
	for _, p := range app.Permissions {
		c := widget.NewCheck(i18n.M(auth.PermName(p)), nil)
		v.Checks[p] = c
		checks = append(checks, c)
	}
	v.Save = widget.NewButtonWithIcon(i18n.T("staffview.save"), theme.DocumentSaveIcon(), v.save)
	v.Save.Importance = widget.HighImportance
	v.Toggle = widget.NewButtonWithIcon(i18n.T("staffview.disable"), theme.CancelIcon(), v.toggle)
	v.Reset = widget.NewButtonWithIcon(i18n.T("staffview.reset_pin"), theme.AccountIcon(), func() { v.AskReset() })
	v.Status = widget.NewLabel("")
	v.Status.Wrapping = fyne.TextWrapWord

	form := widget.NewForm(
		widget.NewFormItem(i18n.T("staffview.code"), v.Code),
		widget.NewFormItem(i18n.T("staffview.name"), v.Name),
		widget.NewFormItem(i18n.T("staffview.role"), v.Role),
	)
	v.pinForm = widget.NewForm(widget.NewFormItem(i18n.T("staffview.first_pin"), v.PIN))
	note := widget.NewLabel(i18n.T("staffview.note"))
	note.Wrapping = fyne.TextWrapWord
	note.Importance = widget.LowImportance
	editor := container.NewVBox(v.Title, form, v.pinForm,
		widget.NewLabelWithStyle(i18n.T("staffview.permissions"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		container.NewGridWithColumns(2, checks...),
		container.NewHBox(v.Save, v.Toggle, v.Reset), v.Status, note)
	left := container.NewBorder(container.NewHBox(v.AddNew, refresh), nil, nil, nil, v.List)
	split := container.NewHSplit(left, container.NewVScroll(editor))
	split.Offset = 0.4
	v.content = split
	v.clear() // the shell gives the staff number the keyboard (FocusFirst)
	v.reload(0, "")
	return v
}

// Content is the workspace's root object.
func (v *View) Content() fyne.CanvasObject { return v.content }

// FocusFirst is the field the keyboard starts in.
func (v *View) FocusFirst() fyne.Focusable { return v.Code }

func (v *View) focus(o fyne.Focusable) {
	if v.deps.Window != nil {
		v.deps.Window.Canvas().Focus(o)
	}
}

func (v *View) headline(s app.Staff) string {
	line := i18n.T("staffview.row", "Code", s.Code, "Name", s.Name, "Role", RoleName(s.Role))
	if s.Disabled {
		line += " · " + i18n.T("staffview.disabled")
	}
	if v.deps.Now().Before(s.LockedUntil) {
		line += " · " + i18n.T("staffview.locked")
	}
	if s.MustChangePIN {
		line += " · " + i18n.T("staffview.must_change")
	}
	return line
}

// Summary names a person's permissions in a line.
func Summary(s app.Staff) string {
	var names []string
	for _, p := range app.Permissions {
		if s.Has(p) {
			names = append(names, i18n.M(auth.PermName(p)))
		}
	}
	switch len(names) {
	case 0:
		return i18n.T("staffview.perms.none")
	case len(app.Permissions):
		return i18n.T("staffview.perms.all")
	}
	return strings.Join(names, i18n.T("staffview.perms.sep"))
}

// reload reads the actor, the people and the roles' defaults, then shows
// the person with ID keep (0: the editor stays as it is) and says msg.
func (v *View) reload(keep int64, msg string) {
	var actor app.Staff
	var people []app.Staff
	defaults := map[app.Role][]string{}
	var actorErr, err error
	svc, actorID, storeID := v.deps.Staff, v.deps.Actor.ID, v.storeID
	async.Run(func() {
		ctx := context.Background()
		actor, actorErr = svc.Actor(ctx, actorID)
		if storeID == 0 {
			var st app.StoreInfo
			if st, err = svc.CurrentStore(ctx); err != nil {
				return
			}
			storeID = st.ID
		}
		if people, err = svc.List(ctx, storeID); err != nil {
			return
		}
		for _, r := range app.Roles {
			var d []string
			if d, err = svc.RoleDefaults(ctx, r); err != nil {
				return
			}
			defaults[r] = d
		}
	}, func() {
		if actorErr != nil {
			actor = app.Staff{ID: actorID, Name: v.deps.Actor.Name} // holds nothing: every box stays locked
			v.Status.SetText(i18n.Err(actorErr))
		}
		if err != nil {
			v.Status.SetText(i18n.T("staffview.err.load", "Err", i18n.Err(err)))
			return
		}
		first := !v.loaded
		v.loaded = true
		v.actor, v.people, v.defaults, v.storeID = actor, people, defaults, storeID
		v.List.Refresh()
		if first && v.selected == 0 {
			v.applyDefaults(roleOf(v.Role.Selected)) // the new person's boxes, now the defaults are known
		}
		for i, s := range people {
			if s.ID == keep {
				v.List.Select(i) // edits the person
				v.edit(s)        // again when already selected: as stored now
			}
		}
		v.lockChecks()
		if msg != "" {
			v.Status.SetText(msg)
		}
	})
}

// lockChecks enables the boxes of the permissions the actor holds: only
// those may be granted or revoked.
func (v *View) lockChecks() {
	for p, c := range v.Checks {
		if v.actor.Has(p) {
			c.Enable()
		} else {
			c.Disable()
		}
	}
}

func (v *View) setChecks(have func(string) bool) {
	for p, c := range v.Checks {
		c.SetChecked(have(p))
	}
	v.lockChecks()
}

// startNew empties the editor for a new person of the store, starting
// from the clerk's defaults, and puts the cursor in the staff number.
func (v *View) startNew() {
	v.clear()
	v.focus(v.Code)
}

func (v *View) clear() {
	v.selected = 0
	v.List.UnselectAll()
	v.loading = true
	v.Title.SetText(i18n.T("staffview.new"))
	v.Code.SetText("")
	v.Code.Enable()
	v.Name.SetText("")
	v.PIN.SetText("")
	v.Role.SetSelected(RoleName(app.RoleClerk))
	v.loading = false
	v.pinForm.Show()
	v.applyDefaults(app.RoleClerk)
	v.Toggle.Disable()
	v.Reset.Disable()
	v.Status.SetText("")
}

// edit shows a person in the editor.
func (v *View) edit(s app.Staff) {
	v.selected = s.ID
	v.loading = true
	v.Title.SetText(i18n.T("staffview.editing", "Name", s.Name, "Code", s.Code))
	v.Code.SetText(s.Code)
	v.Code.Disable() // a staff number never changes: orders and the channels carry it
	v.Name.SetText(s.Name)
	v.PIN.SetText("")
	v.Role.SetSelected(RoleName(s.Role))
	v.loading = false
	v.pinForm.Hide()
	v.setChecks(s.Has)
	v.Toggle.Enable()
	if s.Disabled {
		v.Toggle.SetText(i18n.T("staffview.enable"))
		v.Toggle.SetIcon(theme.ConfirmIcon())
	} else {
		v.Toggle.SetText(i18n.T("staffview.disable"))
		v.Toggle.SetIcon(theme.CancelIcon())
	}
	v.Reset.Enable()
	v.Status.SetText("")
	v.focus(v.Name)
}

func (v *View) cancelEdit() {
	if v.selected == 0 {
		v.startNew()
		return
	}
	for _, s := range v.people {
		if s.ID == v.selected {
			v.edit(s)
		}
	}
}

func (v *View) nameEntered() {
	if v.selected == 0 {
		v.focus(v.PIN)
		return
	}
	v.save()
}

// roleChanged: a role picked by the person pre-ticks that role's defaults
// among the permissions the actor may grant (the others stay as they are).
func (v *View) roleChanged() {
	if v.loading {
		return
	}
	v.applyDefaults(roleOf(v.Role.Selected))
}

func (v *View) applyDefaults(r app.Role) {
	d := v.defaults[r]
	for p, c := range v.Checks {
		if v.actor.Has(p) {
			c.SetChecked(slices.Contains(d, p))
		}
	}
	v.lockChecks()
}

func (v *View) person() appstaff.Person {
	p := appstaff.Person{ID: v.selected, StoreID: v.storeID, Code: v.Code.Text, Name: v.Name.Text,
		Role: roleOf(v.Role.Selected), PIN: v.PIN.Text}
	for _, perm := range app.Permissions {
		if v.Checks[perm].Checked {
			p.Permissions = append(p.Permissions, perm)
		}
	}
	return p
}

// run does one change off the UI goroutine, then shows its result and
// reloads the list, keeping the person in the editor.
func (v *View) run(work func(ctx context.Context) (keep int64, err error), done string) {
	if v.busy {
		return
	}
	v.busy = true
	v.Save.Disable()
	v.Status.SetText(i18n.T("staffview.saving"))
	var keep int64
	var err error
	async.Run(func() { keep, err = work(context.Background()) }, func() {
		v.busy = false
		v.Save.Enable()
		if err != nil {
			v.Status.SetText(i18n.Err(err))
			return
		}
		v.reload(keep, done)
	})
}

func (v *View) save() {
	p, actorID := v.person(), v.deps.Actor.ID
	if v.selected == 0 {
		v.run(func(ctx context.Context) (int64, error) {
			s, err := v.deps.Staff.Add(ctx, actorID, p)
			return s.ID, err
		}, i18n.T("staffview.added", "Name", strings.TrimSpace(p.Name)))
		return
	}
	v.run(func(ctx context.Context) (int64, error) {
		return p.ID, v.deps.Staff.Edit(ctx, actorID, p)
	}, i18n.T("staffview.saved"))
}

func (v *View) current() (app.Staff, bool) {
	for _, s := range v.people {
		if s.ID == v.selected && s.ID != 0 {
			return s, true
		}
	}
	return app.Staff{}, false
}

func (v *View) toggle() {
	s, ok := v.current()
	if !ok {
		return
	}
	actorID := v.deps.Actor.ID
	done := i18n.T("staffview.disabled_done", "Name", s.Name)
	if s.Disabled {
		done = i18n.T("staffview.enabled_done", "Name", s.Name)
	}
	v.run(func(ctx context.Context) (int64, error) {
		return s.ID, v.deps.Staff.SetDisabled(ctx, actorID, s.ID, !s.Disabled)
	}, done)
}

// ResetDialog asks for a temporary PIN twice.
type ResetDialog struct {
	PIN, PIN2 *scaninput.Entry
	Message   *widget.Label
	OK        *widget.Button
	dlg       *dialog.CustomDialog
}

// AskReset opens the reset dialog for the person in the editor.
func (v *View) AskReset() *ResetDialog {
	s, ok := v.current()
	if !ok || v.deps.Window == nil {
		return nil
	}
	r := &ResetDialog{PIN: scaninput.NewEntry(nil, nil), PIN2: scaninput.NewEntry(nil, nil), Message: widget.NewLabel("")}
	r.PIN.Password, r.PIN2.Password = true, true
	r.PIN.SetPlaceHolder(i18n.T("login.pin.placeholder"))
	r.Message.Wrapping = fyne.TextWrapWord
	r.Message.Importance = widget.DangerImportance
	submit := func() { v.reset(r, s) }
	r.PIN.OnSubmitted = func(string) { v.focus(r.PIN2) }
	r.PIN2.OnSubmitted = func(string) { submit() }
	r.PIN.OnEscape = func() { r.dlg.Hide() }
	r.PIN2.OnEscape = r.PIN.OnEscape
	r.OK = widget.NewButtonWithIcon(i18n.T("staffview.reset.ok"), theme.ConfirmIcon(), submit)
	r.OK.Importance = widget.HighImportance
	cancel := widget.NewButtonWithIcon(i18n.T("override.cancel"), theme.CancelIcon(), func() { r.dlg.Hide() })
	note := widget.NewLabel(i18n.T("staffview.reset.note", "Name", s.Name))
	note.Wrapping = fyne.TextWrapWord
	form := widget.NewForm(widget.NewFormItem(i18n.T("staffview.reset.pin"), r.PIN),
		widget.NewFormItem(i18n.T("login.change.again"), r.PIN2))
	r.dlg = dialog.NewCustomWithoutButtons(i18n.T("staffview.reset.title", "Name", s.Name), container.NewVBox(note, form, r.Message), v.deps.Window)
	r.dlg.SetButtons([]fyne.CanvasObject{cancel, r.OK})
	r.dlg.Resize(fyne.NewSize(460, 0))
	r.dlg.Show()
	v.focus(r.PIN)
	return r
}

func (v *View) reset(r *ResetDialog, s app.Staff) {
	if v.busy {
		return
	}
	pin := r.PIN.Text
	if err := auth.ValidatePIN(pin); err != nil {
		r.Message.SetText(i18n.Err(err))
		v.focus(r.PIN)
		return
	}
	if pin != r.PIN2.Text {
		r.Message.SetText(i18n.T("login.change.mismatch"))
		r.PIN2.SetText("")
		v.focus(r.PIN2)
		return
	}
	v.busy = true
	r.OK.Disable()
	actorID := v.deps.Actor.ID
	var err error
	async.Run(func() { err = v.deps.Staff.ResetPIN(context.Background(), actorID, s.ID, pin) }, func() {
		v.busy = false
		r.OK.Enable()
		if err != nil {
			r.Message.SetText(i18n.Err(err))
			return
		}
		r.dlg.Hide()
		v.reload(s.ID, i18n.T("staffview.reset.done", "Name", s.Name))
	})
}
