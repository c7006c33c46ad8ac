package devices

import (
	"context"
	"image"
	"image/color"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/ui/async"
)

func TestDevices_ShowsReceiptsSpeechStatesAndReprints(t *testing.T) {
	async.Synchronous = true
	test.NewTempApp(t)
	paper := image.NewGray(image.Rect(0, 0, 10, 10))
	paper.Set(1, 1, color.Black)
	pr := &fakePrinter{receipts: []Receipt{{At: time.Now(), Image: paper, Text: "好邻居便利店"}}}
	q := &fakeQueue{}
	cab := &fakeCabinet{open: map[int]bool{}}
	v := New(Deps{Status: fakeStatus{}, Queue: q, Printer: pr, Speaker: fakeSpeaker{}, Cabinet: cab})
	newReceipt := func(r Receipt) { pr.fn(r) }
	w := test.NewTempWindow(t, v.Content())
	w.Resize(fyne.NewSize(1024, 700))

	r, ok := v.LastReceipt()
	require.True(t, ok)
	require.Equal(t, "好邻居便利店", r.Text)
	require.Contains(t, v.Status.Text, "小票打印机：缺纸  打印机缺纸，请装纸")
	require.Contains(t, v.Status.Text, "锁控板：故障", "every state has its name, error too")
	require.Equal(t, 1, v.Spoken.Length())
	require.Equal(t, 1, v.JobList.Length())

	// Reprint needs a selection first.
	v.reprint()
	require.Contains(t, v.Message.Text, "请先")
	v.JobList.Select(0)
	v.reprint()
	require.Equal(t, int64(3), q.reprinted)

	// A new receipt from the printer replaces the one on show.
	require.NotNil(t, pr.fn)
	newReceipt(Receipt{At: time.Now(), Image: paper, Text: "第二张"})
	r, _ = v.LastReceipt()
	require.Equal(t, "第二张", r.Text)

	// Doors: tapping door 2 opens it and the button says so.
	require.Len(t, v.DoorGrid.Objects, 2)
	test.Tap(v.DoorGrid.Objects[1].(*widget.Button))
	require.True(t, cab.open[2])
	require.Contains(t, v.DoorGrid.Objects[1].(*widget.Button).Text, "开")
	require.Contains(t, v.DoorMsg.Text, "2")

	v.Stop()
	require.Nil(t, pr.fn, "leaving the page drops the feeds")
}

type fakePrinter struct {
	receipts []Receipt
	fn       func(Receipt)
}

func (p *fakePrinter) Receipts() []Receipt { return p.receipts }
func (p *fakePrinter) SubscribeReceipts(fn func(Receipt)) func() {
	p.fn = fn
	return func() { p.fn = nil }
}
func (p *fakePrinter) SetPaperOut(bool)  {}
func (p *fakePrinter) SetCoverOpen(bool) {}

type fakeSpeaker struct{}

func (fakeSpeaker) Spoken() []Utterance {
	return []Utterance{{At: time.Now(), Text: "收款12.50元"}}
}
func (fakeSpeaker) SubscribeSpoken(func(Utterance)) func() { return func() {} }

type fakeStatus struct{}

func (fakeStatus) Statuses() []Status {
	return []Status{{Name: "小票打印机", State: "paper_out", StateName: app.Msg("devices.state.paperout"), Message: "打印机缺纸，请装纸"},
		{Name: "锁控板", State: "error", StateName: app.Msg("devices.state.error"), Message: "/dev/ttyUSB1"}}
}
func (fakeStatus) SubscribeStatus(func()) func() { return func() {} }

type fakeQueue struct{ reprinted int64 }

func (q *fakeQueue) Jobs(context.Context) ([]Job, error) {
	return []Job{{ID: 3, Kind: "sale", Ref: "SZ1", State: "queued", Error: "打印机缺纸"}}, nil
}
func (q *fakeQueue) Reprint(_ context.Context, id int64) error { q.reprinted = id; return nil }

type fakeCabinet struct{ open map[int]bool }

func (c *fakeCabinet) Doors(context.Context) ([]Door, error) {
	return []Door{{Board: 1, Lock: 1, Open: c.open[1]}, {Board: 1, Lock: 2, Open: c.open[2]}}, nil
}
func (c *fakeCabinet) OpenDoor(_ context.Context, b, l int) error { c.open[l] = true; return nil }
func (c *fakeCabinet) SubscribeDoors(func()) func()               { return func() {} }

// Without a print queue there is nothing to reprint: the button is off.
func TestDevices_ReprintNeedsAQueue(t *testing.T) {
	async.Synchronous = true
	test.NewTempApp(t)
	v := New(Deps{Status: fakeStatus{}})
	require.True(t, v.Reprint.Disabled())
	v = New(Deps{Status: fakeStatus{}, Queue: &fakeQueue{}})
	require.False(t, v.Reprint.Disabled())
}

