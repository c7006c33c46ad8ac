package sim

import (
	"io"
	"net"
	"sync"
	"time"

	"cashier/hardware"
)

// Serve runs the printer on the far end of a connection (a pseudo-terminal
// master, a TCP connection): it reads what the host sends and writes the
// status replies back, until a read fails. Close the connection to stop
// it. When the host goes away mid-receipt, the receipt comes out uncut.
func (e *PrinterEmulator) Serve(rw io.ReadWriter) error {
	buf := make([]byte, 4096)
	for {
		n, err := rw.Read(buf)
		if n > 0 {
			if replies := e.Feed(buf[:n]); len(replies) > 0 {
				if _, werr := rw.Write(replies); werr != nil {
					e.Disconnect()
					return werr
				}
			}
		}
		if err != nil {
			e.Disconnect()
			return err
		}
	}
}

// PrinterTCPServer is the printer listening on a raw TCP port (9100).
// It takes one connection at a time, as printers do.
type PrinterTCPServer struct {
	e  *PrinterEmulator
	ln net.Listener

	mu   sync.Mutex
	conn net.Conn
	done chan struct{}
}

// ListenTCP starts the printer on addr ("127.0.0.1:0" for any free port,
// ":9100" for the usual one).
func (e *PrinterEmulator) ListenTCP(addr string) (*PrinterTCPServer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &PrinterTCPServer{e: e, ln: ln, done: make(chan struct{})}
	go s.loop()
	return s, nil
}

// Addr is the address it listens on (host:port).
func (s *PrinterTCPServer) Addr() string { return s.ln.Addr().String() }

func (s *PrinterTCPServer) loop() {
	defer close(s.done)
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conn = c
		s.mu.Unlock()
		_ = s.e.Serve(c)
		c.Close()
		s.mu.Lock()
		s.conn = nil
		s.mu.Unlock()
	}
}

// DropConnection closes the current connection, as a printer that is
// switched off or unplugged from the network would.
func (s *PrinterTCPServer) DropConnection() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn != nil {
		s.conn.Close()
	}
}

// Close stops listening and drops the connection.
func (s *PrinterTCPServer) Close() error {
	err := s.ln.Close()
	s.DropConnection()
	<-s.done
	return err
}

// Port connects to the printer in memory: what is written is fed to the
// printer, its status replies are read back. The embedded default uses it
// so the virtual printer needs no pseudo-terminal. Every call is a new
// connection.
func (e *PrinterEmulator) Port() hardware.Port {
	return &printerMemPort{e: e, wake: make(chan struct{}, 1)}
}

// Opener returns an opener for the printer driver that connects in memory.
func (e *PrinterEmulator) Opener() func() (hardware.Port, error) {
	return func() (hardware.Port, error) { return e.Port(), nil }
}

type printerMemPort struct {
	e *PrinterEmulator

	mu      sync.Mutex
	replies []byte
	timeout time.Duration
	closed  bool
	wake    chan struct{}
}

func (p *printerMemPort) Write(b []byte) (int, error) {
	p.mu.Lock()
	closed := p.closed
	p.mu.Unlock()
	if closed {
		return 0, hardware.ErrPortClosed
	}
	r := p.e.Feed(b)
	if len(r) > 0 {
		p.mu.Lock()
		p.replies = append(p.replies, r...)
		p.mu.Unlock()
		select {
		case p.wake <- struct{}{}:
		default:
		}
	}
	return len(b), nil
}

func (p *printerMemPort) Read(b []byte) (int, error) {
	p.mu.Lock()
	to := p.timeout
	p.mu.Unlock()
	var deadline <-chan time.Time
	if to > 0 {
		t := time.NewTimer(to)
		defer t.Stop()
		deadline = t.C
	}
	for {
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			return 0, hardware.ErrPortClosed
		}
		if len(p.replies) > 0 {
			n := copy(b, p.replies)
			p.replies = p.replies[n:]
			p.mu.Unlock()
			return n, nil
		}
		p.mu.Unlock()
		select {
		case <-p.wake:
		case <-deadline:
			return 0, nil
		}
	}
}

func (p *printerMemPort) SetReadTimeout(d time.Duration) error {
	p.mu.Lock()
	p.timeout = d
	p.mu.Unlock()
	return nil
}

func (p *printerMemPort) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
	p.e.Disconnect()
	return nil
}
