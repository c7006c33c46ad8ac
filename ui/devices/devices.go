// Package devices is the Devices workspace: each device's state, the print
// queue with reprint, and — in the embedded default — what the virtual
// printer printed and what the virtual speaker said.
package devices

import (
	"fmt"
	"image"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

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
	Name    string
	Kind    string // printer, speaker, scanner, lock
	State   string
	Message string
}

// Job is one print-queue entry.
type Job struct {
	ID       int64
	Kind     string
	Ref      string
	State    string
	Attempts int
	Error    string
	Created  time.Time
}

// Door is one cabinet door's lock.
type Door struct {
	Board, Lock int
	Open        bool
}

// Deps are the feeds the workspace shows. Any of them may be nil when the
// runtime has no such thing (a real printer has no receipt images).
type Deps struct {
	Receipts          func() []Receipt
	SubscribeReceipts func(func(Receipt)) (cancel func())
	Spoken            func() []Utterance
	SubscribeSpoken   func(func(Utterance)) (cancel func())
	Statuses          func() []Status
	SubscribeStatus   func(func()) (cancel func()) // called when any device's state changes
	Jobs              func() ([]Job, error)
	Reprint           func(id int64) error
	// SetPaperOut / SetCoverOpen drive the simulated printer's faults, for
	// training and demos; nil with a real printer.
	SetPaperOut  func(bool)
	SetCoverOpen func(bool)
	// Cabinet lock boards: the doors' states, opening one, and change
	// notifications (unsolicited board reports). CloseDoors shuts the
	// simulated cabinet's open doors (what a customer does); nil with real
	// boards.
	Doors          func() ([]Door, error)
	OpenDoor       func(board, lock int) error
	SubscribeDoors func(func()) (cancel func())
	CloseDoors     func()
}

// View is the workspace.
type View struct {
	deps      Deps
	mu        sync.Mutex
	receipts  []Receipt
	spoken    []Utterance
	jobs      []Job
	statuses  []Status
	Paper     *canvas.Image
	PaperText *widget.Label
	Spoken    *widget.List
	JobList   *widget.List
	Status    *widget.Label
	Message   *widget.Label
	DoorGrid  *fyne.Container
	DoorMsg   *widget.Label
	selected  int64
	cancel    []func()
	content   fyne.CanvasObject
}

