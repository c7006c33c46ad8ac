// Package devices is the Devices workspace: each device's state, the print
// queue with reprint, and — in the embedded default — what the virtual
// printer printed and what the virtual speaker said.
package devices

import (
	"context"
	"errors"
	"fmt"
	"image"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"cashier/app"
	"cashier/ui/async"
	"cashier/ui/i18n"
)

// Receipt is one piece of paper the virtual printer produced.
type Receipt struct {
	At    time.Time
	Image image.Image
	Text  string
}

// Utterance is one announcement the virtual speaker made.
type Utterance struct {
	At   time.Time
	Text string
}

// Status is one configured device's state as the app sees it.
type Status struct {
	Name      string
	Kind      string      // printer, speaker, scanner, locks: which device (the screen shows Name)
	State     string      // the state as the driver reports it (hardware.DeviceState)
	StateName app.Message // its name, translated when shown
	Message   string      // what explains it, in the person's language
}

// Job is one print-queue entry.
type Job struct {
	ID       int64
	Kind     string
	Ref      string
	State    string
	Attempts int // sends started
	Error    string
}

// Door is one cabinet door's lock.
type Door struct {
	Board, Lock int
	Open        bool
}

// StatusFeed gives every configured device's state and tells of changes.
type StatusFeed interface {
	Statuses() []Status
	SubscribeStatus(fn func()) (cancel func())
}

// PrintQueue is the durable print queue.
type PrintQueue interface {
	Jobs(ctx context.Context) ([]Job, error)
	Reprint(ctx context.Context, id int64) error
}

// VirtualPrinter is the simulated printer of the embedded default: the
// receipts it rendered from their ESC/POS bytes, and its fault switches
// for training and demos.
type VirtualPrinter interface {
	Receipts() []Receipt
	SubscribeReceipts(fn func(Receipt)) (cancel func())
	SetPaperOut(bool)
	SetCoverOpen(bool)
}

// VirtualSpeaker is the simulated cloud speaker: what it said.
type VirtualSpeaker interface {
	Spoken() []Utterance
	SubscribeSpoken(fn func(Utterance)) (cancel func())
}

// Cabinet is the smart cabinet's doors: their states (and changes the
// boards report), and opening one for the person logged in — through the
// cabinet use case, which checks the cabinet-door permission and audits.
type Cabinet interface {
	Doors(ctx context.Context) ([]Door, error)
	OpenDoor(ctx context.Context, board, lock int) error
	SubscribeDoors(fn func()) (cancel func())
}

// SimCabinet closes the simulated cabinet's open doors (what a customer
// does after taking goods).
type SimCabinet interface{ CloseDoors() }

// Deps are the feeds the workspace shows. Printer, Speaker, Cabinet and
// SimCabinet are nil when the terminal has no such thing (a real printer
// has no receipt images).
type Deps struct {
	Status     StatusFeed
	Queue      PrintQueue
	Printer    VirtualPrinter
	Speaker    VirtualSpeaker
	Cabinet    Cabinet
	SimCabinet SimCabinet
	// Override asks a manager to allow one action the person may not do
	// (ui/override); nil: a refusal is only shown.
	Override func(perm string, then func())
}

// View is the workspace.
type View struct {
	deps       Deps
	mu         sync.Mutex
	receipts   []Receipt
	spoken     []Utterance
	jobs       []Job
	Paper      *canvas.Image
	PaperText  *widget.Label
	Spoken     *widget.List
	JobList    *widget.List
	Status     *widget.Label
	Message    *widget.Label
	Reprint    *widget.Button // disabled when there is no print queue
	DoorGrid   *fyne.Container
	DoorMsg    *widget.Label
	CloseDoors *widget.Button // the simulated cabinet only
	selected   int64
	opening    map[[2]int]bool // doors whose open is under way
	cancel     []func()
	content    fyne.CanvasObject
	loads      serial // Refresh
	doorLoads  serial // refreshDoors
	// run does device and database work off the UI goroutine, then
	// applies its result on it (async.Run; tests step it by hand).
	run func(work, apply func())

	// DoorOverride asks a manager to open the door just refused for want
	// of the permission (shown only then).
	DoorOverride *widget.Button
	refusedDoor  [2]int
}

// serial runs one load at a time and makes the last one asked for the
// last one shown: a request while a load runs is remembered (once) and
// run when it ends. Results never land out of order, and a burst of
// change reports costs two loads, not one each.
type serial struct {
	mu          sync.Mutex
	busy, again bool
}

