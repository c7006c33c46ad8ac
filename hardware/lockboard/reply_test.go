package lockboard_test

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"cashier/hardware/lockboard"
	"cashier/hardware/ptytest"
	"cashier/hardware/transport"
)

// logBuf collects what the driver logs; the reader goroutine writes it.
type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// device is a hand-written board on the master side of a real
// pseudo-terminal: each step reads one request and writes the replies.
type device struct {
	t    *testing.T
	pair *ptytest.Pair
	errs chan error
}

type step struct {
	want    []byte   // the request the driver must send
	replies [][]byte // written in order
	gap     time.Duration
}

// fakeLine opens the slave side as the app does and starts a controller
// with a logger the test can read.
func fakeLine(t *testing.T, p lockboard.Protocol, opt lockboard.Options) (*device, lockboard.Controller, *logBuf) {
	t.Helper()
	pair := ptytest.New(t)
	port, err := transport.Open(transport.MustParseSpec(pair.Path).WithDefaultBaud(p.DefaultBaud()))
	require.NoError(t, err)
	t.Cleanup(func() { port.Close() })
	logs := &logBuf{}
	opt.Logger = slog.New(slog.NewTextHandler(logs, nil))
	c, err := lockboard.New(p, port, opt)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return &device{t: t, pair: pair, errs: make(chan error, 1)}, c, logs
}

// run plays the steps in the background; wait reports a wrong request.
func (d *device) run(steps ...step) {
	go func() {
		for _, s := range steps {
			got, err := d.pair.ReadFull(len(s.want), 5*time.Second)
			if err != nil {
				d.errs <- err
				return
			}
			if !bytes.Equal(got, s.want) {
				d.errs <- errors.New("request " + hexs(got) + ", want " + hexs(s.want))
				return
			}
			for i, r := range s.replies {
				if i > 0 && s.gap > 0 {
					time.Sleep(s.gap) // the board's pace on the wire, not a wait for a condition
				}
				if _, err := d.pair.Master.Write(r); err != nil {
					d.errs <- err
					return
				}
			}
		}
		d.errs <- nil
	}()
}

func (d *device) wait() {
	d.t.Helper()
	select {
	case err := <-d.errs:
		require.NoError(d.t, err)
	case <-time.After(10 * time.Second):
		d.t.Fatal("the fake board never finished")
	}
}

func hexs(b []byte) string { return fmt.Sprintf("% X", b) }

// A board whose feedback is "closed when locked" answers 8A 01 01 00 8A
// when the lock opened and 8A 01 01 11 9B when it did not; boards wired
// the other way say the opposite. 8A 01 01 11 9B equals the request: on a
// line whose echo the driver does not know yet, it waits for the open's
// timeout (an answer after it would show it was the echo), then asks a
// query; the query comes back without an echo, so 11 was the answer.
func TestXOROpenReplyPolarityOverPty(t *testing.T) {
	openReq := []byte{0x8A, 0x01, 0x01, 0x11, 0x9B}
	query := []byte{0x80, 0x01, 0x01, 0x33, 0xB3}
	for _, c := range []struct {
		name     string
		inverted bool
		reply    []byte
		opened   bool
	}{
		{"normal board opened", false, []byte{0x8A, 0x01, 0x01, 0x00, 0x8A}, true},
		{"normal board did not open", false, []byte{0x8A, 0x01, 0x01, 0x11, 0x9B}, false},
		{"inverted board opened", true, []byte{0x8A, 0x01, 0x01, 0x11, 0x9B}, true},
		{"inverted board did not open", true, []byte{0x8A, 0x01, 0x01, 0x00, 0x8A}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			dev, ctl, _ := fakeLine(t, lockboard.XOR, lockboard.Options{OpenTimeout: 300 * time.Millisecond,
				Boards: map[int]lockboard.BoardConfig{1: {Inverted: c.inverted}}})
			steps := []step{{want: openReq, replies: [][]byte{c.reply}}}
			if bytes.Equal(c.reply, openReq) {
				steps = append(steps, step{want: query, replies: [][]byte{{0x80, 0x01, 0x01, 0x00, 0x80}}})
			}
			dev.run(steps...)
			st, err := ctl.Open(ctx(t), 1, 1)
			dev.wait()
			require.Equal(t, 1, st.Board)
			require.Equal(t, 1, st.Lock)
			require.Equal(t, c.reply[3], st.Raw)
			if c.opened {
				require.NoError(t, err)
				require.True(t, st.Open)
				return
			}
			require.ErrorIs(t, err, lockboard.ErrOpenFailed)
			require.Contains(t, err.Error(), "board 1 lock 1")
			require.False(t, st.Open)
		})
	}
}

