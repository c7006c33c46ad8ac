package sim

import "net"

// ServeTCP listens on addr (e.g. "127.0.0.1:0") and serves each
// connection in turn as the module's serial line — for a speaker behind a
// serial-to-Ethernet converter (app spec tcp:HOST:PORT). It returns the
// address actually listened on; Close stops listening.
func (s *Speaker) ServeTCP(addr string) (string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	s.closers = append(s.closers, ln.Close)
	s.mu.Unlock()
	go serveTCP(ln, func(c net.Conn) { s.Serve(c) })
	return ln.Addr().String(), nil
}

func serveTCP(ln net.Listener, serve func(net.Conn)) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		serve(c) // one client at a time, like a serial line
		c.Close()
	}
}