// start is true when the caller may load now; otherwise the load is
// remembered for when the running one ends.
func (s *serial) start() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.busy {
		s.again = true
		return false
	}
	s.busy = true
	return true
}

// done ends a load; true means another was asked for meanwhile.
func (s *serial) done() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.busy = false
	again := s.again
	s.again = false
	return again
}

// New builds the workspace. Close it (Stop) when leaving to drop the feeds.
func New(d Deps) *View {
	v := newView(d)
	v.build()
	return v
}

func newView(d Deps) *View {
	return &View{deps: d, selected: -1, opening: map[[2]int]bool{}, run: async.Run}
}

// build makes the widgets and subscribes to the feeds.
func (v *View) build() {
	d := v.deps
	v.Paper = canvas.NewImageFromImage(nil)
	v.Paper.FillMode = canvas.ImageFillContain
	v.Paper.SetMinSize(fyne.NewSize(300, 420))
	v.PaperText = widget.NewLabel(i18n.T("devices.printer.empty"))
	v.Status = widget.NewLabel("")
	v.Status.Wrapping = fyne.TextWrapWord
	v.Message = widget.NewLabel("")
	v.Spoken = widget.NewList(
		func() int { v.mu.Lock(); defer v.mu.Unlock(); return len(v.spoken) },
		func() fyne.CanvasObject { return widget.NewLabel("") },
		func(i widget.ListItemID, o fyne.CanvasObject) {
			v.mu.Lock()
			u := v.spoken[len(v.spoken)-1-i]
			v.mu.Unlock()
			o.(*widget.Label).SetText(u.At.Format("15:04:05") + "  " + u.Text)
		})
	v.JobList = widget.NewList(
		func() int { v.mu.Lock(); defer v.mu.Unlock(); return len(v.jobs) },
		func() fyne.CanvasObject { return widget.NewLabel("") },
		func(i widget.ListItemID, o fyne.CanvasObject) {
			v.mu.Lock()
			j := v.jobs[i]
			v.mu.Unlock()
			o.(*widget.Label).SetText(jobLine(j))
		})
	v.JobList.OnSelected = func(i widget.ListItemID) {
		v.mu.Lock()
		if i >= 0 && i < len(v.jobs) {
			v.selected = v.jobs[i].ID
		}
		v.mu.Unlock()
	}
	v.Reprint = widget.NewButtonWithIcon(i18n.T("devices.reprint"), theme.DocumentPrintIcon(), v.reprint)
	if d.Queue == nil {
		v.Reprint.Disable()
	}
	refresh := widget.NewButtonWithIcon(i18n.T("devices.refresh"), theme.ViewRefreshIcon(), v.Refresh)

	var faults []fyne.CanvasObject
	if d.Printer != nil {
		faults = append(faults, widget.NewCheck(i18n.T("devices.sim.paperout"), d.Printer.SetPaperOut),
			widget.NewCheck(i18n.T("devices.sim.cover"), d.Printer.SetCoverOpen))
	}

	printerCard := widget.NewCard(i18n.T("devices.printer"), i18n.T("devices.printer.sub"),
		container.NewBorder(container.NewHBox(faults...), nil, nil, nil, container.NewVScroll(container.NewVBox(v.Paper, v.PaperText))))
	speakerCard := widget.NewCard(i18n.T("devices.speaker"), "", v.Spoken)
	queueCard := widget.NewCard(i18n.T("devices.queue"), "",
		container.NewBorder(nil, container.NewHBox(v.Reprint, refresh, v.Message), nil, nil, v.JobList))
	statusCard := widget.NewCard(i18n.T("devices.status"), "", v.Status)

	lower := fyne.CanvasObject(speakerCard)
	if d.Cabinet != nil {
		v.DoorGrid = container.NewGridWrap(fyne.NewSize(92, 40))
		v.DoorMsg = widget.NewLabel("")
		v.DoorOverride = widget.NewButtonWithIcon(i18n.T("override.button"), theme.AccountIcon(), func() {
			door := v.refusedDoor
			v.DoorOverride.Hide()
			v.deps.Override(app.PermCabinet, func() { v.openDoor(door[0], door[1]) })
		})
		v.DoorOverride.Hide()
		tools := container.NewHBox(v.DoorMsg, v.DoorOverride)
		if d.SimCabinet != nil {
			// Closing writes door reports onto the simulated line: off the UI goroutine.
			v.CloseDoors = widget.NewButton(i18n.T("devices.doors.close"), func() { v.run(d.SimCabinet.CloseDoors, v.refreshDoors) })
			tools.Add(v.CloseDoors)
		}
		doorCard := widget.NewCard(i18n.T("devices.doors"), i18n.T("devices.doors.sub"),
			container.NewBorder(nil, tools, nil, nil, container.NewVScroll(v.DoorGrid)))
		lower = container.NewAppTabs(
			container.NewTabItem(i18n.T("devices.speaker"), speakerCard),
			container.NewTabItem(i18n.T("devices.doors"), doorCard))
		v.cancel = append(v.cancel, d.Cabinet.SubscribeDoors(func() { async.Do(v.refreshDoors) }))
		v.refreshDoors()
	}
	right := container.NewVSplit(container.NewBorder(statusCard, nil, nil, nil, queueCard), lower)
	right.Offset = 0.6
	split := container.NewHSplit(printerCard, right)
	split.Offset = 0.42
	v.content = split

	if d.Printer != nil {
		v.cancel = append(v.cancel, d.Printer.SubscribeReceipts(func(r Receipt) {
			async.Do(func() { v.addReceipt(r); v.Refresh() })
		}))
		if rs := d.Printer.Receipts(); len(rs) > 0 {
			v.addReceipt(rs[len(rs)-1])
		}
	}
	if d.Status != nil {
		v.cancel = append(v.cancel, d.Status.SubscribeStatus(func() { async.Do(v.Refresh) }))
	}
	if d.Speaker != nil {
		// Subscribe first so that nothing said meanwhile is lost; what both
		// the feed and the list hold is shown once.
		v.cancel = append(v.cancel, d.Speaker.SubscribeSpoken(func(u Utterance) {
			async.Do(func() {
				if v.addSpoken(u) {
					v.Spoken.Refresh()
				}
			})
		}))
		for _, u := range d.Speaker.Spoken() {
			v.addSpoken(u)
		}
	}
	v.Refresh()
}

