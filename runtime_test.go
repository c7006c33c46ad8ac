package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"cashier/app"
	"cashier/hardware/printq"
	"cashier/hardware/sim"
	"cashier/localdb"
	"cashier/sync/paycli"
)

// The embedded default end to end, without a window: a payment through
// the sandbox gateway is committed, its receipt comes out of the simulated
// printer (order number as a barcode, Chinese text), and the simulated
// speaker says the amount.
func TestRuntime_EmbeddedDefaultPaysPrintsAndAnnounces(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	db, err := localdb.Open(filepath.Join(dir, "pos.db"))
	require.NoError(t, err)
	defer db.Close()
	clock := app.SystemClock{}
	_, err = db.SeedDemo(ctx, app.PINHasher{Cost: bcrypt.MinCost}, clock.Now())
	require.NoError(t, err)
	var log bytes.Buffer
	rt, err := startRuntime(ctx, dir, db, clock, &log)
	require.NoError(t, err, log.String())
	defer rt.Close()
	require.True(t, rt.Sandbox)
	require.NotNil(t, rt.emu)
	require.NotNil(t, rt.spkSim, log.String())

	receipts := make(chan sim.PrinterReceipt, 4)
	cancel := rt.emu.OnReceipt(func(r sim.PrinterReceipt) { receipts <- r })
	defer cancel()
	spoken, stop := rt.spkSim.Subscribe()
	defer stop()

	staff, _, err := db.StaffByCode(ctx, "1002")
	require.NoError(t, err)
	res, err := rt.payments.Pay(ctx, app.PayInput{
		Order: app.Order{StoreID: rt.store.ID, TerminalID: rt.term.ID, StaffID: staff.ID, Total: 1250, Payable: 1250},
		Code:  "134567890123456789", Amount: 1250, StaffCode: staff.Code,
	})
	require.NoError(t, err)
	require.True(t, res.Paid(), res.Message)
	rt.afterPay(staff)(res)

	select {
	case r := <-receipts:
		require.Contains(t, r.Barcodes, res.OrderNo)
		require.Contains(t, r.Text, "好邻居便利店")
		require.Contains(t, r.Text, "李娜")
		require.Contains(t, r.Text, "12.50")
		require.True(t, r.Cut)
	case <-time.After(10 * time.Second):
		t.Fatal("no receipt from the simulated printer")
	}
	select {
	case u := <-spoken:
		require.Equal(t, "收款12.50元", u.Text)
	case <-time.After(10 * time.Second):
		t.Fatal("the simulated speaker said nothing")
	}
	require.Eventually(t, func() bool {
		jobs, err := rt.queue.List(ctx, printq.Filter{Ref: res.OrderNo})
		return err == nil && len(jobs) == 1 && jobs[0].State == printq.Printed
	}, 5*time.Second, 20*time.Millisecond)

	o, err := db.GetOrder(ctx, res.OrderNo)
	require.NoError(t, err)
	require.Equal(t, app.OrderPaid, o.Status)
	require.Equal(t, app.Money(1250), o.Paid)

	// The Devices workspace's feeds see the same things.
	d := rt.devicesDeps()
	jobs, err := d.Jobs()
	require.NoError(t, err)
	require.NotEmpty(t, jobs)
	var names []string
	for _, s := range d.Statuses() {
		names = append(names, s.Name+"="+s.State)
	}
	require.True(t, strings.Contains(strings.Join(names, ","), "ready"), names)
}

// The simulated cabinet: a door opens from the Devices feeds and the
// board's state says so; closing it (the customer) is seen too.
func TestRuntime_SimulatedCabinetDoors(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	db, err := localdb.Open(filepath.Join(dir, "pos.db"))
	require.NoError(t, err)
	defer db.Close()
	_, err = db.SeedDemo(ctx, app.PINHasher{Cost: bcrypt.MinCost}, time.Now())
	require.NoError(t, err)
	var log bytes.Buffer
	rt, err := startRuntime(ctx, dir, db, app.SystemClock{}, &log)
	require.NoError(t, err, log.String())
	defer rt.Close()
	require.NotNil(t, rt.locks, log.String())
	d := rt.devicesDeps()
	doors, err := d.Doors()
	require.NoError(t, err)
	require.Len(t, doors, 12)
	for _, door := range doors {
		require.False(t, door.Open)
	}
	require.NoError(t, d.OpenDoor(1, 3))
	require.True(t, rt.lockBus.DoorOpen(1, 3))
	doors, err = d.Doors()
	require.NoError(t, err)
	require.True(t, doors[2].Open)
	d.CloseDoors()
	doors, err = d.Doors()
	require.NoError(t, err)
	require.False(t, doors[2].Open)
	require.Error(t, d.OpenDoor(9, 1), "an unknown board is an error, not a hang")
}

