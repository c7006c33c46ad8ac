package sim

import (
	"errors"
	"io"
	"os"
	"regexp"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"cashier/hardware/ptytest"
	"cashier/hardware/speaker"
)

// SpeakerOptions configure a simulated voice module.
type SpeakerOptions struct {
	Module speaker.Module // default SYN6288
	// PerRune is the simulated speaking time per character (default
	// 150 ms; tests use a few ms).
	PerRune time.Duration
	// SendReady sends 0x4A when serving starts, as a module does at power-up.
	SendReady bool
	// InterByte drops a partial frame after this long without new bytes
	// and answers 0x45 (default 200 ms).
	InterByte time.Duration
}

// SpeakerUtterance is one announcement the simulated module spoke.
type SpeakerUtterance struct {
	Text   string // what a listener hears (inline tags such as [v5] removed)
	Wire   string // the text as sent, tags included
	Volume int    // from a [vN] tag, -1 if none
	Module speaker.Module
	At     time.Time
}

// Speaker is a simulated SYN6288/XFS5152 module: it decodes frames to
// text, answers like the module (0x41 frame ok, 0x45 bad frame, 0x4E busy,
// 0x4F idle, 0x4A ready), takes time to speak, and tells subscribers what
// it said (the app's virtual speaker view).
type Speaker struct {
	opt SpeakerOptions

	mu        sync.Mutex
	wmu       sync.Mutex
	w         io.Writer
	speaking  bool
	speakEnd  *time.Timer
	forcedEnd time.Time
	spoken    []SpeakerUtterance
	subs      map[chan SpeakerUtterance]struct{}
	badFrames int
	overlaps  int
	received  [][]byte
	pair      *ptytest.Pair
	closed    bool
	mute      bool
	rejectN   int
	closers   []func() error
}

// NewSpeaker makes a simulated module; connect it with Serve or ServePTY.
func NewSpeaker(opt SpeakerOptions) *Speaker {
	if opt.Module == "" {
		opt.Module = speaker.SYN6288
	}
	if opt.PerRune <= 0 {
		opt.PerRune = 150 * time.Millisecond
	}
	if opt.InterByte <= 0 {
		opt.InterByte = 200 * time.Millisecond
	}
	return &Speaker{opt: opt, subs: map[chan SpeakerUtterance]struct{}{}}
}

// ServePTY creates a pseudo-terminal, serves its master side in the
// background and returns the path the app opens as a serial port.
func (s *Speaker) ServePTY() (string, error) {
	p, err := ptytest.Open()
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	s.pair = p
	s.mu.Unlock()
	go s.Serve(p.Master)
	return p.Path, nil
}

// Close stops the simulator (and its pseudo-terminal, if it made one).
func (s *Speaker) Close() error {
	s.mu.Lock()
	s.closed = true
	p := s.pair
	if s.speakEnd != nil {
		s.speakEnd.Stop()
	}
	for ch := range s.subs {
		close(ch)
	}
	s.subs = map[chan SpeakerUtterance]struct{}{}
	closers := s.closers
	s.closers = nil
	s.mu.Unlock()
	if p != nil {
		p.Unplug()
	}
	for _, c := range closers {
		c()
	}
	return nil
}

// Subscribe receives each utterance as the module starts speaking it.
func (s *Speaker) Subscribe() (<-chan SpeakerUtterance, func()) {
	ch := make(chan SpeakerUtterance, 32)
	s.mu.Lock()
	if s.closed {
		close(ch)
		s.mu.Unlock()
		return ch, func() {}
	}
	s.subs[ch] = struct{}{}
	s.mu.Unlock()
	return ch, func() {
		s.mu.Lock()
		if _, ok := s.subs[ch]; ok {
			delete(s.subs, ch)
			close(ch)
		}
		s.mu.Unlock()
	}
}

// Spoken lists everything said so far.
func (s *Speaker) Spoken() []SpeakerUtterance {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]SpeakerUtterance(nil), s.spoken...)
}

// Busy reports whether the module is speaking.
func (s *Speaker) Busy() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.speaking || time.Now().Before(s.forcedEnd)
}

// BadFrames counts frames answered with 0x45.
func (s *Speaker) BadFrames() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.badFrames
}

// Overlaps counts speak frames that arrived while the module was still
// speaking (answered 0x4E): a driver with a proper queue never causes one
// unless the module was made busy by ForceBusy.
func (s *Speaker) Overlaps() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.overlaps
}

// Received lists every good frame received, raw.
func (s *Speaker) Received() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][]byte(nil), s.received...)
}

// ForceBusy makes the module report busy for d, as if it were speaking
// something the app did not send.
func (s *Speaker) ForceBusy(d time.Duration) {
	s.mu.Lock()
	s.forcedEnd = time.Now().Add(d)
	s.mu.Unlock()
	time.AfterFunc(d, func() {
		if !s.Busy() {
			s.reply(speaker.ReplyIdle)
		}
	})
}