// New builds the workspace. Close it (Stop) when leaving to drop the feeds.
func New(d Deps) *View {
	v := &View{deps: d, selected: -1}
	v.Paper = canvas.NewImageFromImage(nil)
	v.Paper.FillMode = canvas.ImageFillContain
	v.Paper.SetMinSize(fyne.NewSize(300, 420))
	v.PaperText = widget.NewLabel(i18n.T("devices.printer.empty", "还没有打印小票"))
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
			line := fmt.Sprintf("#%d %s %s  %s", j.ID, jobKind(j.Kind), j.Ref, jobState(j.State))
			if j.Error != "" && j.State != "printed" {
				line += "  " + j.Error
			}
			o.(*widget.Label).SetText(line)
		})
	v.JobList.OnSelected = func(i widget.ListItemID) {
		v.mu.Lock()
		if i >= 0 && i < len(v.jobs) {
			v.selected = v.jobs[i].ID
		}
		v.mu.Unlock()
	}
	reprint := widget.NewButtonWithIcon(i18n.T("devices.reprint", "重打选中小票"), theme.DocumentPrintIcon(), v.reprint)
	if d.Reprint == nil {
		reprint.Disable()
	}
	refresh := widget.NewButtonWithIcon(i18n.T("devices.refresh", "刷新"), theme.ViewRefreshIcon(), v.Refresh)

	var faults []fyne.CanvasObject
	if d.SetPaperOut != nil {
		paper := widget.NewCheck(i18n.T("devices.sim.paperout", "模拟缺纸"), d.SetPaperOut)
		faults = append(faults, paper)
	}
	if d.SetCoverOpen != nil {
		faults = append(faults, widget.NewCheck(i18n.T("devices.sim.cover", "模拟开盖"), d.SetCoverOpen))
	}

	printerCard := widget.NewCard(i18n.T("devices.printer", "虚拟打印机"), i18n.T("devices.printer.sub", "由 ESC/POS 字节渲染的最新小票"),
		container.NewBorder(container.NewHBox(faults...), nil, nil, nil, container.NewVScroll(container.NewVBox(v.Paper, v.PaperText))))
	speakerCard := widget.NewCard(i18n.T("devices.speaker", "虚拟语音播报"), "", v.Spoken)
	queueCard := widget.NewCard(i18n.T("devices.queue", "打印队列"), "",
		container.NewBorder(nil, container.NewHBox(reprint, refresh, v.Message), nil, nil, v.JobList))
	statusCard := widget.NewCard(i18n.T("devices.status", "设备状态"), "", v.Status)

	lower := fyne.CanvasObject(speakerCard)
	if d.Doors != nil {
		v.DoorGrid = container.NewGridWrap(fyne.NewSize(92, 40))
		v.DoorMsg = widget.NewLabel("")
		tools := container.NewHBox(v.DoorMsg)
		if d.CloseDoors != nil {
			tools.Add(widget.NewButton(i18n.T("devices.doors.close", "模拟关门"), func() { d.CloseDoors(); v.refreshDoors() }))
		}
		doorCard := widget.NewCard(i18n.T("devices.doors", "智能柜门锁"), i18n.T("devices.doors.sub", "点击开门"),
			container.NewBorder(nil, tools, nil, nil, container.NewVScroll(v.DoorGrid)))
		lower = container.NewAppTabs(
			container.NewTabItem(i18n.T("devices.speaker", "虚拟语音播报"), speakerCard),
			container.NewTabItem(i18n.T("devices.doors", "智能柜门锁"), doorCard))
		if d.SubscribeDoors != nil {
			v.cancel = append(v.cancel, d.SubscribeDoors(func() { fyne.Do(v.refreshDoors) }))
		}
		v.refreshDoors()
	}
	right := container.NewVSplit(container.NewBorder(statusCard, nil, nil, nil, queueCard), lower)
	right.Offset = 0.6
	split := container.NewHSplit(printerCard, right)
	split.Offset = 0.42
	v.content = split

	if d.SubscribeReceipts != nil {
		v.cancel = append(v.cancel, d.SubscribeReceipts(func(r Receipt) {
			fyne.Do(func() { v.addReceipt(r); v.Refresh() })
		}))
	}
	if d.SubscribeStatus != nil {
		v.cancel = append(v.cancel, d.SubscribeStatus(func() { fyne.Do(v.Refresh) }))
	}
	if d.SubscribeSpoken != nil {
		v.cancel = append(v.cancel, d.SubscribeSpoken(func(u Utterance) {
			fyne.Do(func() { v.mu.Lock(); v.spoken = append(v.spoken, u); v.mu.Unlock(); v.Spoken.Refresh() })
		}))
	}
	if d.Receipts != nil {
		rs := d.Receipts()
		if len(rs) > 0 {
			v.addReceipt(rs[len(rs)-1])
		}
	}
	if d.Spoken != nil {
		v.spoken = d.Spoken()
	}
	v.Refresh()
	return v
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

func (v *View) addReceipt(r Receipt) {
	v.receipts = append(v.receipts, r)
	v.Paper.Image = r.Image
	v.Paper.Refresh()
	v.PaperText.SetText(i18n.T("devices.printer.at", "打印时间 {{.At}}", map[string]any{"At": r.At.Format("15:04:05")}))
}

// LastReceipt is the receipt on show (tests read it).
func (v *View) LastReceipt() (Receipt, bool) {
	if len(v.receipts) == 0 {
		return Receipt{}, false
	}
	return v.receipts[len(v.receipts)-1], true
}

