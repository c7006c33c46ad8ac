package speaker_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"cashier/hardware"
	"cashier/hardware/ptytest"
	"cashier/hardware/sim"
	"cashier/hardware/speaker"
	"cashier/hardware/transport"
)

func open(t *testing.T, path string) hardware.Port {
	t.Helper()
	p, err := transport.OpenString(path + "?baud=9600")
	require.NoError(t, err)
	t.Cleanup(func() { p.Close() })
	return p
}

func fastOpts(m speaker.Module) speaker.Options {
	return speaker.Options{Module: m, AckTimeout: 600 * time.Millisecond, PerRune: 50 * time.Millisecond,
		SpeakSlack: 500 * time.Millisecond, MaxBusy: 3 * time.Second}
}

func startSim(t *testing.T, opt sim.SpeakerOptions) (*sim.Speaker, string) {
	t.Helper()
	s := sim.NewSpeaker(opt)
	path, err := s.ServePTY()
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s, path
}

func TestQueueNeverOverlapsOverPty(t *testing.T) {
	for _, m := range []speaker.Module{speaker.SYN6288, speaker.XFS5152} {
		t.Run(string(m), func(t *testing.T) {
			s, path := startSim(t, sim.SpeakerOptions{Module: m, PerRune: 3 * time.Millisecond, SendReady: true})
			var mu sync.Mutex
			var results []speaker.Result
			drv := speaker.New(open(t, path), func() speaker.Options {
				o := fastOpts(m)
				o.OnResult = func(r speaker.Result) { mu.Lock(); results = append(results, r); mu.Unlock() }
				return o
			}())
			defer drv.Close()
			texts := []string{speaker.Collected(1250), speaker.Refunded(300), speaker.Deposit(20000), "欢迎光临"}
			for _, tx := range texts {
				require.NoError(t, drv.Say(tx))
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			require.NoError(t, drv.SayWait(ctx, "谢谢惠顾"))
			texts = append(texts, "谢谢惠顾")

			var heard []string
			for _, u := range s.Spoken() {
				heard = append(heard, u.Text)
			}
			require.Equal(t, texts, heard)
			require.Zero(t, s.Overlaps(), "a speak frame arrived while the module was speaking")
			require.Zero(t, s.BadFrames())
			// Copied under the lock, checked outside it: a failed check
			// must not leave the driver's callback blocked on the lock.
			mu.Lock()
			got := append([]speaker.Result(nil), results...)
			mu.Unlock()
			require.Len(t, got, 5, "SayWait returns after its result is reported")
			for _, r := range got {
				require.NoError(t, r.Err)
			}
		})
	}
}

func TestGoldenFrameOnTheWire(t *testing.T) {
	s, path := startSim(t, sim.SpeakerOptions{PerRune: time.Millisecond})
	drv := speaker.New(open(t, path), fastOpts(speaker.SYN6288))
	defer drv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, drv.SayWait(ctx, speaker.Collected(1250)))
	got := s.Received()
	require.NotEmpty(t, got)
	require.Equal(t, []byte{0xFD, 0x00, 0x0E, 0x01, 0x01, 0xCA, 0xD5, 0xBF, 0xEE, 0x31, 0x32, 0x2E, 0x35, 0x30, 0xD4, 0xAA, 0xEB}, got[0])
}

func TestXFSVolumeAndNumberTags(t *testing.T) {
	s, path := startSim(t, sim.SpeakerOptions{Module: speaker.XFS5152, PerRune: time.Millisecond})
	drv := speaker.New(open(t, path), fastOpts(speaker.XFS5152))
	defer drv.Close()
	require.NoError(t, drv.SetVolume(7))
	require.ErrorIs(t, drv.SetVolume(10), speaker.ErrBadVolume)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, drv.SayWait(ctx, "收款1.00元"))
	u := s.Spoken()[0]
	require.Equal(t, "[v7][n2]收款1.00元", u.Wire)
	require.Equal(t, "收款1.00元", u.Text)
	require.Equal(t, 7, u.Volume)

	syn := speaker.New(open(t, ptytest.New(t).Path), fastOpts(speaker.SYN6288))
	defer syn.Close()
	require.ErrorIs(t, syn.SetVolume(5), speaker.ErrNoVolumeIn)
}

func TestBusyModuleIsWaitedFor(t *testing.T) {
	s, path := startSim(t, sim.SpeakerOptions{PerRune: time.Millisecond})
	drv := speaker.New(open(t, path), fastOpts(speaker.SYN6288))
	defer drv.Close()
	s.ForceBusy(400 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, drv.SayWait(ctx, "收款2.00元"))
	require.Len(t, s.Spoken(), 1)
	require.Equal(t, "收款2.00元", s.Spoken()[0].Text)
}

