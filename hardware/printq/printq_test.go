package printq_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/hardware"
	"cashier/hardware/devicemsg"
	"cashier/hardware/escpos"
	"cashier/hardware/printer"
	"cashier/hardware/printq"
	"cashier/hardware/ptytest"
	"cashier/hardware/receipt"
	"cashier/hardware/sim"
	"cashier/hardware/transport"
	"cashier/localdb"
)

const orderNo = "P0120260116093045123456"

func openDB(t testing.TB, path string) *localdb.DB {
	db, err := localdb.Open(path)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return db
}

func newQueue(t testing.TB, store printq.Store, opt printq.Options) *printq.Queue {
	q := printq.New(store, app.SystemClock{}, opt)
	t.Cleanup(q.Stop)
	return q
}

func saleJob(t testing.TB) []byte {
	job, err := receipt.SaleReceipt(receipt.Header{Name: "好邻居便利店", Footer: "谢谢惠顾"},
		receipt.Sale{OrderNo: orderNo, Time: time.Date(2026, 1, 16, 9, 30, 45, 0, time.UTC), Cashier: "张三",
			Lines: []receipt.Line{{Name: "可口可乐 330ml", Qty: 2, UnitPrice: 350, Amount: 700}},
			Total: 700, Payable: 700, Payments: []receipt.Payment{{Method: "微信支付", Amount: 700}},
			QR: "https://pos.example.cn/o/" + orderNo}, receipt.Options{Paper: escpos.Paper80})
	require.NoError(t, err)
	return job
}

func waitState(t *testing.T, q *printq.Queue, id int64, want printq.State) printq.Job {
	t.Helper()
	var j printq.Job
	require.Eventually(t, func() bool {
		var err error
		j, err = q.Get(context.Background(), id)
		return err == nil && j.State == want
	}, 5*time.Second, 2*time.Millisecond, "job %d never %s (last: %+v)", id, want, j)
	return j
}

// fakeDev is an always-ready printer that records what it is sent and can
// be told to fail sends or to hold jobs.
type fakeDev struct {
	mu      sync.Mutex
	sent    [][]byte
	fails   int
	failErr error         // what a failed send returns (default: the port went away)
	hold    chan struct{} // WaitReady blocks until closed, when not nil
}

