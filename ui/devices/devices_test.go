package devices

import (
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
	var newReceipt func(Receipt)
	reprinted := int64(0)
	open := map[int]bool{}
	v := New(Deps{
		Receipts: func() []Receipt { return []Receipt{{At: time.Now(), Image: paper, Text: "好邻居便利店"}} },
		SubscribeReceipts: func(fn func(Receipt)) func() {
			newReceipt = fn
			return func() { newReceipt = nil }
		},
		Spoken:   func() []Utterance { return []Utterance{{At: time.Now(), Text: "收款12.50元"}} },
		Statuses: func() []Status { return []Status{{Name: "小票打印机", State: "paper_out", Message: "缺纸"}} },
		Jobs: func() ([]Job, error) {
			return []Job{{ID: 3, Kind: "sale", Ref: "SZ1", State: "queued", Error: "打印机缺纸"}}, nil
		},
		Reprint: func(id int64) error { reprinted = id; return nil },
		Doors: func() ([]Door, error) {
			return []Door{{Board: 1, Lock: 1, Open: open[1]}, {Board: 1, Lock: 2, Open: open[2]}}, nil
		},
		OpenDoor: func(b, l int) error { open[l] = true; return nil },
	})
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
	require.Equal(t, int64(3), reprinted)

	// A new receipt from the printer replaces the one on show.
	require.NotNil(t, newReceipt)
	newReceipt(Receipt{At: time.Now(), Image: paper, Text: "第二张"})
	r, _ = v.LastReceipt()
	require.Equal(t, "第二张", r.Text)

	// Doors: tapping door 2 opens it and the button says so.
	require.Len(t, v.DoorGrid.Objects, 2)
	test.Tap(v.DoorGrid.Objects[1].(*widget.Button))
	require.True(t, open[2])
	require.Contains(t, v.DoorGrid.Objects[1].(*widget.Button).Text, "开")
	require.Contains(t, v.DoorMsg.Text, "2")

	v.Stop()
	require.Nil(t, newReceipt, "leaving the page drops the feeds")
}