// An utterance the feed delivers after the list was read (it was said
// between the subscription and the reading) is shown once, and the list
// stays in time order, newest first.
func TestDevices_SpeechShownOnceInOrder(t *testing.T) {
	async.Synchronous = true
	test.NewTempApp(t)
	t0 := time.Date(2026, 1, 16, 9, 30, 0, 0, time.Local)
	said := Utterance{At: t0, Text: "收款12.50元"}
	spk := &feedSpeaker{spoken: []Utterance{said}}
	v := New(Deps{Speaker: spk})
	require.Equal(t, 1, v.Spoken.Length())
	spk.fn(said)
	require.Equal(t, 1, v.Spoken.Length(), "already on the list")
	spk.fn(Utterance{At: t0.Add(-time.Second), Text: "退款3.00元"})
	spk.fn(Utterance{At: t0.Add(time.Second), Text: "押金200.00元"})
	require.Equal(t, 3, v.Spoken.Length())
	var texts []string
	for _, u := range v.spoken {
		texts = append(texts, u.Text)
	}
	require.Equal(t, []string{"退款3.00元", "收款12.50元", "押金200.00元"}, texts)
}

// A job sent before and not printed says how often it was tried.
func TestDevices_JobLineSaysAttempts(t *testing.T) {
	test.NewTempApp(t)
	line := jobLine(Job{ID: 7, Kind: "sale", Ref: "SZ1", State: "failed", Attempts: 5, Error: "多次尝试仍未打印成功"})
	require.Contains(t, line, "已尝试 5 次")
	require.NotContains(t, jobLine(Job{ID: 8, Kind: "sale", State: "printed", Attempts: 1}), "尝试")
	require.NotContains(t, jobLine(Job{ID: 9, Kind: "sale", State: "queued"}), "尝试")
}

// Closing the simulated doors writes onto the lock line: the tap only
// starts the work, which runs off the UI goroutine. Door scans asked for
// while one runs (a report for every door closed) become one more scan
// after it, so results land in order and the newest state is shown. A
// second tap on a door being opened is not a second pulse.
func TestDevices_DoorIOOffTheUIGoroutineAndScansInOrder(t *testing.T) {
	test.NewTempApp(t)
	cab := &countingCabinet{}
	closer := &countingCloser{}
	v := newView(Deps{Cabinet: cab, SimCabinet: closer})
	var jobs steps
	v.run = jobs.add
	v.build()
	require.Zero(t, cab.scans, "nothing runs on the UI goroutine")
	queued := len(jobs.queue)
	v.refreshDoors() // door reports while the first scan runs
	v.refreshDoors()
	v.refreshDoors()
	require.Len(t, jobs.queue, queued, "no scan beside the running one")
	jobs.runAll(t)
	require.Equal(t, 2, cab.scans, "the first scan, and one more for everything asked meanwhile")

	test.Tap(v.CloseDoors)
	require.Zero(t, closer.calls, "the tap returns before the doors are closed")
	jobs.runAll(t)
	require.Equal(t, 1, closer.calls)
	require.Equal(t, 3, cab.scans, "a scan after the doors closed")
	require.NotContains(t, v.doorText(), "开")

	cab.open = true // the newest state is what the last scan shows
	v.refreshDoors()
	jobs.runAll(t)
	require.Contains(t, v.doorText(), "开")

	b := v.DoorGrid.Objects[0].(*widget.Button)
	test.Tap(b)
	test.Tap(b)
	jobs.runAll(t)
	require.Equal(t, 1, cab.opens, "one pulse for two taps")
	require.Contains(t, v.DoorMsg.Text, "1号门已打开")
	test.Tap(v.DoorGrid.Objects[0].(*widget.Button))
	jobs.runAll(t)
	require.Equal(t, 2, cab.opens, "once it is done, a tap opens again")
}

// steps stands in for async.Run: the test runs the work and applies its
// result when it chooses, in order, all on its own goroutine.
type steps struct{ queue [][2]func() }

func (s *steps) add(work, apply func()) { s.queue = append(s.queue, [2]func(){work, apply}) }

func (s *steps) runAll(t *testing.T) {
	t.Helper()
	for i := 0; len(s.queue) > 0; i++ {
		require.Less(t, i, 100, "the work never settles")
		j := s.queue[0]
		s.queue = s.queue[1:]
		j[0]()
		j[1]()
	}
}

type countingCabinet struct {
	scans, opens int
	open         bool
}

func (c *countingCabinet) Doors(context.Context) ([]Door, error) {
	c.scans++
	return []Door{{Board: 1, Lock: 1, Open: c.open}}, nil
}
func (c *countingCabinet) OpenDoor(context.Context, int, int) error { c.opens++; return nil }
func (c *countingCabinet) SubscribeDoors(func()) func()             { return func() {} }

type countingCloser struct{ calls int }

func (c *countingCloser) CloseDoors() { c.calls++ }

type feedSpeaker struct {
	spoken []Utterance
	fn     func(Utterance)
}

func (s *feedSpeaker) Spoken() []Utterance { return s.spoken }
func (s *feedSpeaker) SubscribeSpoken(fn func(Utterance)) func() {
	s.fn = fn
	return func() {}
}

// doorText is what the door buttons say.
func (v *View) doorText() string {
	var b strings.Builder
	for _, o := range v.DoorGrid.Objects {
		b.WriteString(o.(*widget.Button).Text)
	}
	return b.String()
}