func (d *fakeDev) WaitReady(ctx context.Context, onWait func(hardware.DeviceState, error)) error {
	d.mu.Lock()
	hold := d.hold
	d.mu.Unlock()
	if hold != nil {
		onWait(hardware.StatePaperOut, nil)
		select {
		case <-hold:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

func (d *fakeDev) Send(ctx context.Context, job []byte) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.fails > 0 {
		d.fails--
		if d.failErr != nil {
			return d.failErr
		}
		return &printer.SendError{Written: 10, Err: hardware.ErrPortClosed}
	}
	d.sent = append(d.sent, job)
	return nil
}

func (d *fakeDev) Sent() [][]byte {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([][]byte(nil), d.sent...)
}

func TestQueue_PrintsInOrderOnce(t *testing.T) {
	db := openDB(t, filepath.Join(t.TempDir(), "pos.db"))
	q := newQueue(t, db.PrintJobs(), printq.Options{})
	dev := &fakeDev{}
	q.AddPrinter("receipt", dev)
	require.NoError(t, q.Start(context.Background()))
	ctx := context.Background()
	var ids []int64
	for _, p := range []string{"one", "two", "three"} {
		id, err := q.Enqueue(ctx, "receipt", printq.KindSale, "ref-"+p, []byte(p))
		require.NoError(t, err)
		ids = append(ids, id)
	}
	for _, id := range ids {
		j := waitState(t, q, id, printq.Printed)
		assert.Equal(t, 1, j.Attempts)
		assert.False(t, j.PrintedAt.IsZero())
		assert.Empty(t, j.LastError)
	}
	assert.Equal(t, [][]byte{[]byte("one"), []byte("two"), []byte("three")}, dev.Sent())

	list, err := q.List(ctx, printq.Filter{Printer: "receipt", States: []printq.State{printq.Printed}})
	require.NoError(t, err)
	require.Len(t, list, 3)
	assert.Equal(t, ids[2], list[0].ID, "newest first")
	assert.Nil(t, list[0].Payload, "List leaves payloads out")
	list, err = q.List(ctx, printq.Filter{Ref: "ref-two"})
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, printq.KindSale, list[0].Kind)
}

func TestQueue_BadInput(t *testing.T) {
	db := openDB(t, filepath.Join(t.TempDir(), "pos.db"))
	q := newQueue(t, db.PrintJobs(), printq.Options{})
	_, err := q.Enqueue(context.Background(), "receipt", printq.KindSale, "", nil)
	assert.ErrorIs(t, err, printq.ErrEmpty)
	_, err = q.Enqueue(context.Background(), "", printq.KindSale, "", []byte{1})
	assert.ErrorIs(t, err, printq.ErrNoPrint)
	_, err = q.Get(context.Background(), 999)
	assert.ErrorIs(t, err, printq.ErrNotFound)
	_, err = q.Reprint(context.Background(), 999)
	assert.ErrorIs(t, err, printq.ErrNotFound)
	assert.ErrorIs(t, q.Cancel(context.Background(), 999), printq.ErrNotFound)
}

func TestQueue_DurableBeforeSendAndWaitsWithReason(t *testing.T) {
	db := openDB(t, filepath.Join(t.TempDir(), "pos.db"))
	q := newQueue(t, db.PrintJobs(), printq.Options{})
	dev := &fakeDev{hold: make(chan struct{})}
	q.AddPrinter("receipt", dev)
	require.NoError(t, q.Start(context.Background()))
	events := make(chan printq.Job, 16)
	q.Subscribe(func(j printq.Job) { events <- j })

	id, err := q.Enqueue(context.Background(), "receipt", printq.KindSale, orderNo, []byte("job"))
	require.NoError(t, err)
	assert.Equal(t, printq.Queued, (<-events).State, "stored as queued before anything is sent")
	// The job then says why it waits (a busy machine may show other
	// queued events first).
	deadline := time.After(30 * time.Second)
	for waiting := false; !waiting; {
		select {
		case j := <-events:
			require.Equal(t, printq.Queued, j.State)
			waiting = j.LastError == string(hardware.StatePaperOut)
		case <-deadline:
			t.Fatal("the job never said why it waits")
		}
	}
	assert.Empty(t, dev.Sent())

	// cancelled while waiting: never sent
	require.NoError(t, q.Cancel(context.Background(), id))
	close(dev.hold)
	id2, err := q.Enqueue(context.Background(), "receipt", printq.KindSale, "next", []byte("job2"))
	require.NoError(t, err)
	waitState(t, q, id2, printq.Printed)
	assert.Equal(t, [][]byte{[]byte("job2")}, dev.Sent())
	assert.Equal(t, printq.Cancelled, waitState(t, q, id, printq.Cancelled).State)
	assert.ErrorIs(t, q.Cancel(context.Background(), id2), printq.ErrConflict, "a printed job cannot be cancelled")
}

func TestQueue_ReplacingAPrinterHandsOverItsJob(t *testing.T) {
	db := openDB(t, filepath.Join(t.TempDir(), "pos.db"))
	q := newQueue(t, db.PrintJobs(), printq.Options{})
	old := &fakeDev{hold: make(chan struct{})} // out of paper
	q.AddPrinter("receipt", old)
	require.NoError(t, q.Start(context.Background()))
	id, err := q.Enqueue(context.Background(), "receipt", printq.KindSale, "x", []byte("x"))
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		j, _ := q.Get(context.Background(), id)
		return j.LastError != ""
	}, 5*time.Second, time.Millisecond)

	// settings changed: another printer under the same name
	repl := &fakeDev{}
	q.AddPrinter("receipt", repl)
	waitState(t, q, id, printq.Printed)
	close(old.hold)
	time.Sleep(20 * time.Millisecond)
	assert.Empty(t, old.Sent(), "the detached printer's worker stopped")
	assert.Equal(t, [][]byte{[]byte("x")}, repl.Sent())
}

func TestQueue_FailsAfterMaxAttemptsAndMovesOn(t *testing.T) {
	db := openDB(t, filepath.Join(t.TempDir(), "pos.db"))
	q := newQueue(t, db.PrintJobs(), printq.Options{MaxAttempts: 3})
	dev := &fakeDev{fails: 3}
	q.AddPrinter("receipt", dev)
	require.NoError(t, q.Start(context.Background()))
	ctx := context.Background()
	bad, err := q.Enqueue(ctx, "receipt", printq.KindSale, "bad", []byte("bad"))
	require.NoError(t, err)
	good, err := q.Enqueue(ctx, "receipt", printq.KindSale, "good", []byte("good"))
	require.NoError(t, err)
	j := waitState(t, q, bad, printq.Failed)
	assert.Equal(t, 3, j.Attempts)
	assert.Equal(t, printq.MsgGaveUp, j.LastError)
	waitState(t, q, good, printq.Printed)

	require.NoError(t, q.Retry(ctx, bad))
	j = waitState(t, q, bad, printq.Printed)
	assert.Equal(t, 4, j.Attempts)
	assert.Equal(t, [][]byte{[]byte("good"), []byte("bad")}, dev.Sent())
}

