package printer_test

import (
	"context"
	"errors"
	"image"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/oned"
	gzqr "github.com/makiuchi-d/gozxing/qrcode"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.bug.st/serial"

	"cashier/hardware"
	"cashier/hardware/escpos"
	"cashier/hardware/printer"
	"cashier/hardware/ptytest"
	"cashier/hardware/receipt"
	"cashier/hardware/sim"
	"cashier/hardware/transport"
)

const orderNo = "P0120260116093045123456"
const lookupURL = "https://pos.example.cn/o/P0120260116093045123456"

func saleJob(t testing.TB) []byte {
	job, err := receipt.SaleReceipt(
		receipt.Header{Name: "好邻居便利店", Address: "深圳市南山区科技园路1号", Footer: "谢谢惠顾"},
		receipt.Sale{
			OrderNo: orderNo, Time: time.Date(2026, 1, 16, 9, 30, 45, 0, time.UTC), Cashier: "张三",
			Lines: []receipt.Line{{Name: "可口可乐 330ml", Qty: 2, UnitPrice: 350, Amount: 700}},
			Total: 700, Payable: 700, Payments: []receipt.Payment{{Method: "现金", Amount: 1000}}, Change: 300,
			QR: lookupURL, QRCaption: "扫码查看电子小票",
		}, receipt.Options{Paper: escpos.Paper80})
	require.NoError(t, err)
	return job
}

func decode(t *testing.T, img image.Image, r gozxing.Reader) string {
	t.Helper()
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	require.NoError(t, err)
	res, err := r.Decode(bmp, map[gozxing.DecodeHintType]interface{}{gozxing.DecodeHintType_TRY_HARDER: true})
	require.NoError(t, err)
	return res.GetText()
}

// rig is an emulated printer on the far end of a real pseudo-terminal,
// reached through hardware/transport like a real serial printer.
type rig struct {
	emu  *sim.PrinterEmulator
	pair *ptytest.Pair
	path atomic.Value
}

func newRig(t *testing.T) *rig {
	r := &rig{emu: sim.NewPrinterEmulator(sim.PrinterOptions{Paper: escpos.Paper80})}
	r.plug(t, ptytest.New(t), r.emu.Serve)
	return r
}

func (r *rig) plug(t *testing.T, pair *ptytest.Pair, serve func(io.ReadWriter) error) {
	r.pair = pair
	r.path.Store(pair.Path)
	go serve(pair.Master)
}

func (r *rig) open() (hardware.Port, error) {
	return transport.Open(transport.Spec{Kind: transport.KindSerial, Path: r.path.Load().(string), Settings: transport.Settings{Baud: 115200}})
}

