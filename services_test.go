package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/app/sale"
	"cashier/hardware"
	"cashier/hardware/printq"
	"cashier/hardware/sim"
	"cashier/sync/channel"
)

// embedded opens a demo folder as the GUI does: devices simulated,
// channels the embedded sandbox.
func embedded(t *testing.T) *Services {
	ctx := context.Background()
	dir := demoFolder(t)
	s, err := Open(ctx, Options{DataDir: dir, Command: "test", Lock: true, Seed: true, Payments: true, Devices: true})
	require.NoError(t, err)
	t.Cleanup(s.Close)
	require.NoError(t, s.Start(ctx))
	require.True(t, s.Sandbox)
	require.True(t, s.Demo)
	return s
}

// The embedded default end to end, without a window: a sale through the
// checkout and the sandbox gateway is committed, its receipt — made from
// the stored order — comes out of the simulated printer (order number as a
// barcode, Chinese text), and the simulated speaker says the amount.
func TestServices_EmbeddedDefaultPaysPrintsAndAnnounces(t *testing.T) {
	s := embedded(t)
	ctx := context.Background()
	d := s.Devices
	require.NotNil(t, d.emu)
	require.NotNil(t, d.spkSim)
	receipts := make(chan sim.PrinterReceipt, 4)
	defer d.emu.OnReceipt(func(r sim.PrinterReceipt) { receipts <- r })()
	spoken, stop := d.spkSim.Subscribe()
	defer stop()

	staff, _, err := s.DB.StaffByCode(ctx, "1002")
	require.NoError(t, err)
	o, err := s.Checkout.Open(ctx, sale.OrderInput{Staff: staff, Lines: []app.OrderLine{
		{Name: "农夫山泉 550ml", Qty: 2, UnitPrice: 200}, {Name: "面包", Qty: 1, UnitPrice: 850}}})
	require.NoError(t, err)
	out, err := s.Checkout.PayByCode(ctx, o.OrderNo, "134567890123456789", 0, staff, nil)
	require.NoError(t, err)
	require.True(t, out.Paid(), out.Payment.Msg.String())

	select {
	case r := <-receipts:
		require.Contains(t, r.Barcodes, o.OrderNo)
		require.Contains(t, r.Text, "好邻居便利店")
		require.Contains(t, r.Text, "李娜")
		require.Contains(t, r.Text, "农夫山泉")
		require.Contains(t, r.Text, "12.50")
		require.Contains(t, r.Text, "微信支付")
		require.NotEmpty(t, out.Payment.TransactionID)
		require.Contains(t, r.Text, "交易号: "+out.Payment.TransactionID, "the wallet's own number, as the customer's phone shows it")
		require.True(t, r.Cut)
	case <-time.After(30 * time.Second):
		t.Fatal("no receipt from the simulated printer")
	}
	select {
	case u := <-spoken:
		require.Equal(t, "收款12.50元", u.Text)
	case <-time.After(30 * time.Second):
		t.Fatal("the simulated speaker said nothing")
	}
	require.Eventually(t, func() bool {
		jobs, err := d.queue.List(ctx, printq.Filter{Ref: o.OrderNo})
		return err == nil && len(jobs) == 1 && jobs[0].State == printq.Printed
	}, 30*time.Second, 20*time.Millisecond)

	// Cash pays the next sale: the drawer opens and the receipt shows the
	// change.
	o2, err := s.Checkout.Open(ctx, sale.OrderInput{Staff: staff, Total: 1830})
	require.NoError(t, err)
	cash, err := s.Checkout.PayCash(ctx, o2.OrderNo, 0, 2000, staff)
	require.NoError(t, err)
	require.True(t, cash.Paid())
	assert.Equal(t, app.Money(170), cash.Change)
	select {
	case r := <-receipts:
		require.Contains(t, r.Text, "现金")
		require.Contains(t, r.Text, "找零")
		require.NotEmpty(t, r.Drawer, "the drawer was kicked")
	case <-time.After(30 * time.Second):
		t.Fatal("no cash receipt")
	}

	// The Devices workspace's feeds see the same things.
	dd := devicesDeps(s, staff)
	jobs, err := dd.Queue.Jobs(ctx)
	require.NoError(t, err)
	require.NotEmpty(t, jobs)
	require.Eventually(t, func() bool {
		for _, st := range dd.Status.Statuses() {
			if st.Kind == "printer" {
				return st.State == string(hardware.StateReady)
			}
		}
		return false
	}, 30*time.Second, 20*time.Millisecond, "the simulated printer reports ready: %v", dd.Status.Statuses())
}

