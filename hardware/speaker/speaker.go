package speaker

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"cashier/hardware"
)

var (
	ErrNoAnswer   = errors.New("语音模块无应答 / voice module does not answer (check port, baud and power)")
	ErrRejected   = errors.New("语音模块两次拒收数据帧 / voice module rejected the frame twice")
	ErrStale      = errors.New("播报已过时，已放弃 / announcement too old, dropped")
	ErrQueueFull  = errors.New("播报队列已满 / announcement queue full")
	ErrClosed     = errors.New("语音播报已关闭 / speaker closed")
	ErrBadVolume  = errors.New("音量必须是0-9 / volume must be 0-9")
	ErrNoVolumeIn = errors.New("SYN6288 音量请用模块上的音量旋钮调节 / SYN6288 volume is set on the module (the reference defines no volume tag for it)")
)

// Options configure a Speaker. Zero values give the defaults.
type Options struct {
	Module   Module   // default SYN6288
	Encoding Encoding // GBK (the zero value, GB2312, is sent as GBK, its superset); XFS5152 may use UTF16LE
	// AckTimeout is how long to wait for 0x41 after a frame (default 500 ms).
	AckTimeout time.Duration
	// PerRune and SpeakSlack bound how long one announcement may take
	// before the driver polls the module's status (default 400 ms per
	// character + 2 s).
	PerRune, SpeakSlack time.Duration
	// MaxBusy is how long to keep waiting while the module says it is
	// busy (default 30 s).
	MaxBusy time.Duration
	// MaxAge drops an announcement not yet spoken after this long (the
	// device was away): a late "收款…" confuses customers (default 20 s).
	MaxAge time.Duration
	// QueueSize bounds waiting announcements (default 32).
	QueueSize int
	// OnResult, if set, is told how every announcement ended.
	OnResult func(Result)
	// OnState, if set, receives busy/ready/error for the device panel
	// (e.g. transport.Managed.Report).
	OnState func(st hardware.DeviceState, msg string)
}

// Result is how one announcement ended.
type Result struct {
	Text string
	Err  error // nil = spoken
	At   time.Time
}

type job struct {
	text   string
	queued time.Time
	done   chan error // buffered 1; may be nil
}

// Speaker speaks announcements one after another on one module.
type Speaker struct {
	port hardware.Port
	opt  Options

	mu      sync.Mutex
	volume  int // -1 = not set
	queue   chan job
	closed  bool
	stopReq chan struct{}
	quit    chan struct{}
	wg      sync.WaitGroup

	rbuf []byte
}

// New starts a speaker driver on port. The port's read timeout is set to
// a short poll interval; the Speaker is the only reader of the port.
func New(port hardware.Port, opt Options) *Speaker {
	if opt.Module == "" {
		opt.Module = SYN6288
	}
	if opt.Encoding == GB2312 {
		opt.Encoding = GBK
	}
	if opt.AckTimeout <= 0 {
		opt.AckTimeout = 500 * time.Millisecond
	}
	if opt.PerRune <= 0 {
		opt.PerRune = 400 * time.Millisecond
	}
	if opt.SpeakSlack <= 0 {
		opt.SpeakSlack = 2 * time.Second
	}
	if opt.MaxBusy <= 0 {
		opt.MaxBusy = 30 * time.Second
	}
	if opt.MaxAge <= 0 {
		opt.MaxAge = 20 * time.Second
	}
	if opt.QueueSize <= 0 {
		opt.QueueSize = 32
	}
	s := &Speaker{
		port: port, opt: opt, volume: -1,
		queue:   make(chan job, opt.QueueSize),
		stopReq: make(chan struct{}, 1),
		quit:    make(chan struct{}),
	}
	port.SetReadTimeout(20 * time.Millisecond)
	s.wg.Add(1)
	go s.run()
	return s
}

// Module is the configured module.
func (s *Speaker) Module() Module { return s.opt.Module }

// SetVolume sets the volume (0 quiet – 9 loud) for the following
// announcements. XFS5152 gets an inline [vN] tag. SYN6288: the reference
// gives no volume tag for it, so ErrNoVolumeIn is returned and the
// module's own volume applies.
func (s *Speaker) SetVolume(v int) error {
	if v < 0 || v > 9 {
		return ErrBadVolume
	}
	if s.opt.Module == SYN6288 {
		return ErrNoVolumeIn
	}
	s.mu.Lock()
	s.volume = v
	s.mu.Unlock()
	return nil
}