// Content is the workspace's root.
func (v *View) Content() fyne.CanvasObject { return v.content }

// Stop unsubscribes from the device feeds.
func (v *View) Stop() {
	for _, c := range v.cancel {
		c()
	}
	v.cancel = nil
}

// addSpoken puts u in time order unless it is there already (the same time
// and text); false if it was.
func (v *View) addSpoken(u Utterance) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	i := len(v.spoken)
	for ; i > 0 && !v.spoken[i-1].At.Before(u.At); i-- {
		if v.spoken[i-1].At.Equal(u.At) && v.spoken[i-1].Text == u.Text {
			return false
		}
	}
	v.spoken = append(v.spoken, Utterance{})
	copy(v.spoken[i+1:], v.spoken[i:])
	v.spoken[i] = u
	return true
}

func (v *View) addReceipt(r Receipt) {
	v.receipts = append(v.receipts, r)
	v.Paper.Image = r.Image
	v.Paper.Refresh()
	v.PaperText.SetText(i18n.T("devices.printer.at", "At", r.At.Format("15:04:05")))
}

// LastReceipt is the receipt on show (tests read it).
func (v *View) LastReceipt() (Receipt, bool) {
	if len(v.receipts) == 0 {
		return Receipt{}, false
	}
	return v.receipts[len(v.receipts)-1], true
}

// Refresh reloads the queue and device states off the UI goroutine (one
// load at a time; see serial).
func (v *View) Refresh() {
	if !v.loads.start() {
		return
	}
	var jobs []Job
	var sts []Status
	var err error
	v.run(func() {
		if v.deps.Queue != nil {
			jobs, err = v.deps.Queue.Jobs(context.Background())
		}
		if v.deps.Status != nil {
			sts = v.deps.Status.Statuses()
		}
	}, func() {
		v.mu.Lock()
		if err == nil {
			v.jobs = jobs
		}
		v.mu.Unlock()
		if err != nil {
			v.Message.SetText(i18n.Err(err))
		}
		v.JobList.Refresh()
		text := ""
		for _, s := range sts {
			text += i18n.T("devices.status.line", "Name", s.Name, "State", i18n.M(s.StateName), "Detail", s.Message) + "\n"
		}
		if text == "" {
			text = i18n.T("devices.none")
		}
		v.Status.SetText(text)
		if v.loads.done() {
			v.Refresh()
		}
	})
}