// RejectNext answers the next n speak frames with 0x45 (bad frame), as a
// module does when a byte was lost on the line.
func (s *Speaker) RejectNext(n int) {
	s.mu.Lock()
	s.rejectN = n
	s.mu.Unlock()
}

// Mute makes the module stop answering at all (a dead module).
func (s *Speaker) Mute(m bool) {
	s.mu.Lock()
	s.mute = m
	s.mu.Unlock()
}

func (s *Speaker) reply(b ...byte) {
	s.mu.Lock()
	w, mute := s.w, s.mute
	s.mu.Unlock()
	if w == nil || mute {
		return
	}
	s.wmu.Lock()
	w.Write(b)
	s.wmu.Unlock()
}

type deadliner interface{ SetReadDeadline(time.Time) error }

// Serve answers frames on rw until rw fails or the simulator is closed.
func (s *Speaker) Serve(rw io.ReadWriter) error {
	s.mu.Lock()
	s.w = rw
	s.mu.Unlock()
	if s.opt.SendReady {
		s.reply(speaker.ReplyReady)
	}
	dl, _ := rw.(deadliner)
	var buf []byte
	tmp := make([]byte, 512)
	for {
		if dl != nil {
			if len(buf) > 0 {
				dl.SetReadDeadline(time.Now().Add(s.opt.InterByte))
			} else {
				dl.SetReadDeadline(time.Time{})
			}
		}
		n, err := rw.Read(tmp)
		buf = append(buf, tmp[:n]...)
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				// A partial frame that never completed.
				s.bad()
				buf = buf[:0]
				continue
			}
			return err
		}
		buf = s.consume(buf)
	}
}

func (s *Speaker) bad() {
	s.mu.Lock()
	s.badFrames++
	s.mu.Unlock()
	s.reply(speaker.ReplyBadFrame)
}

func (s *Speaker) consume(buf []byte) []byte {
	garbage := false
	for len(buf) > 0 {
		f, n, err := speaker.ParseFrame(s.opt.Module, buf)
		if errors.Is(err, speaker.ErrIncomplete) {
			break
		}
		if err != nil {
			if !garbage {
				s.bad()
				garbage = true
			}
			buf = buf[n:]
			continue
		}
		garbage = false
		s.mu.Lock()
		s.received = append(s.received, append([]byte(nil), buf[:n]...))
		s.mu.Unlock()
		buf = buf[n:]
		s.handle(f)
	}
	return append(buf[:0:0], buf...)
}

var tagRE = regexp.MustCompile(`\[[a-zA-Z][0-9]*\]`)

func (s *Speaker) handle(f speaker.Frame) {
	switch f.Cmd {
	case speaker.CmdStatus:
		if s.Busy() {
			s.reply(speaker.ReplyBusy)
		} else {
			s.reply(speaker.ReplyIdle)
		}
	case speaker.CmdStop:
		s.mu.Lock()
		was := s.speaking
		s.speaking = false
		if s.speakEnd != nil {
			s.speakEnd.Stop()
		}
		s.mu.Unlock()
		s.reply(speaker.ReplyOK)
		if was {
			s.reply(speaker.ReplyIdle)
		}
	case speaker.CmdPause, speaker.CmdResume:
		s.reply(speaker.ReplyOK)
	case speaker.CmdSpeak:
		s.mu.Lock()
		reject := s.rejectN > 0
		if reject {
			s.rejectN--
			s.badFrames++
		}
		s.mu.Unlock()
		if reject {
			s.reply(speaker.ReplyBadFrame)
			return
		}
		if s.Busy() {
			s.mu.Lock()
			s.overlaps++
			s.mu.Unlock()
			s.reply(speaker.ReplyBusy)
			return
		}
		u := SpeakerUtterance{Wire: f.Text, Volume: -1, Module: s.opt.Module, At: time.Now()}
		for _, tag := range tagRE.FindAllString(f.Text, -1) {
			if tag[1] == 'v' || tag[1] == 'V' {
				if v, err := strconv.Atoi(tag[2 : len(tag)-1]); err == nil {
					u.Volume = v
				}
			}
		}
		u.Text = tagRE.ReplaceAllString(f.Text, "")
		d := time.Duration(utf8.RuneCountInString(u.Text)) * s.opt.PerRune
		s.mu.Lock()
		s.speaking = true
		s.spoken = append(s.spoken, u)
		for ch := range s.subs {
			select {
			case ch <- u:
			default:
			}
		}
		s.mu.Unlock()
		s.reply(speaker.ReplyOK) // 0x41 always before the 0x4F that ends it
		s.mu.Lock()
		var t *time.Timer
		t = time.AfterFunc(d, func() {
			s.mu.Lock()
			if s.speakEnd != t || !s.speaking {
				s.mu.Unlock()
				return
			}
			s.speaking = false
			s.mu.Unlock()
			s.reply(speaker.ReplyIdle)
		})
		s.speakEnd = t
		s.mu.Unlock()
	}
}