// A send error no message names is recorded in the driver's words (the
// key device.failed could not carry them), and every failed send is
// logged with its error, also the last one, whose LastError is only
// MsgGaveUp.
func TestQueue_UnnamedSendErrorKeepsItsWordsAndIsLogged(t *testing.T) {
	db := openDB(t, filepath.Join(t.TempDir(), "pos.db"))
	var logs syncBuf
	store := &recordingStore{Store: db.PrintJobs()}
	q := newQueue(t, store, printq.Options{MaxAttempts: 2, Reason: devicemsg.Code,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	odd := errors.New("打印机返回未知状态 / the printer sent an unknown status")
	q.AddPrinter("receipt", &fakeDev{fails: 2, failErr: odd})
	require.NoError(t, q.Start(context.Background()))
	id, err := q.Enqueue(context.Background(), "receipt", printq.KindSale, orderNo, []byte("job"))
	require.NoError(t, err)

	j := waitState(t, q, id, printq.Failed)
	require.Equal(t, printq.MsgGaveUp, j.LastError)
	require.Equal(t, []string{"printing:", "queued:" + odd.Error(), "printing:", "failed:" + printq.MsgGaveUp}, store.Transitions())
	out := logs.String()
	require.Equal(t, 2, strings.Count(out, "the printer sent an unknown status"), out)
	require.Contains(t, out, "level=ERROR")
	require.Contains(t, out, "attempt=2")
}

// recordingStore notes every state change and the LastError it sets.
type recordingStore struct {
	printq.Store
	mu  sync.Mutex
	log []string
}

func (s *recordingStore) Transition(ctx context.Context, id int64, from []printq.State, to printq.State, lastErr string, at time.Time) error {
	err := s.Store.Transition(ctx, id, from, to, lastErr, at)
	if err == nil {
		s.mu.Lock()
		s.log = append(s.log, string(to)+":"+lastErr)
		s.mu.Unlock()
	}
	return err
}

func (s *recordingStore) Transitions() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.log...)
}

// syncBuf is a log sink the queue's worker writes while the test reads.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestQueue_SurvivesRestartAndInterruptedJobIsResent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pos.db")
	db, err := localdb.Open(path)
	require.NoError(t, err)
	store := db.PrintJobs()
	ctx := context.Background()
	// first run: no printer attached; one job was mid-send when it stopped
	q := printq.New(store, app.SystemClock{}, printq.Options{})
	require.NoError(t, q.Start(ctx))
	waiting, err := q.Enqueue(ctx, "receipt", printq.KindSale, "waiting", []byte("waiting"))
	require.NoError(t, err)
	sending, err := q.Enqueue(ctx, "receipt", printq.KindSale, "sending", []byte("sending"))
	require.NoError(t, err)
	require.NoError(t, store.Transition(ctx, sending, []printq.State{printq.Queued}, printq.Printing, "", time.Now()))
	q.Stop()
	require.NoError(t, db.Close())

	// second run
	db = openDB(t, path)
	q = newQueue(t, db.PrintJobs(), printq.Options{})
	dev := &fakeDev{}
	q.AddPrinter("receipt", dev)
	require.NoError(t, q.Start(ctx))
	waitState(t, q, waiting, printq.Printed)
	j := waitState(t, q, sending, printq.Printed)
	assert.Equal(t, 2, j.Attempts)
	assert.Equal(t, [][]byte{[]byte("waiting"), []byte("sending")}, dev.Sent())
}

func TestQueue_Reprint(t *testing.T) {
	db := openDB(t, filepath.Join(t.TempDir(), "pos.db"))
	q := newQueue(t, db.PrintJobs(), printq.Options{})
	emu := sim.NewPrinterEmulator(sim.PrinterOptions{})
	q.AddPrinter("receipt", printer.New(printer.Config{Name: "receipt", Open: emu.Opener()}))
	require.NoError(t, q.Start(context.Background()))
	ctx := context.Background()
	id, err := q.Enqueue(ctx, "receipt", printq.KindSale, orderNo, saleJob(t))
	require.NoError(t, err)
	waitState(t, q, id, printq.Printed)
	rid, err := q.Reprint(ctx, id)
	require.NoError(t, err)
	j := waitState(t, q, rid, printq.Printed)
	assert.Equal(t, id, j.ReprintOf)
	assert.Equal(t, printq.KindReprint, j.Kind)
	assert.Equal(t, orderNo, j.Ref)
	rs := emu.Receipts()
	require.Len(t, rs, 2)
	assert.NotContains(t, rs[0].Text, "重印")
	assert.True(t, strings.HasPrefix(rs[1].Text, "** 重印 "), rs[1].Text)
	assert.Equal(t, []string{orderNo}, rs[1].Barcodes)
}

