package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/app/payment"
	"cashier/app/payment/paytest"
	"cashier/sync/channel"
)

// Crash safety: a child process (this test binary, re-executed) runs
// `pos pay` on a data folder whose channels.json points at the sandbox
// served by this process, and is killed with SIGKILL at a chosen point.
// The child tells the parent it reached the point on file descriptor 3
// and then blocks, so the kill lands exactly there. The kill also leaves
// the data folder's lock file behind: the parent's restart takes it over
// (the OS lock died with the child), runs Recover and checks every intent
// is final and the ledger holds no double charge and no money without an
// order.

const crashEnv = "POS_CRASH_CHILD"

type crashPoint struct {
	name   string
	suffix string // the sandbox scenario of the payment code
	want   payment.IntentState
}

var crashPoints = []crashPoint{
	// The intent and tender are committed; the send was not yet recorded:
	// nothing left the machine. Recovery closes it without a call.
	{"intent-written", "000", payment.IntentClosed},
	// The send is recorded; killed before the request left. Recovery finds
	// no order at the channel and reverses the number (so a late request
	// could never charge).
	{"before-request", "000", payment.IntentReversed},
	// The request reached the channel, which charged; its answer is held
	// (scenario 401) when the child dies. Recovery queries: paid, kept.
	{"request-sent", "401", payment.IntentPaid},
	// The customer is still typing the password when the child dies; the
	// channel finishes the payment meanwhile. Recovery keeps it.
	{"request-sent-userpaying", "101", payment.IntentPaid},
	// The customer cancels in the wallet after the child died.
	{"request-sent-user-cancels", "102", payment.IntentClosed},
	// The success answer arrived; the child dies before recording it.
	{"answer-arrived", "000", payment.IntentPaid},
}

func TestCrashRecovery(t *testing.T) {
	if os.Getenv(crashEnv) != "" {
		t.Skip("child")
	}
	w := newWorld(t, routeAllTo(app.ChannelWeChat), nil)
	w.close() // the children take the folder
	ledger := w.gw.Server.Ledger()
	base, start := w.clock.Epoch()
	got := map[string]crashPoint{} // out_trade_no → point
	for _, p := range crashPoints {
		code := codeFor(app.WalletWeChat, p.suffix)
		pr, pw, err := os.Pipe()
		require.NoError(t, err)
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.v")
		cmd.Env = append(os.Environ(), crashEnv+"=1",
			"CRASH_POINT="+p.name, "CRASH_DATA="+w.dir, "CRASH_CODE="+code,
			"CRASH_BASE="+strconv.FormatInt(base.UnixNano(), 10), "CRASH_START="+strconv.FormatInt(start.UnixNano(), 10))
		cmd.ExtraFiles = []*os.File{pw}
		var childOut lockedBuffer
		cmd.Stdout, cmd.Stderr = &childOut, &childOut
		require.NoError(t, cmd.Start())
		pw.Close()
		lines := make(chan string, 4)
		go func() {
			sc := bufio.NewScanner(pr)
			for sc.Scan() {
				lines <- sc.Text()
			}
			close(lines)
		}()
		var ref string
		select {
		case l, ok := <-lines:
			require.True(t, ok, "child ended without reaching %s:\n%s", p.name, childOut.String())
			f := strings.Fields(l)
			require.Len(t, f, 2, l)
			ref = f[1]
		case <-time.After(60 * time.Second):
			cmd.Process.Kill()
			t.Fatalf("child did not reach %s:\n%s", p.name, childOut.String())
		}
		if strings.HasPrefix(p.name, "request-sent") {
			// Wait until the channel has the order: the request is out.
			deadline := time.Now().Add(30 * time.Second)
			for {
				if _, ok := ledger.Order(app.ChannelWeChat, ref); ok {
					break
				}
				require.True(t, time.Now().Before(deadline), "the request never reached the sandbox")
				time.Sleep(200 * time.Microsecond)
			}
		}
		require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
		err = cmd.Wait()
		pr.Close()
		var ee *exec.ExitError
		require.ErrorAs(t, err, &ee, "the child must die by the kill, not finish:\n%s", childOut.String())
		ws := ee.Sys().(syscall.WaitStatus)
		require.True(t, ws.Signaled() && ws.Signal() == syscall.SIGKILL, "child: %v", err)
		got[ref] = p
	}

	// Restart: the same data folder (its stale lock taken over), the
	// composition root again, Recover.
	w.open(nil)
	for ref, p := range got {
		in, err := w.store.GetIntent(context.Background(), ref)
		require.NoError(t, err, "the intent is durable at %s", p.name)
		assert.False(t, in.State.Final(), "%s: left open by the crash (%s)", p.name, in.State)
	}
	start2 := time.Now()
	rep, err := w.pay.Recover(context.Background())
	require.NoError(t, err)
	t.Logf("recovered %d payments in %s wall", len(rep.Payments), time.Since(start2).Round(time.Millisecond))
	assert.Len(t, rep.Payments, len(crashPoints))
	assert.Zero(t, rep.Unsettled())
	for ref, p := range got {
		in, err := w.store.GetIntent(context.Background(), ref)
		require.NoError(t, err)
		assert.Equal(t, p.want, in.State, "%s: %s %s", p.name, in.ChannelCode, in.ChannelMsg)
		o, err := w.db.GetOrder(context.Background(), in.OrderNo)
		require.NoError(t, err)
		if p.want == payment.IntentPaid {
			assert.Equal(t, app.OrderPaid, o.Status, "%s: the paid order is kept", p.name)
		} else {
			assert.Equal(t, app.OrderOpen, o.Status, p.name)
			assert.Equal(t, app.TenderFailed, o.Tenders[0].State, "%s: nothing taken", p.name)
		}
	}
	checkLedger(t, ledger, w.store, w.db)
}