func TestBadFrameRetriedOnce(t *testing.T) {
	s, path := startSim(t, sim.SpeakerOptions{PerRune: time.Millisecond})
	drv := speaker.New(open(t, path), fastOpts(speaker.SYN6288))
	defer drv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	s.RejectNext(1)
	require.NoError(t, drv.SayWait(ctx, "收款3.00元"))
	require.Len(t, s.Spoken(), 1)

	s.RejectNext(2)
	err := drv.SayWait(ctx, "收款4.00元")
	require.ErrorIs(t, err, speaker.ErrRejected)
	require.Contains(t, err.Error(), "rejected")
	require.Len(t, s.Spoken(), 1)

	// The speaker keeps working afterwards.
	require.NoError(t, drv.SayWait(ctx, "收款5.00元"))
}

func TestMissingModuleGivesClearError(t *testing.T) {
	pair := ptytest.New(t) // nothing answers on the far end
	var states []hardware.DeviceState
	var mu sync.Mutex
	o := fastOpts(speaker.SYN6288)
	o.AckTimeout = 100 * time.Millisecond
	o.OnState = func(st hardware.DeviceState, _ string) { mu.Lock(); states = append(states, st); mu.Unlock() }
	drv := speaker.New(open(t, pair.Path), o)
	defer drv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := drv.SayWait(ctx, "收款1.00元")
	require.ErrorIs(t, err, speaker.ErrNoAnswer)
	require.Contains(t, err.Error(), "语音模块无应答")
	mu.Lock()
	seen := append([]hardware.DeviceState(nil), states...)
	mu.Unlock()
	require.Contains(t, seen, hardware.StateError)
}

func TestBadTextRejectedBeforeQueue(t *testing.T) {
	drv := speaker.New(open(t, ptytest.New(t).Path), fastOpts(speaker.SYN6288))
	defer drv.Close()
	require.ErrorIs(t, drv.Say(""), speaker.ErrEmptyText)
	require.ErrorIs(t, drv.Say("😀"), speaker.ErrUnencodable)
}

func TestGarbledFramesAnsweredWith45(t *testing.T) {
	s, path := startSim(t, sim.SpeakerOptions{PerRune: time.Millisecond, InterByte: 50 * time.Millisecond})
	p := open(t, path)
	require.NoError(t, p.SetReadTimeout(500*time.Millisecond))
	read1 := func() byte {
		b := make([]byte, 1)
		n, err := p.Read(b)
		require.NoError(t, err)
		require.Equal(t, 1, n)
		return b[0]
	}
	// wrong checksum
	_, err := p.Write([]byte{0xFD, 0x00, 0x02, 0x21, 0x00})
	require.NoError(t, err)
	require.Equal(t, speaker.ReplyBadFrame, read1())
	// a frame cut short
	_, err = p.Write([]byte{0xFD, 0x00, 0x0E, 0x01})
	require.NoError(t, err)
	require.Equal(t, speaker.ReplyBadFrame, read1())
	// still works
	st, _ := speaker.ControlFrame(speaker.SYN6288, speaker.CmdStatus)
	_, err = p.Write(st)
	require.NoError(t, err)
	require.Equal(t, speaker.ReplyIdle, read1())
	require.Equal(t, 2, s.BadFrames())
}

func TestSpeakerOnManagedPortReportsUnplug(t *testing.T) {
	s1, pts := startSim(t, sim.SpeakerOptions{PerRune: time.Millisecond})
	// Through a link, as /dev/serial/by-id names a module: unplugged, the
	// link goes with it. The pty's own number would be handed to the next
	// pty opened by any process (another package's simulator, answering
	// as a speaker would).
	path1 := filepath.Join(t.TempDir(), "usb-speaker")
	require.NoError(t, os.Symlink(pts, path1))
	m := transport.NewManaged("speaker", transport.MustParseSpec(path1), transport.ManagedOptions{
		Backoff: transport.ExponentialBackoff{Initial: 20 * time.Millisecond, Max: 50 * time.Millisecond},
	})
	m.Start()
	defer m.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, m.WaitReady(ctx))
	o := fastOpts(speaker.SYN6288)
	o.MaxAge = 800 * time.Millisecond
	drv := speaker.New(m.Port(), o)
	defer drv.Close()
	require.NoError(t, drv.SayWait(ctx, "收款1.00元"))
	require.Len(t, s1.Spoken(), 1)
	s1.Close() // module unplugged; its path is gone for good
	require.NoError(t, os.Remove(path1))
	err := drv.SayWait(ctx, "收款2.00元")
	require.Error(t, err)
	t.Logf("after unplug: %v", err)
	require.True(t, errors.Is(err, speaker.ErrStale) || errors.Is(err, speaker.ErrNoAnswer), "%v", err)
}

func TestSpeakerOverTCP(t *testing.T) {
	s := sim.NewSpeaker(sim.SpeakerOptions{PerRune: time.Millisecond})
	addr, err := s.ServeTCP("127.0.0.1:0")
	require.NoError(t, err)
	defer s.Close()
	p, err := transport.OpenString("tcp:" + addr)
	require.NoError(t, err)
	defer p.Close()
	drv := speaker.New(p, fastOpts(speaker.SYN6288))
	defer drv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, drv.SayWait(ctx, speaker.Deposit(5000)))
	require.Equal(t, "押金50.00元", s.Spoken()[0].Text)
}