// Many RS-485 adapters echo what they send. The echo of an open request,
// 8A 01 01 11 9B, reads like an answer ("did not open" on a normal board,
// "opened" on an inverted one), but it comes first, before the board's
// answer: the driver takes the board's answer, learns that the line
// echoes, and from then on drops the echo of every request at once.
func TestXOREchoedOpen(t *testing.T) {
	openReq := []byte{0x8A, 0x01, 0x01, 0x11, 0x9B}
	sameAsReq := openReq
	other := []byte{0x8A, 0x01, 0x01, 0x00, 0x8A}
	for _, c := range []struct {
		name     string
		inverted bool
		reply    []byte
		opened   bool
	}{
		{"normal board opened", false, other, true},
		{"normal board did not open", false, sameAsReq, false},
		{"inverted board opened", true, sameAsReq, true},
		{"inverted board did not open", true, other, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			const slow = 5 * time.Second // an answer must not wait for it
			dev, ctl, logs := fakeLine(t, lockboard.XOR, lockboard.Options{OpenTimeout: slow,
				Boards: map[int]lockboard.BoardConfig{1: {Inverted: c.inverted}}})
			check := func(st lockboard.LockState, err error) {
				t.Helper()
				require.Equal(t, c.reply[3], st.Raw)
				if c.opened {
					require.NoError(t, err)
					require.True(t, st.Open)
				} else {
					require.ErrorIs(t, err, lockboard.ErrOpenFailed)
					require.False(t, st.Open)
				}
			}
			// A line the driver knows nothing of yet.
			dev.run(step{want: openReq, replies: [][]byte{openReq, c.reply}, gap: 30 * time.Millisecond})
			start := time.Now()
			st, err := ctl.Open(ctx(t), 1, 1)
			dev.wait()
			check(st, err)
			require.Less(t, time.Since(start), slow, "the answer after the echo ends the wait")
			require.Contains(t, logs.String(), "echoes what it sends")

			// Known to echo: the echo is dropped at once.
			dev.run(step{want: openReq, replies: [][]byte{openReq, c.reply}, gap: 30 * time.Millisecond})
			start = time.Now()
			st, err = ctl.Open(ctx(t), 1, 1)
			dev.wait()
			check(st, err)
			require.Less(t, time.Since(start), slow)
		})
	}
}

// The echo of an open request and a board that does not answer: the
// driver does not know the line yet, so it waits for the open's timeout,
// then asks a query; the query's echo shows the line echoes, so the frame
// was the echo and the board did not answer — whatever its polarity.
func TestXOREchoedOpenBoardSilent(t *testing.T) {
	openReq := []byte{0x8A, 0x01, 0x01, 0x11, 0x9B}
	query := []byte{0x80, 0x01, 0x01, 0x33, 0xB3}
	for _, inverted := range []bool{false, true} {
		t.Run(fmt.Sprintf("inverted=%v", inverted), func(t *testing.T) {
			dev, ctl, _ := fakeLine(t, lockboard.XOR, lockboard.Options{Timeout: 200 * time.Millisecond, OpenTimeout: 300 * time.Millisecond,
				Boards: map[int]lockboard.BoardConfig{1: {Inverted: inverted}}})
			dev.run(step{want: openReq, replies: [][]byte{openReq}}, step{want: query, replies: [][]byte{query}})
			st, err := ctl.Open(ctx(t), 1, 1)
			dev.wait()
			require.ErrorIs(t, err, lockboard.ErrNoAnswer)
			require.NotErrorIs(t, err, lockboard.ErrOpenFailed)
			require.Equal(t, lockboard.LockState{}, st, "whether the door opened is unknown")

			// Now known to echo: the echo alone is "no answer".
			dev.run(step{want: openReq, replies: [][]byte{openReq}})
			_, err = ctl.Open(ctx(t), 1, 1)
			dev.wait()
			require.ErrorIs(t, err, lockboard.ErrNoAnswer)
		})
	}
}