// ---- with a real printer on a pseudo-terminal ----

type ptyPrinter struct {
	emu  *sim.PrinterEmulator
	path atomic.Value
	dev  *printer.Printer
}

func newPTYPrinter(t *testing.T) *ptyPrinter {
	pp := &ptyPrinter{emu: sim.NewPrinterEmulator(sim.PrinterOptions{})}
	pp.dev = printer.New(printer.Config{
		Name: "receipt",
		Open: func() (hardware.Port, error) {
			return transport.Open(transport.Spec{Kind: transport.KindSerial, Path: pp.path.Load().(string), Settings: transport.Settings{Baud: 115200}})
		},
		Backoff:       transport.ExponentialBackoff{Initial: 10 * time.Millisecond, Max: 50 * time.Millisecond},
		StatusTimeout: 500 * time.Millisecond, PollInterval: 10 * time.Millisecond,
	})
	t.Cleanup(func() { pp.dev.Close() })
	return pp
}

func (pp *ptyPrinter) plug(pair *ptytest.Pair, far io.ReadWriter) {
	pp.path.Store(pair.Path)
	go pp.emu.Serve(far)
}

func (pp *ptyPrinter) complete() []sim.PrinterReceipt {
	var out []sim.PrinterReceipt
	for _, r := range pp.emu.Receipts() {
		if r.Cut {
			out = append(out, r)
		}
	}
	return out
}

func TestQueue_PaperOutJobWaitsThenPrints(t *testing.T) {
	db := openDB(t, filepath.Join(t.TempDir(), "pos.db"))
	q := newQueue(t, db.PrintJobs(), printq.Options{Reason: devicemsg.Code})
	pp := newPTYPrinter(t)
	pair := ptytest.New(t)
	pp.plug(pair, pair.Master)
	pp.emu.SetPaperOut(true)
	q.AddPrinter("receipt", pp.dev)
	require.NoError(t, q.Start(context.Background()))

	id, err := q.Enqueue(context.Background(), "receipt", printq.KindSale, orderNo, saleJob(t))
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		j, _ := q.Get(context.Background(), id)
		return j.LastError == "devices.state.paperout"
	}, 5*time.Second, 2*time.Millisecond)
	j, _ := q.Get(context.Background(), id)
	assert.Equal(t, printq.Queued, j.State, "waits as queued, not printing")
	assert.Zero(t, j.Attempts)
	assert.Equal(t, hardware.StatePaperOut, pp.dev.State().State)
	assert.Empty(t, pp.emu.Receipts())
	assert.Zero(t, pp.emu.Stats().Dropped, "nothing was sent into the empty printer")

	pp.emu.SetPaperOut(false)
	j = waitState(t, q, id, printq.Printed)
	assert.Equal(t, 1, j.Attempts)
	rs := pp.complete()
	require.Len(t, rs, 1)
	assert.Equal(t, []string{orderNo}, rs[0].Barcodes)
}

// unplugAfter lets limit bytes through to the printer, then pulls the cable.
type unplugAfter struct {
	pair  *ptytest.Pair
	limit int
	seen  int
}

func (u *unplugAfter) Read(b []byte) (int, error) {
	n, err := u.pair.Master.Read(b)
	if u.seen+n >= u.limit {
		n = u.limit - u.seen
		u.pair.Unplug()
		err = io.ErrClosedPipe
	}
	u.seen += n
	return n, err
}
func (u *unplugAfter) Write(b []byte) (int, error) { return u.pair.Master.Write(b) }