// A cabinet door opens only for a person holding the cabinet-door
// permission, checked when the door is asked for; every attempt is
// audited with who and which door.
func TestServices_CabinetDoorsNeedThePermission(t *testing.T) {
	s := embedded(t)
	ctx := context.Background()
	require.NotNil(t, s.Cabinet)
	clerk, _, err := s.DB.StaffByCode(ctx, "1003")
	require.NoError(t, err)
	mgr, _, err := s.DB.StaffByCode(ctx, "1001")
	require.NoError(t, err)
	doors, err := s.Cabinet.Doors(ctx)
	require.NoError(t, err)
	require.Len(t, doors, 12)

	err = s.Cabinet.OpenDoor(ctx, clerk.ID, 1, 3)
	require.ErrorIs(t, err, app.ErrNoPermission)
	require.False(t, s.Devices.lockBus.DoorOpen(1, 3), "nothing opened")
	require.NoError(t, s.Cabinet.OpenDoor(ctx, mgr.ID, 1, 3))
	require.True(t, s.Devices.lockBus.DoorOpen(1, 3))

	// Through the Devices workspace's port too, for the person logged in.
	view := devicesDeps(s, mgr).Cabinet
	require.NoError(t, view.OpenDoor(ctx, 1, 5))
	devicesDeps(s, mgr).SimCabinet.CloseDoors()
	viewDoors, err := view.Doors(ctx)
	require.NoError(t, err)
	require.False(t, viewDoors[2].Open)
	require.Error(t, view.OpenDoor(ctx, 9, 1), "an unknown board is an error, not a hang")

	rows, err := s.DB.Read().Query(`SELECT action, subject, detail, staff_id FROM audit_log WHERE action LIKE 'cabinet%' ORDER BY id`)
	require.NoError(t, err)
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var a, subj, det string
		var id int64
		require.NoError(t, rows.Scan(&a, &subj, &det, &id))
		lines = append(lines, a+" "+subj+" "+det)
	}
	require.GreaterOrEqual(t, len(lines), 3)
	assert.Equal(t, "cabinet_open_refused 1-3 ", lines[0])
	assert.Equal(t, "cabinet_open 1-3 opened", lines[1])
}

// holdingChannel holds every payment call until its context ends; then
// onEnd runs (before the call returns) and the call fails.
type holdingChannel struct {
	app.PaymentChannel
	entered chan<- struct{} // told of each call, when someone listens
	onEnd   func()
}

func (h holdingChannel) hold(ctx context.Context) (app.ChannelResult, error) {
	select {
	case h.entered <- struct{}{}:
	default:
	}
	<-ctx.Done()
	if h.onEnd != nil {
		h.onEnd()
	}
	return app.ChannelResult{}, ctx.Err()
}

func (h holdingChannel) Pay(ctx context.Context, _ app.PayRequest) (app.ChannelResult, error) {
	return h.hold(ctx)
}

func (h holdingChannel) Query(ctx context.Context, _ app.OrderRef) (app.ChannelResult, error) {
	return h.hold(ctx)
}

func (h holdingChannel) Reverse(ctx context.Context, _ app.OrderRef) (app.ChannelResult, error) {
	return h.hold(ctx)
}