// Open-all is acknowledged with the request's own bytes, so on an echoing
// line the echo is dropped and the acknowledgement is the second copy; a
// board that does not answer is not taken as having opened everything. On
// a line the driver does not know yet, a query goes first.
func TestXOREchoedOpenAll(t *testing.T) {
	all := []byte{0x8A, 0x01, 0x00, 0x11, 0x9A}
	query := []byte{0x80, 0x01, 0x01, 0x33, 0xB3}
	qReply := []byte{0x80, 0x01, 0x01, 0x11, 0x91}
	opt := lockboard.Options{Timeout: 200 * time.Millisecond, OpenAllTimeout: 5 * time.Second}

	t.Run("echoing line", func(t *testing.T) {
		dev, ctl, _ := fakeLine(t, lockboard.XOR, opt)
		dev.run(step{want: query, replies: [][]byte{query, qReply}},
			step{want: all, replies: [][]byte{all, all}, gap: 50 * time.Millisecond})
		start := time.Now()
		require.NoError(t, ctl.OpenAll(ctx(t), 1))
		dev.wait()
		require.Less(t, time.Since(start), opt.OpenAllTimeout, "the acknowledgement ends the wait")

		short := opt
		short.OpenAllTimeout = 300 * time.Millisecond
		dev, ctl, _ = fakeLine(t, lockboard.XOR, short)
		dev.run(step{want: query, replies: [][]byte{query}}, step{want: all, replies: [][]byte{all}})
		err := ctl.OpenAll(ctx(t), 1)
		dev.wait()
		require.ErrorIs(t, err, lockboard.ErrNoAnswer, "the echo is not the board's acknowledgement")
	})
	t.Run("line without echo", func(t *testing.T) {
		dev, ctl, _ := fakeLine(t, lockboard.XOR, opt)
		dev.run(step{want: query, replies: [][]byte{qReply}}, step{want: all, replies: [][]byte{all}})
		start := time.Now()
		require.NoError(t, ctl.OpenAll(ctx(t), 1))
		dev.wait()
		require.Less(t, time.Since(start), opt.OpenAllTimeout, "the acknowledgement ends the wait")
	})
}

// A corrupt reply and replies for another board or lock do not answer the
// request: they are logged, and the right reply that follows is used.
func TestXORIgnoresBadChecksumAndOtherBoards(t *testing.T) {
	dev, ctl, logs := fakeLine(t, lockboard.XOR, lockboard.Options{Timeout: 2 * time.Second, OpenTimeout: 2 * time.Second})
	dev.run(step{
		want: []byte{0x8A, 0x01, 0x01, 0x11, 0x9B},
		replies: [][]byte{
			{0x8A, 0x01, 0x01, 0x11, 0x00}, // wrong checksum; would read "not opened"
			{0x8A, 0x02, 0x01, 0x11, 0x98}, // board 2
			{0x8A, 0x01, 0x02, 0x11, 0x98}, // board 1, lock 2
			{0x8A, 0x01, 0x01, 0x00, 0x8A}, // the answer: opened
		},
		gap: 30 * time.Millisecond,
	})
	st, err := ctl.Open(ctx(t), 1, 1)
	dev.wait()
	require.NoError(t, err)
	require.True(t, st.Open)
	out := logs.String()
	require.Contains(t, out, "wrong checksum")
	require.Contains(t, out, "8A 01 01 11 00")
	require.Contains(t, out, "8A 02 01 11 98")
	require.Contains(t, out, "8A 01 02 11 98")

	// A query answered first by an echo of itself, then by the board.
	dev.run(step{
		want: []byte{0x80, 0x01, 0x03, 0x33, 0xB1},
		replies: [][]byte{
			{0x80, 0x01, 0x03, 0x33, 0xB1},
			{0x80, 0x01, 0x03, 0x11, 0x93},
		},
		gap: 30 * time.Millisecond,
	})
	st, err = ctl.State(ctx(t), 1, 3)
	dev.wait()
	require.NoError(t, err)
	require.False(t, st.Open)
	require.Contains(t, logs.String(), "echoes")
}

