package devices

import (
	"context"
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/app/auth"
	"cashier/ui/async"
)

// strictCabinet opens a door only on an approval (as auth.Rules with a
// manager's one-shot override) and refuses everyone else.
type strictCabinet struct {
	approved bool
	disabled bool
	opened   []int
}

func (c *strictCabinet) Doors(context.Context) ([]Door, error) {
	return []Door{{Board: 1, Lock: 1}, {Board: 1, Lock: 2}}, nil
}

func (c *strictCabinet) OpenDoor(_ context.Context, _, lock int) error {
	if c.disabled {
		return app.ErrStaffDisabled.With("Name", "张伟")
	}
	if !c.approved {
		return app.ErrNoPermission.With("Name", "张伟", "Perm", auth.PermName(app.PermCabinet))
	}
	c.approved = false
	c.opened = append(c.opened, lock)
	return nil
}

func (c *strictCabinet) SubscribeDoors(func()) func() { return func() {} }

// A door refused for want of the permission offers the manager override;
// once approved, the same door opens, once.
func TestDevices_DoorRefusedOffersOverride(t *testing.T) {
	async.Synchronous = true
	test.NewTempApp(t)
	cab := &strictCabinet{}
	var asked []string
	v := New(Deps{Cabinet: cab, Override: func(perm string, then func()) {
		asked = append(asked, perm)
		cab.approved = true // the manager approved
		then()
	}})
	test.NewTempWindow(t, v.Content())
	require.False(t, v.DoorOverride.Visible())

	test.Tap(v.DoorGrid.Objects[1].(*widget.Button))
	require.Equal(t, "张伟 没有智能柜开门权限", v.DoorMsg.Text)
	require.True(t, v.DoorOverride.Visible())
	require.Empty(t, cab.opened)

	test.Tap(v.DoorOverride)
	require.Equal(t, []string{app.PermCabinet}, asked)
	require.Equal(t, []int{2}, cab.opened, "the refused door, once")
	require.False(t, v.DoorOverride.Visible())
	require.Contains(t, v.DoorMsg.Text, "2")

	// A disabled person is not offered an override.
	cab.disabled = true
	test.Tap(v.DoorGrid.Objects[0].(*widget.Button))
	require.False(t, v.DoorOverride.Visible())

	// Without an override source a refusal is only shown.
	cab.disabled = false
	v2 := New(Deps{Cabinet: cab})
	test.NewTempWindow(t, v2.Content())
	test.Tap(v2.DoorGrid.Objects[0].(*widget.Button))
	require.False(t, v2.DoorOverride.Visible())
}
