package backofficesync

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cashier/ui/async"
	"cashier/ui/i18n"
)

// ctxSync's push reports its progress and then waits for its context,
// telling when it ended.
type ctxSync struct {
	fakeSync
	ended atomic.Bool
}

func (c *ctxSync) PushNow(ctx context.Context, progress func(Progress)) error {
	progress(Progress{Phase: PhasePush, Done: 3, Total: 12})
	<-ctx.Done()
	c.ended.Store(true)
	return ctx.Err()
}

// While 先同步再退出 runs, the question shows the push's progress;
// 仍然退出 leaves at once and stops the push, which then leaves nothing
// more; 取消 stays and stops it too.
func TestConfirmLeave_AnswersWhilePushing(t *testing.T) {
	require.NoError(t, i18n.Use(i18n.Chinese))
	async.Synchronous, async.Serial = false, true
	t.Cleanup(func() { async.Synchronous, async.Serial = false, false })
	test.NewTempApp(t)
	var w fyne.Window
	async.DoAndWait(func() { w = test.NewTempWindow(t, widget.NewLabel("")) })
	for _, answer := range []string{"仍然退出", "取消"} {
		s := &ctxSync{fakeSync: fakeSync{st: Status{Enrolled: true, Unsynced: 12}}}
		var leaves, stays atomic.Int32
		async.DoAndWait(func() {
			ConfirmLeave(w, s, time.Minute, func() { leaves.Add(1) }, func() { stays.Add(1) })
		})
		eventually(t, "asked", func() bool { return len(overlayButtons(w)) == 3 })
		async.DoAndWait(func() { test.Tap(overlayButtons(w)["先同步再退出"]) })
		eventually(t, "the push's progress", func() bool {
			top := w.Canvas().Overlays().Top()
			found := false
			walk(top, func(o fyne.CanvasObject) {
				if l, ok := o.(*widget.Label); ok && l.Text == "正在上传记录 3 / 12" {
					found = true
				}
			})
			return found
		})
		assert.True(t, on(func() bool { return overlayButtons(w)["先同步再退出"].Disabled() }))
		async.DoAndWait(func() { test.Tap(overlayButtons(w)[answer]) })
		require.Eventually(t, s.ended.Load, 5*time.Second, 5*time.Millisecond, "the push is stopped")
		eventually(t, "the question is gone", func() bool { return w.Canvas().Overlays().Top() == nil })
		async.DoAndWait(func() {}) // the push's end has been applied
		if answer == "仍然退出" {
			assert.Equal(t, int32(1), leaves.Load())
			assert.Zero(t, stays.Load())
		} else {
			assert.Zero(t, leaves.Load())
			assert.Equal(t, int32(1), stays.Load())
		}
	}
}