// When only wrong frames come, the request still waits its whole timeout,
// then says what it saw.
func TestXORIgnoredRepliesThenTimeout(t *testing.T) {
	const timeout = 300 * time.Millisecond
	dev, ctl, logs := fakeLine(t, lockboard.XOR, lockboard.Options{Timeout: timeout, OpenTimeout: timeout})

	dev.run(step{want: []byte{0x8A, 0x01, 0x01, 0x11, 0x9B}, replies: [][]byte{{0x8A, 0x01, 0x01, 0x00, 0x8B}}})
	start := time.Now()
	st, err := ctl.Open(ctx(t), 1, 1)
	dev.wait()
	require.GreaterOrEqual(t, time.Since(start), timeout)
	require.ErrorIs(t, err, lockboard.ErrChecksum)
	require.False(t, st.Open)
	require.Contains(t, logs.String(), "8A 01 01 00 8B")

	dev.run(step{want: []byte{0x8A, 0x01, 0x01, 0x11, 0x9B}, replies: [][]byte{{0x8A, 0x05, 0x01, 0x00, 0x8E}}})
	start = time.Now()
	_, err = ctl.Open(ctx(t), 1, 1)
	dev.wait()
	require.GreaterOrEqual(t, time.Since(start), timeout)
	require.ErrorIs(t, err, lockboard.ErrNoAnswer, "another board's reply is not an answer")
	require.Contains(t, logs.String(), "8A 05 01 00 8E")
}

// The reply printed in Kerong's KR-CU16 specification, and the same
// ignore-and-wait rule for a corrupt frame and another board's reply.
func TestKerongDocumentedReplyOverPty(t *testing.T) {
	dev, ctl, logs := fakeLine(t, lockboard.Kerong, lockboard.Options{Timeout: 2 * time.Second})
	dev.run(step{
		want:    []byte{0x02, 0x00, 0x30, 0x03, 0x35},
		replies: [][]byte{{0x02, 0x00, 0x35, 0x01, 0x00, 0x01, 0x00, 0x03, 0x3C}},
	})
	st, err := ctl.States(ctx(t), 0)
	dev.wait()
	require.NoError(t, err)
	require.Len(t, st, 16)
	require.False(t, st[0].Open, "hook bit 0 set: lock 1 locked")
	for _, s := range st[1:] {
		require.True(t, s.Open, "lock %d", s.Lock)
	}

	dev.run(step{
		want: []byte{0x02, 0x10, 0x30, 0x03, 0x45},
		replies: [][]byte{
			{0x02, 0x10, 0x35, 0x04, 0x00, 0x00, 0x00, 0x03, 0x00}, // wrong checksum
			{0x02, 0x20, 0x35, 0x00, 0x00, 0x00, 0x00, 0x03, 0x5A}, // board 2
			{0x02, 0x10, 0x35, 0x04, 0x00, 0x00, 0x00, 0x03, 0x4E}, // board 1: lock 3 locked
		},
		gap: 30 * time.Millisecond,
	})
	s, err := ctl.State(ctx(t), 1, 3)
	dev.wait()
	require.NoError(t, err)
	require.False(t, s.Open)
	out := logs.String()
	require.Contains(t, out, "wrong checksum")
	require.Contains(t, out, "02 20 35 00 00 00 00 03 5A")
}

// A corrupt reply from the board asked is reported as a wrong checksum
// when it names the board the way a good reply may: by the high nibble of
// its address (the low nibble is not compared).
func TestKerongCorruptReplyWithLowNibble(t *testing.T) {
	dev, ctl, _ := fakeLine(t, lockboard.Kerong, lockboard.Options{Timeout: 200 * time.Millisecond})
	req := []byte{0x02, 0x10, 0x30, 0x03, 0x45}
	bad := []byte{0x02, 0x13, 0x35, 0x04, 0x00, 0x00, 0x00, 0x03, 0x00}
	dev.run(step{want: req, replies: [][]byte{bad}}, step{want: req, replies: [][]byte{bad}})
	_, err := ctl.State(ctx(t), 1, 3)
	dev.wait()
	require.ErrorIs(t, err, lockboard.ErrChecksum)

	good := []byte{0x02, 0x13, 0x35, 0x04, 0x00, 0x00, 0x00, 0x03, 0x51}
	dev.run(step{want: req, replies: [][]byte{good}})
	st, err := ctl.State(ctx(t), 1, 3)
	dev.wait()
	require.NoError(t, err)
	require.False(t, st.Open, "hook 3 set: locked")
}