func TestParseBoards(t *testing.T) {
	b, err := parseBoards("1:12, 2:24i")
	require.NoError(t, err)
	require.Equal(t, []lockBoard{{1, 12, false}, {2, 24, true}}, b)
	for _, bad := range []string{"1", "x:2", "40:1", "1:0", "1:12,2"} {
		_, err := parseBoards(bad)
		require.Error(t, err, bad)
	}
}

// Real merchant credentials are a setting: with a channels.json in the
// data folder the app talks to the channel it names (here a gateway
// running on its own, standing in for the real one) and not to the
// embedded sandbox.
func TestRuntime_ChannelsFileReplacesTheEmbeddedSandbox(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	gw, err := paycli.StartSandbox(ctx, filepath.Join(t.TempDir(), "gateway"), app.SystemClock{})
	require.NoError(t, err)
	defer gw.Server.Close()
	c := gw.Creds.WeChat
	file := map[string]any{
		"WeChat": map[string]any{
			"BaseURL": gw.BaseURL, "AppID": c.AppID, "MchID": c.MchID, "SubMchID": c.SubMchID,
			"APIKey": c.APIKey, "CertPEM": c.ClientCertPEM, "KeyPEM": c.ClientKeyPEM, "ClientIP": "127.0.0.1",
			"HTTP": map[string]any{"RootCAPEM": gw.CAPEM},
		},
		"OrderPrefix": gw.Creds.CloudPay.CashierID,
	}
	b, err := json.Marshal(file)
	require.NoError(t, err)

	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, channelsFile), b, 0o600))
	db, err := localdb.Open(filepath.Join(dir, "pos.db"))
	require.NoError(t, err)
	defer db.Close()
	_, err = db.SeedDemo(ctx, app.PINHasher{Cost: bcrypt.MinCost}, time.Now())
	require.NoError(t, err)
	var log bytes.Buffer
	rt, err := startRuntime(ctx, dir, db, app.SystemClock{}, &log)
	require.NoError(t, err, log.String())
	defer rt.Close()
	require.False(t, rt.Sandbox, "no SANDBOX badge with real credentials")
	require.NoDirExists(t, paycli.SandboxDir(dir), "the embedded sandbox was not started")

	before := len(gw.Server.Ledger().Charges())
	res, err := rt.payments.Pay(ctx, app.PayInput{
		Order: app.Order{StoreID: rt.store.ID, TerminalID: rt.term.ID, StaffID: 1, Total: 800, Payable: 800},
		Code:  "134567890123456789", Amount: 800,
	})
	require.NoError(t, err)
	require.True(t, res.Paid(), res.Message)
	require.Len(t, gw.Server.Ledger().Charges(), before+1, "the configured gateway took the money")

	// Wallets with no configured channel are refused before anything is sent.
	_, err = rt.payments.Pay(ctx, app.PayInput{
		Order: app.Order{StoreID: rt.store.ID, TerminalID: rt.term.ID, StaffID: 1, Total: 800, Payable: 800},
		Code:  "284567890123456789", Amount: 800,
	})
	require.Error(t, err)
	require.ErrorIs(t, err, app.ErrChannelNotConfigured)

	// A broken file is a clear error, not a silent fallback to the sandbox.
	require.NoError(t, os.WriteFile(filepath.Join(dir, channelsFile), []byte("{not json"), 0o600))
	_, err = startRuntime(ctx, dir, db, app.SystemClock{}, &log)
	require.ErrorContains(t, err, channelsFile)
}
