package devices

import (
	"context"
	"image"
	"image/color"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/stretchr/testify/require"

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
	require.Contains(t, v.Status.Text, "缺纸")
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
	return []Status{{Name: "小票打印机", State: "paper_out", Message: "缺纸"}}
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