func (r *rig) printer(t *testing.T) *printer.Printer {
	p := printer.New(printer.Config{
		Name: "receipt", Open: r.open,
		Backoff:       transport.ExponentialBackoff{Initial: 10 * time.Millisecond, Max: 50 * time.Millisecond},
		StatusTimeout: 500 * time.Millisecond, PollInterval: 20 * time.Millisecond,
	})
	t.Cleanup(func() { p.Close() })
	return p
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestPrinter_SaleReceiptOverPTYDecodes(t *testing.T) {
	r := newRig(t)
	p := r.printer(t)
	require.NoError(t, p.Print(ctxT(t), saleJob(t)))
	assert.Equal(t, hardware.StateReady, p.State().State)

	rs := r.emu.Receipts()
	require.Len(t, rs, 1)
	got := rs[0]
	assert.True(t, got.Cut)
	assert.Equal(t, orderNo, decode(t, got.Image, oned.NewCode128Reader()), "CODE128 on the rendered image")
	assert.Equal(t, lookupURL, decode(t, got.Image, gzqr.NewQRCodeReader()), "QR on the rendered image")
	for _, want := range []string{"好邻居便利店", "可口可乐 330ml", "现金", "找零", "谢谢惠顾"} {
		assert.Contains(t, got.Text, want)
	}
}

func TestPrinter_PaperOutWaitsThenPrints(t *testing.T) {
	r := newRig(t)
	r.emu.SetPaperOut(true)
	p := r.printer(t)
	states := make(chan printer.Event, 32)
	p.Subscribe(func(e printer.Event) { states <- e })

	waits := make(chan hardware.DeviceState, 8)
	done := make(chan error, 1)
	go func() {
		ctx := ctxT(t)
		if err := p.WaitReady(ctx, func(st hardware.DeviceState, why error) { waits <- st }); err != nil {
			done <- err
			return
		}
		done <- p.Send(ctx, saleJob(t))
	}()
	assert.Equal(t, hardware.StatePaperOut, <-waits)
	assert.Equal(t, hardware.StatePaperOut, p.State().State)
	// still waiting, nothing but status requests sent
	time.Sleep(60 * time.Millisecond)
	assert.Empty(t, r.emu.Receipts())
	assert.Zero(t, r.emu.Stats().Dropped)
	select {
	case err := <-done:
		t.Fatalf("job went out with no paper: %v", err)
	default:
	}

	r.emu.SetPaperOut(false)
	require.NoError(t, <-done)
	assert.Len(t, r.emu.Receipts(), 1)
	seen := map[hardware.DeviceState]bool{}
	for len(states) > 0 {
		seen[(<-states).State] = true
	}
	assert.True(t, seen[hardware.StatePaperOut])
	assert.True(t, seen[hardware.StateReady])
}

func TestPrinter_CoverOpenAndOfflineStates(t *testing.T) {
	r := newRig(t)
	p := r.printer(t)
	ctx := ctxT(t)
	r.emu.SetCoverOpen(true)
	st, err := p.Check(ctx)
	require.NoError(t, err)
	assert.False(t, st.CanPrint())
	assert.Equal(t, hardware.StateCoverOpen, p.State().State)
	assert.Contains(t, p.State().Message, "盖")
	r.emu.SetCoverOpen(false)

	r.emu.SetOffline(true)
	_, err = p.Check(ctx)
	require.NoError(t, err)
	assert.Equal(t, hardware.StateOffline, p.State().State)
	r.emu.SetOffline(false)

	r.emu.SetPaperNearEnd(true)
	st, err = p.Check(ctx)
	require.NoError(t, err)
	assert.True(t, st.CanPrint(), "near end still prints")
	assert.Equal(t, hardware.StatePaperNearEnd, p.State().State)
}

func TestPrinter_SilentPrinterIsNotAnswering(t *testing.T) {
	r := newRig(t)
	r.emu.SetSilent(true)
	p := printer.New(printer.Config{Name: "receipt", Open: r.open, StatusTimeout: 50 * time.Millisecond,
		Backoff: transport.ExponentialBackoff{Initial: 10 * time.Millisecond, Max: 20 * time.Millisecond}})
	defer p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	var whys []error
	err := p.WaitReady(ctx, func(_ hardware.DeviceState, why error) { whys = append(whys, why) })
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Equal(t, hardware.StateOffline, p.State().State)
	require.NotEmpty(t, whys)
	assert.ErrorIs(t, whys[0], printer.ErrNoReply)
	assert.ErrorIs(t, p.State().Err, printer.ErrNoReply)
	assert.Empty(t, r.emu.Receipts())
}

// cutAfter passes limit bytes to the printer, then pulls the cable.
type cutAfter struct {
	pair  *ptytest.Pair
	limit int
	seen  int
}

func (c *cutAfter) Read(b []byte) (int, error) {
	n, err := c.pair.Master.Read(b)
	if c.seen+n >= c.limit {
		n = c.limit - c.seen
		c.pair.Unplug()
		err = io.ErrClosedPipe
	}
	c.seen += n
	return n, err
}
func (c *cutAfter) Write(b []byte) (int, error) { return c.pair.Master.Write(b) }

func TestPrinter_UnplugMidJobThenResend(t *testing.T) {
	emu := sim.NewPrinterEmulator(sim.PrinterOptions{Paper: escpos.Paper80})
	r := &rig{emu: emu}
	pair := ptytest.New(t)
	// the status check (9 bytes) and the first 200 bytes of the job get through
	cut := &cutAfter{pair: pair, limit: 9 + 200}
	r.plug(t, pair, func(io.ReadWriter) error { return emu.Serve(cut) })
	p := r.printer(t)
	ctx := ctxT(t)
	job := saleJob(t)

	require.NoError(t, p.WaitReady(ctx, nil))
	err := p.Send(ctx, job)
	var se *printer.SendError
	require.ErrorAs(t, err, &se, "an unplugged printer never confirms the job")
	assert.Equal(t, hardware.StateDisconnected, p.State().State)
	// the far end notices the pulled cable on its own goroutine
	require.Eventually(t, func() bool { return len(emu.Receipts()) == 1 }, 5*time.Second, time.Millisecond)
	rs := emu.Receipts()
	assert.False(t, rs[0].Cut, "the half-received receipt came out uncut")
	assert.Empty(t, rs[0].Barcodes)

	// the printer comes back under another name
	r.plug(t, ptytest.New(t), emu.Serve)
	require.NoError(t, p.Print(ctx, job))
	rs = emu.Receipts()
	require.Len(t, rs, 2)
	assert.True(t, rs[1].Cut)
	assert.Equal(t, []string{orderNo}, rs[1].Barcodes)
}

func TestPrinter_OpenErrorsAreClear(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want string
	}{
		{"missing", syscall.ENOENT, "找不到设备"},
		{"busy", syscall.EBUSY, "占用"},
		{"permission", syscall.EACCES, "没有权限"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			op := &transport.Opener{OpenSerial: func(string, *serial.Mode) (serial.Port, error) { return nil, c.err }}
			p := printer.New(printer.Config{Name: "receipt", Open: func() (hardware.Port, error) {
				return op.Open(transport.Spec{Kind: transport.KindSerial, Path: "/dev/ttyUSB9"})
			}})
			defer p.Close()
			_, err := p.Check(context.Background())
			require.Error(t, err)
			ev := p.State()
			assert.Equal(t, hardware.StateDisconnected, ev.State)
			assert.Contains(t, ev.Message, c.want)
			assert.Contains(t, ev.Message, "/dev/ttyUSB9")
		})
	}
	// and a real missing path through the real opener
	p := printer.New(printer.Config{Open: func() (hardware.Port, error) { return transport.OpenString("/dev/definitely-not-a-printer") }})
	defer p.Close()
	_, err := p.Check(context.Background())
	assert.ErrorIs(t, err, transport.ErrNotFound)
	assert.Contains(t, p.State().Message, "找不到设备")
}