// Wire returns the exact text (with inline tags) sent for an announcement.
func (s *Speaker) Wire(text string) string {
	if s.opt.Module != XFS5152 {
		return text
	}
	s.mu.Lock()
	v := s.volume
	s.mu.Unlock()
	var b strings.Builder
	if v >= 0 {
		fmt.Fprintf(&b, "[v%d]", v)
	}
	b.WriteString("[n2]")
	b.WriteString(text)
	return b.String()
}

// Check validates text without queueing it (encoding, length).
func (s *Speaker) Check(text string) error {
	_, err := SpeakFrame(s.opt.Module, s.Wire(text), s.opt.Encoding, 0)
	return err
}

// Say queues an announcement and returns at once. The error is about the
// text (cannot be encoded, too long) or a full queue; the outcome of
// speaking goes to Options.OnResult.
func (s *Speaker) Say(text string) error {
	return s.enqueue(job{text: text})
}

// SayWait queues an announcement and waits until it has been spoken (the
// module reported idle) or failed.
func (s *Speaker) SayWait(ctx context.Context, text string) error {
	done := make(chan error, 1)
	if err := s.enqueue(job{text: text, done: done}); err != nil {
		return err
	}
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *Speaker) enqueue(j job) error {
	if err := s.Check(j.text); err != nil {
		return err
	}
	j.queued = time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	select {
	case s.queue <- j:
		return nil
	default:
		return ErrQueueFull
	}
}

// Stop silences the module now and drops queued announcements.
func (s *Speaker) Stop() {
	for {
		select {
		case j := <-s.queue:
			s.finish(j, fmt.Errorf("已停止 / stopped"))
			continue
		default:
		}
		break
	}
	select {
	case s.stopReq <- struct{}{}:
	default:
	}
}

// Close stops the worker; queued announcements fail with ErrClosed. The
// port is not closed (its owner closes it).
func (s *Speaker) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.quit)
	s.mu.Unlock()
	s.wg.Wait()
	for {
		select {
		case j := <-s.queue:
			s.finish(j, ErrClosed)
		default:
			return nil
		}
	}
}

// finish reports a job: OnResult first, so a SayWait that returns finds
// its result already reported.
func (s *Speaker) finish(j job, err error) {
	if s.opt.OnResult != nil {
		s.opt.OnResult(Result{Text: j.text, Err: err, At: time.Now()})
	}
	if j.done != nil {
		j.done <- err
	}
}

func (s *Speaker) state(st hardware.DeviceState, msg string) {
	if s.opt.OnState != nil {
		s.opt.OnState(st, msg)
	}
}

func (s *Speaker) run() {
	defer s.wg.Done()
	for {
		select {
		case <-s.quit:
			return
		case <-s.stopReq:
			s.sendStop()
		case j := <-s.queue:
			err := s.speak(j)
			if err == nil {
				s.state(hardware.StateReady, "空闲 / idle")
			} else if !errors.Is(err, ErrClosed) {
				s.state(hardware.StateError, err.Error())
			}
			s.finish(j, err)
		}
	}
}

func (s *Speaker) sendStop() {
	f, _ := ControlFrame(s.opt.Module, CmdStop)
	s.port.Write(f)
	s.rbuf = s.rbuf[:0]
}

var errStopped = errors.New("已停止 / stopped")

// readReply returns the next reply byte before deadline; ok=false on timeout.
func (s *Speaker) readReply(deadline time.Time) (byte, bool, error) {
	var tmp [32]byte
	for {
		if len(s.rbuf) > 0 {
			b := s.rbuf[0]
			s.rbuf = s.rbuf[1:]
			switch b {
			case ReplyReady, ReplyOK, ReplyBadFrame, ReplyBusy, ReplyIdle:
				return b, true, nil
			}
			continue // noise on the line
		}
		select {
		case <-s.quit:
			return 0, false, ErrClosed
		case <-s.stopReq:
			s.sendStop()
			return 0, false, errStopped
		default:
		}
		if !time.Now().Before(deadline) {
			return 0, false, nil
		}
		n, err := s.port.Read(tmp[:])
		if n > 0 {
			s.rbuf = append(s.rbuf, tmp[:n]...)
		}
		if err != nil {
			// The port went away (a Managed port reconnects meanwhile).
			time.Sleep(20 * time.Millisecond)
			if n == 0 {
				return 0, false, fmt.Errorf("%w: %v", ErrNoAnswer, err)
			}
		}
	}
}