func TestQueue_UnplugMidJobStaysQueuedAndPrintsOnceWhenBack(t *testing.T) {
	db := openDB(t, filepath.Join(t.TempDir(), "pos.db"))
	q := newQueue(t, db.PrintJobs(), printq.Options{})
	pp := newPTYPrinter(t)
	pair := ptytest.New(t)
	pp.plug(pair, &unplugAfter{pair: pair, limit: 9 + 300}) // status check + 300 bytes of the job
	q.AddPrinter("receipt", pp.dev)
	require.NoError(t, q.Start(context.Background()))

	job := saleJob(t)
	id, err := q.Enqueue(context.Background(), "receipt", printq.KindSale, orderNo, job)
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		j, _ := q.Get(context.Background(), id)
		return j.Attempts == 1 && j.State == printq.Queued && j.LastError != ""
	}, 5*time.Second, 2*time.Millisecond)
	j, _ := q.Get(context.Background(), id)
	t.Logf("while unplugged: %s / %s", j.State, j.LastError)
	assert.Empty(t, pp.complete(), "no whole receipt came out")
	require.Eventually(t, func() bool { return pp.dev.State().State == hardware.StateDisconnected }, 5*time.Second, time.Millisecond)

	// plugged back in, under another name
	pair2 := ptytest.New(t)
	pp.plug(pair2, pair2.Master)
	j = waitState(t, q, id, printq.Printed)
	assert.Equal(t, 2, j.Attempts)
	time.Sleep(50 * time.Millisecond) // would a second copy follow?
	rs := pp.complete()
	require.Len(t, rs, 1, "printed exactly once")
	assert.Equal(t, []string{orderNo}, rs[0].Barcodes)
	assert.Contains(t, rs[0].Text, "好邻居便利店")
	all := pp.emu.Receipts()
	require.Len(t, all, 2)
	assert.False(t, all[0].Cut, "the torn-off part of the first attempt")
}

func TestQueue_MissingPortJobWaitsUntilItAppears(t *testing.T) {
	db := openDB(t, filepath.Join(t.TempDir(), "pos.db"))
	q := newQueue(t, db.PrintJobs(), printq.Options{Reason: devicemsg.Code})
	pp := newPTYPrinter(t)
	pp.path.Store("/dev/pts/does-not-exist")
	q.AddPrinter("receipt", pp.dev)
	require.NoError(t, q.Start(context.Background()))
	id, err := q.Enqueue(context.Background(), "receipt", printq.KindSale, orderNo, saleJob(t))
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		j, _ := q.Get(context.Background(), id)
		return j.LastError == "device.not_found"
	}, 5*time.Second, 2*time.Millisecond)
	pair := ptytest.New(t)
	pp.plug(pair, pair.Master)
	waitState(t, q, id, printq.Printed)
	assert.Len(t, pp.complete(), 1)
}

// firstByte is the far end for the latency benchmark: it signals the first
// byte of each receipt (ESC @), answering status requests meanwhile.
type firstByte struct {
	master io.ReadWriter
	emu    *sim.PrinterEmulator
	seen   chan time.Time
}

func (f *firstByte) Read(b []byte) (int, error) {
	n, err := f.master.Read(b)
	if i := bytes.IndexByte(b[:n], escpos.ESC); i >= 0 && i+1 < n && b[i+1] == '@' {
		select {
		case f.seen <- time.Now():
		default:
		}
	}
	return n, err
}
func (f *firstByte) Write(b []byte) (int, error) { return f.master.Write(b) }

// BenchmarkPaidToFirstByte measures from Enqueue (the moment the sale is
// paid and its receipt is queued: durable insert) to the receipt's first
// byte arriving at the far end of a pseudo-terminal, through the worker,
// the status check and the 'printing' mark.
func BenchmarkPaidToFirstByte(b *testing.B) {
	db := openDB(b, filepath.Join(b.TempDir(), "pos.db"))
	q := newQueue(b, db.PrintJobs(), printq.Options{})
	emu := sim.NewPrinterEmulator(sim.PrinterOptions{Keep: 2})
	pair, err := ptytest.Open()
	require.NoError(b, err)
	b.Cleanup(pair.Unplug)
	far := &firstByte{master: pair.Master, emu: emu, seen: make(chan time.Time, 1)}
	go emu.Serve(far)
	dev := printer.New(printer.Config{Name: "receipt", Open: func() (hardware.Port, error) {
		return transport.Open(transport.Spec{Kind: transport.KindSerial, Path: pair.Path, Settings: transport.Settings{Baud: 115200}})
	}})
	b.Cleanup(func() { dev.Close() })
	q.AddPrinter("receipt", dev)
	require.NoError(b, q.Start(context.Background()))
	done := make(chan int64, 1)
	q.Subscribe(func(j printq.Job) {
		if j.State == printq.Printed {
			done <- j.ID
		}
	})
	job := saleJob(b)
	ctx := context.Background()
	var total time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		id, err := q.Enqueue(ctx, "receipt", printq.KindSale, orderNo, job)
		if err != nil {
			b.Fatal(err)
		}
		total += (<-far.seen).Sub(start)
		b.StopTimer()
		for got := <-done; got != id; got = <-done {
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(total.Microseconds())/float64(b.N)/1000, "ms/paid-to-first-byte")
}