// scripted is a port whose far end answers with garbage around each reply.
type scripted struct {
	mu      sync.Mutex
	out     []byte
	written []byte
	writes  []int
	status  escpos.Status
	closed  bool
}

func (s *scripted) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, hardware.ErrPortClosed
	}
	s.writes = append(s.writes, len(b))
	s.written = append(s.written, b...)
	if len(b) == 3 && b[0] == 0x10 && b[1] == 0x04 {
		s.out = append(s.out, 0x00, 0xFF, 0x41, s.status.Reply(b[2]), 0x80)
	}
	return len(b), nil
}

func (s *scripted) Read(b []byte) (int, error) {
	for i := 0; i < 20; i++ {
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return 0, hardware.ErrPortClosed
		}
		if len(s.out) > 0 {
			n := copy(b, s.out)
			s.out = s.out[n:]
			s.mu.Unlock()
			return n, nil
		}
		s.mu.Unlock()
		time.Sleep(time.Millisecond)
	}
	return 0, nil
}
func (s *scripted) SetReadTimeout(time.Duration) error { return nil }
func (s *scripted) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}

func TestPrinter_GarbledRepliesIgnored(t *testing.T) {
	port := &scripted{status: escpos.Status{PaperNearEnd: true}}
	p := printer.New(printer.Config{Open: func() (hardware.Port, error) { return port, nil }, StatusTimeout: time.Second})
	defer p.Close()
	st, err := p.Check(context.Background())
	require.NoError(t, err)
	assert.Equal(t, escpos.Status{PaperNearEnd: true}, st)
	assert.Equal(t, hardware.StatePaperNearEnd, p.State().State)
}

func TestPrinter_RasterIsPacedTextIsOneWrite(t *testing.T) {
	logo := image.NewGray(image.Rect(0, 0, 576, 96)) // 72 × 96 = 6912 bytes of raster
	job, err := escpos.New(escpos.Paper80).Line("标题").Image(logo).Line("正文").Cut().Bytes()
	require.NoError(t, err)
	port := &scripted{}
	p := printer.New(printer.Config{Open: func() (hardware.Port, error) { return port, nil }, RasterBytesPerSecond: 1 << 20})
	defer p.Close()
	require.NoError(t, p.Send(context.Background(), job))
	port.mu.Lock()
	defer port.mu.Unlock()
	assert.Equal(t, job, port.written[:len(job)], "bytes unchanged by pacing")
	for _, n := range port.writes {
		assert.LessOrEqual(t, n, 1736, "no write longer than one raster band")
	}
	assert.Greater(t, len(port.writes), 4+3)
}

func TestPrinter_NoStatusPrinterPrintsOnWrite(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "lp0")
	require.NoError(t, err)
	f.Close()
	p := printer.New(printer.Config{NoStatus: true, Open: func() (hardware.Port, error) {
		return transport.Open(transport.Spec{Kind: transport.KindFile, Path: f.Name()})
	}})
	defer p.Close()
	job := saleJob(t)
	require.NoError(t, p.Print(ctxT(t), job))
	got, err := os.ReadFile(f.Name())
	require.NoError(t, err)
	assert.Equal(t, job, got)
}

func TestPrinter_ClosedStopsWaiting(t *testing.T) {
	p := printer.New(printer.Config{Open: func() (hardware.Port, error) { return nil, errors.New("gone") },
		Backoff: transport.ExponentialBackoff{Initial: time.Hour}})
	done := make(chan error)
	go func() { done <- p.WaitReady(context.Background(), nil) }()
	require.Eventually(t, func() bool { return strings.Contains(p.State().Message, "gone") }, time.Second, time.Millisecond)
	p.Close()
	assert.ErrorIs(t, <-done, printer.ErrClosed)
}