// Refresh reloads the queue and device states off the UI goroutine.
func (v *View) Refresh() {
	var jobs []Job
	var sts []Status
	var err error
	async.Run(func() {
		if v.deps.Jobs != nil {
			jobs, err = v.deps.Jobs()
		}
		if v.deps.Statuses != nil {
			sts = v.deps.Statuses()
		}
	}, func() {
		v.mu.Lock()
		if err == nil {
			v.jobs = jobs
		}
		v.statuses = sts
		v.mu.Unlock()
		if err != nil {
			v.Message.SetText(err.Error())
		}
		v.JobList.Refresh()
		text := ""
		for _, s := range sts {
			text += fmt.Sprintf("%s：%s  %s\n", s.Name, stateName(s.State), s.Message)
		}
		if text == "" {
			text = i18n.T("devices.none", "未配置设备")
		}
		v.Status.SetText(text)
	})
}

func (v *View) refreshDoors() {
	var doors []Door
	var err error
	async.Run(func() { doors, err = v.deps.Doors() }, func() {
		if err != nil {
			v.DoorMsg.SetText(err.Error())
			return
		}
		v.DoorGrid.RemoveAll()
		for _, d := range doors {
			d := d
			label := i18n.T("devices.door", "{{.N}}号门", map[string]any{"N": d.Lock}) + " " + i18n.T("devices.door.closed", "关")
			if d.Open {
				label = i18n.T("devices.door", "{{.N}}号门", map[string]any{"N": d.Lock}) + " " + i18n.T("devices.door.open", "开")
			}
			b := widget.NewButton(label, func() { v.openDoor(d.Board, d.Lock) })
			if d.Open {
				b.Importance = widget.WarningImportance
			}
			v.DoorGrid.Add(b)
		}
	})
}

func (v *View) openDoor(board, lock int) {
	var err error
	v.DoorMsg.SetText(i18n.T("devices.door.opening", "正在开门…"))
	async.Run(func() { err = v.deps.OpenDoor(board, lock) }, func() {
		if err != nil {
			v.DoorMsg.SetText(err.Error())
		} else {
			v.DoorMsg.SetText(i18n.T("devices.door.opened", "{{.N}}号门已打开", map[string]any{"N": lock}))
		}
		v.refreshDoors()
	})
}

func (v *View) reprint() {
	v.mu.Lock()
	id := v.selected
	v.mu.Unlock()
	if id < 0 {
		v.Message.SetText(i18n.T("devices.reprint.pick", "请先在打印队列中选中一张小票"))
		return
	}
	var err error
	async.Run(func() { err = v.deps.Reprint(id) }, func() {
		if err != nil {
			v.Message.SetText(err.Error())
			return
		}
		v.Message.SetText(i18n.T("devices.reprint.queued", "已加入打印队列"))
		v.Refresh()
	})
}

func stateName(s string) string {
	switch s {
	case "ready":
		return i18n.T("devices.state.ready", "就绪")
	case "busy":
		return i18n.T("devices.state.busy", "忙")
	case "paper_out":
		return i18n.T("devices.state.paperout", "缺纸")
	case "paper_near_end":
		return i18n.T("devices.state.nearend", "纸将用尽")
	case "cover_open":
		return i18n.T("devices.state.cover", "纸仓盖打开")
	case "offline":
		return i18n.T("devices.state.offline", "脱机")
	case "disconnected":
		return i18n.T("devices.state.disconnected", "已断开")
	case "connecting":
		return i18n.T("devices.state.connecting", "正在连接")
	}
	return s
}

func jobState(s string) string {
	switch s {
	case "queued":
		return i18n.T("devices.job.queued", "排队中")
	case "printing":
		return i18n.T("devices.job.printing", "打印中")
	case "printed":
		return i18n.T("devices.job.printed", "已打印")
	case "failed":
		return i18n.T("devices.job.failed", "失败")
	case "cancelled":
		return i18n.T("devices.job.cancelled", "已取消")
	}
	return s
}

func jobKind(s string) string {
	switch s {
	case "sale":
		return i18n.T("devices.kind.sale", "销售小票")
	case "refund":
		return i18n.T("devices.kind.refund", "退款小票")
	case "deposit":
		return i18n.T("devices.kind.deposit", "押金小票")
	case "shift":
		return i18n.T("devices.kind.shift", "交班小票")
	case "test":
		return i18n.T("devices.kind.test", "测试页")
	}
	return s
}