// Close ends the background work first: the start-up recovery, waiting on
// a channel when Close is called, sees its context end while the database
// is still open, and Close returns only after it has finished.
func TestServices_CloseEndsTheRecoveryBeforeTheDatabase(t *testing.T) {
	// A payment left open: its pay call is held, then abandoned. The
	// channels are buffered: a call may arrive before the test listens.
	entered := make(chan struct{}, 1)
	w := newWorld(t, routeAllTo(app.ChannelWeChat), func(c app.PaymentChannel) app.PaymentChannel {
		return holdingChannel{PaymentChannel: c, entered: entered}
	})
	ctx, cancel := context.WithCancel(context.Background())
	o, err := w.checkout.Open(context.Background(), sale.OrderInput{Staff: w.staff, Total: 300})
	require.NoError(t, err)
	paid := make(chan struct{})
	go func() {
		defer close(paid)
		_, _ = w.checkout.PayByCode(ctx, o.OrderNo, codeFor(app.WalletWeChat, "000"), 0, w.staff, nil)
	}()
	select {
	case <-entered:
	case <-time.After(30 * time.Second):
		t.Fatal("the pay call never reached the channel")
	}
	cancel()
	select {
	case <-paid:
	case <-time.After(30 * time.Second):
		t.Fatal("the abandoned payment did not return")
	}
	open, err := w.store.OpenIntents(context.Background())
	require.NoError(t, err)
	require.NotEmpty(t, open, "a payment is left for recovery")
	w.close()

	// Start again with the jobs: recovery queries the open payment, and
	// the query is held until Close.
	var s *Services
	recovering := make(chan struct{}, 1)
	dbAlive := make(chan error, 8)
	var log lockedBuffer
	s, err = Open(context.Background(), Options{DataDir: w.dir, Command: "test", Lock: true, Payments: true, Jobs: true,
		Clock: w.clock, Log: &log, HTTP: channel.HTTPSettings{Timeout: clientTimeout},
		Wrap: func(c app.PaymentChannel) app.PaymentChannel {
			return holdingChannel{PaymentChannel: c, entered: recovering, onEnd: func() {
				dbAlive <- s.DB.Read().PingContext(context.Background())
			}}
		}})
	require.NoError(t, err)
	require.NoError(t, s.Start(context.Background()))
	select {
	case <-recovering:
	case <-time.After(30 * time.Second):
		t.Fatal("recovery never asked the channel")
	}
	s.Close()
	select {
	case err := <-dbAlive:
		require.NoError(t, err, "the database was closed under the running recovery")
	default:
		t.Fatal("Close returned while the recovery's call was still held")
	}
	assert.NotContains(t, log.String(), "database is closed", log.String())
}

// pos devices unlock starts the lock boards and the cabinet alone: no
// printer (whose queue would print what was left queued), no speaker.
func TestServices_CabinetStartsOnlyTheLocks(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, Options{DataDir: demoFolder(t), Command: "test", Lock: true, Seed: true, Cabinet: true})
	require.NoError(t, err)
	t.Cleanup(s.Close)
	require.NoError(t, s.Start(ctx))
	require.NotNil(t, s.Cabinet)
	require.NotNil(t, s.Devices.lockBus)
	assert.Nil(t, s.Devices.printer)
	assert.Nil(t, s.Devices.queue)
	assert.Nil(t, s.Devices.speaker)
	assert.Nil(t, s.Devices.spkSim)
	doors, err := s.Cabinet.Doors(ctx)
	require.NoError(t, err)
	assert.Len(t, doors, 12)
}

// The drawer opens without a sale only for a holder of open_drawer, or
// once on a manager's override; every opening is audited first, naming
// who opened it and who approved, and the kick reaches the printer.
func TestServices_DrawerWithoutASale(t *testing.T) {
	s := embedded(t)
	ctx := context.Background()
	clerk, _, err := s.DB.StaffByCode(ctx, "1003")
	require.NoError(t, err)
	mgr, _, err := s.DB.StaffByCode(ctx, "1001")
	require.NoError(t, err)
	require.ErrorIs(t, s.Checkout.OpenDrawer(ctx, clerk.ID), app.ErrNoPermission)

	before := s.Devices.emu.Stats().Received
	require.NoError(t, s.Checkout.OpenDrawer(ctx, mgr.ID))
	require.Eventually(t, func() bool { return s.Devices.emu.Stats().Received > before }, 30*time.Second, 10*time.Millisecond,
		"the kick reached the printer")

	_, err = s.Auth.Override(ctx, "1001", "8888", clerk.ID, app.PermOpenDrawer)
	require.NoError(t, err)
	require.NoError(t, s.Checkout.OpenDrawer(ctx, clerk.ID))
	require.ErrorIs(t, s.Checkout.OpenDrawer(ctx, clerk.ID), app.ErrNoPermission, "the approval was for one opening")

	rows, err := s.DB.Read().QueryContext(ctx, `SELECT staff_id, detail FROM audit_log WHERE action='drawer_open' ORDER BY id`)
	require.NoError(t, err)
	defer rows.Close()
	var got []string
	for rows.Next() {
		var id int64
		var detail string
		require.NoError(t, rows.Scan(&id, &detail))
		got = append(got, fmt.Sprintf("%d %s", id, detail))
	}
	require.Equal(t, []string{
		fmt.Sprintf("%d no_sale", mgr.ID),
		fmt.Sprintf("%d no_sale approved_by=王店长(%d)", clerk.ID, mgr.ID),
	}, got)
}