// refreshDoors reads the doors off the UI goroutine (one scan at a time;
// see serial).
func (v *View) refreshDoors() {
	if !v.doorLoads.start() {
		return
	}
	var doors []Door
	var err error
	v.run(func() { doors, err = v.deps.Cabinet.Doors(context.Background()) }, func() {
		v.showDoors(doors, err)
		if v.doorLoads.done() {
			v.refreshDoors()
		}
	})
}

func (v *View) showDoors(doors []Door, err error) {
	if err != nil {
		v.DoorMsg.SetText(i18n.Err(err))
		return
	}
	v.DoorGrid.RemoveAll()
	for _, d := range doors {
		label := i18n.T("devices.door", "N", d.Lock) + " " + i18n.T("devices.door.closed")
		if d.Open {
			label = i18n.T("devices.door", "N", d.Lock) + " " + i18n.T("devices.door.open")
		}
		b := widget.NewButton(label, func() { v.openDoor(d.Board, d.Lock) })
		if d.Open {
			b.Importance = widget.WarningImportance
		}
		v.DoorGrid.Add(b)
	}
}

// openDoor opens a door off the UI goroutine. A tap on a door whose open
// is still under way is ignored: a second pulse is not what was asked for.
func (v *View) openDoor(board, lock int) {
	door := [2]int{board, lock}
	v.mu.Lock()
	if v.opening[door] {
		v.mu.Unlock()
		return
	}
	v.opening[door] = true
	v.mu.Unlock()
	var err error
	v.DoorMsg.SetText(i18n.T("devices.door.opening"))
	v.run(func() { err = v.deps.Cabinet.OpenDoor(context.Background(), board, lock) }, func() {
		v.mu.Lock()
		delete(v.opening, door)
		v.mu.Unlock()
		v.DoorOverride.Hide()
		if err != nil {
			v.DoorMsg.SetText(i18n.Err(err))
			if v.deps.Override != nil && errors.Is(err, app.ErrNoPermission) && !errors.Is(err, app.ErrStaffDisabled) {
				v.refusedDoor = door
				v.DoorOverride.Show()
			}
		} else {
			v.DoorMsg.SetText(i18n.T("devices.door.opened", "N", lock))
		}
		v.refreshDoors()
	})
}

func (v *View) reprint() {
	if v.deps.Queue == nil {
		return // the button is disabled
	}
	v.mu.Lock()
	id := v.selected
	v.mu.Unlock()
	if id < 0 {
		v.Message.SetText(i18n.T("devices.reprint.pick"))
		return
	}
	var err error
	v.run(func() { err = v.deps.Queue.Reprint(context.Background(), id) }, func() {
		if err != nil {
			v.Message.SetText(i18n.Err(err))
			return
		}
		v.Message.SetText(i18n.T("devices.reprint.queued"))
		v.Refresh()
	})
}

// jobLine is one line of the print queue. A job sent before and not
// printed says how often it was tried.
func jobLine(j Job) string {
	line := fmt.Sprintf("#%d %s %s  %s", j.ID, jobKind(j.Kind), j.Ref, jobState(j.State))
	if j.Attempts > 0 && (j.State == "queued" || j.State == "failed") {
		line += " " + i18n.T("devices.job.attempts", "N", j.Attempts)
	}
	if j.Error != "" && j.State != "printed" {
		line += "  " + j.Error
	}
	return line
}

func jobState(s string) string {
	switch s {
	case "queued":
		return i18n.T("devices.job.queued")
	case "printing":
		return i18n.T("devices.job.printing")
	case "printed":
		return i18n.T("devices.job.printed")
	case "failed":
		return i18n.T("devices.job.failed")
	case "cancelled":
		return i18n.T("devices.job.cancelled")
	}
	return s
}

func jobKind(s string) string {
	switch s {
	case "sale":
		return i18n.T("devices.kind.sale")
	case "refund":
		return i18n.T("devices.kind.refund")
	case "deposit":
		return i18n.T("devices.kind.deposit")
	case "shift":
		return i18n.T("devices.kind.shift")
	case "test":
		return i18n.T("devices.kind.test")
	case "label":
		return i18n.T("devices.kind.label")
	case "report":
		return i18n.T("devices.kind.report")
	case "reprint":
		return i18n.T("devices.kind.reprint")
	}
	return s
}