// crashSignal writes the point reached to the parent and blocks forever.
func crashSignal(point, ref string) {
	f := os.NewFile(3, "crash-pipe")
	fmt.Fprintf(f, "%s %s\n", point, ref)
	f.Sync()
	time.Sleep(time.Hour)
}

type crashWrap struct {
	app.PaymentChannel
	point string
}

func (c crashWrap) Pay(ctx context.Context, r app.PayRequest) (app.ChannelResult, error) {
	switch c.point {
	case "before-request":
		crashSignal(c.point, r.OutTradeNo)
	case "request-sent", "request-sent-userpaying", "request-sent-user-cancels":
		// Tell the parent the number; it kills once the sandbox has the order.
		f := os.NewFile(3, "crash-pipe")
		fmt.Fprintf(f, "%s %s\n", c.point, r.OutTradeNo)
	}
	res, err := c.PaymentChannel.Pay(ctx, r)
	if c.point == "answer-arrived" {
		crashSignal(c.point, r.OutTradeNo)
	}
	if strings.HasPrefix(c.point, "request-sent") {
		time.Sleep(time.Hour) // the answer must not be recorded before the kill
	}
	return res, err
}

// TestCrashChild is the child's side; it runs only under TestCrashRecovery.
func TestCrashChild(t *testing.T) {
	if os.Getenv(crashEnv) == "" {
		t.Skip("runs as a child of TestCrashRecovery")
	}
	point := os.Getenv("CRASH_POINT")
	base, _ := strconv.ParseInt(os.Getenv("CRASH_BASE"), 10, 64)
	start, _ := strconv.ParseInt(os.Getenv("CRASH_START"), 10, 64)
	clock := paytest.NewFastClockAt(time.Unix(0, base), time.Unix(0, start), speedup)
	testOptions = func(o *Options) {
		o.Clock = clock
		o.HTTP = channel.HTTPSettings{Timeout: 10 * time.Second}
		o.Wrap = func(c app.PaymentChannel) app.PaymentChannel { return crashWrap{c, point} }
	}
	testEvents = func(e payment.Event) {
		if point == "intent-written" && e.Step == payment.StepCreated {
			crashSignal(point, e.Ref)
		}
	}
	var out lockedBuffer
	rc := run([]string{"pay", "--data-dir", os.Getenv("CRASH_DATA"), "--code", os.Getenv("CRASH_CODE"), "--amount", "8.88"}, &out, os.Stderr)
	t.Fatalf("the child finished (exit %d) instead of being killed at %s:\n%s", rc, point, out.String())
}