// status polls the module: ReplyBusy, ReplyIdle, or ErrNoAnswer.
func (s *Speaker) status() (byte, error) {
	f, _ := ControlFrame(s.opt.Module, CmdStatus)
	for try := 0; try < 2; try++ {
		if _, err := s.port.Write(f); err != nil {
			return 0, fmt.Errorf("%w: %v", ErrNoAnswer, err)
		}
		deadline := time.Now().Add(s.opt.AckTimeout)
		for {
			b, ok, err := s.readReply(deadline)
			if err != nil {
				return 0, err
			}
			if !ok {
				break
			}
			switch b {
			case ReplyBusy:
				return ReplyBusy, nil
			case ReplyIdle, ReplyReady:
				return ReplyIdle, nil
			}
			// 0x41 for the status frame itself on some firmware; keep reading.
		}
	}
	return 0, ErrNoAnswer
}

// waitIdle waits until the module reports idle, polling status when the
// expected end passes. Bounded by MaxBusy.
func (s *Speaker) waitIdle(expectEnd time.Time) error {
	giveUp := time.Now().Add(s.opt.MaxBusy)
	if expectEnd.After(giveUp) {
		giveUp = expectEnd.Add(s.opt.MaxBusy)
	}
	for {
		b, ok, err := s.readReply(expectEnd)
		if err != nil {
			return err
		}
		if ok {
			if b == ReplyIdle || b == ReplyReady {
				return nil
			}
			continue
		}
		st, err := s.status()
		if err != nil {
			return err
		}
		if st == ReplyIdle {
			return nil
		}
		s.state(hardware.StateBusy, "语音模块忙 / voice module busy")
		if time.Now().After(giveUp) {
			return fmt.Errorf("语音模块一直忙 / voice module stays busy for %s", s.opt.MaxBusy)
		}
		expectEnd = time.Now().Add(300 * time.Millisecond)
	}
}

func (s *Speaker) speak(j job) error {
	wire := s.Wire(j.text)
	frame, err := SpeakFrame(s.opt.Module, wire, s.opt.Encoding, 0)
	if err != nil {
		return err
	}
	runes := utf8.RuneCountInString(j.text)
	badFrames, busyWaits := 0, 0
	var lastErr error
	for {
		if time.Since(j.queued) > s.opt.MaxAge {
			if lastErr != nil {
				return fmt.Errorf("%w: %v", ErrStale, lastErr)
			}
			return ErrStale
		}
		select {
		case <-s.quit:
			return ErrClosed
		default:
		}
		s.rbuf = s.rbuf[:0]
		if _, err := s.port.Write(frame); err != nil {
			lastErr = err
			s.state(hardware.StateDisconnected, err.Error())
			select {
			case <-s.quit:
				return ErrClosed
			case <-time.After(300 * time.Millisecond):
			}
			continue
		}
		s.state(hardware.StateBusy, "正在播报 / speaking: "+j.text)
		b, ok, err := s.readAck(time.Now().Add(s.opt.AckTimeout))
		if errors.Is(err, errStopped) {
			return errStopped
		}
		if err != nil {
			lastErr = err
			continue
		}
		if !ok {
			// No answer to the frame: is the module there at all?
			st, err := s.status()
			if err != nil {
				return err
			}
			if st == ReplyBusy {
				if err := s.waitIdle(time.Now().Add(300 * time.Millisecond)); err != nil {
					return err
				}
			}
			lastErr = fmt.Errorf("帧未确认 / frame not acknowledged")
			badFrames++
			if badFrames > 1 {
				return ErrNoAnswer
			}
			continue
		}
		switch b {
		case ReplyOK:
			end := time.Now().Add(time.Duration(runes)*s.opt.PerRune + s.opt.SpeakSlack)
			err := s.waitIdle(end)
			if errors.Is(err, errStopped) {
				return errStopped
			}
			return err
		case ReplyBadFrame:
			badFrames++
			if badFrames > 1 {
				return ErrRejected
			}
		case ReplyBusy:
			busyWaits++
			if busyWaits > 5 {
				return fmt.Errorf("语音模块一直忙 / voice module stays busy")
			}
			if err := s.waitIdle(time.Now().Add(300 * time.Millisecond)); err != nil {
				return err
			}
		}
	}
}

// readAck waits for 0x41/0x45/0x4E, ignoring idle/ready bytes left over.
func (s *Speaker) readAck(deadline time.Time) (byte, bool, error) {
	for {
		b, ok, err := s.readReply(deadline)
		if err != nil || !ok {
			return b, ok, err
		}
		switch b {
		case ReplyOK, ReplyBadFrame, ReplyBusy:
			return b, true, nil
		}
	}
}
