package sim

import "net"

// ServeTCP listens on addr and serves each connection in turn as the
// RS-485 line (boards behind a serial-to-Ethernet converter). It returns
// the address listened on; Close stops listening.
func (b *LockBus) ServeTCP(addr string) (string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", err
	}
	b.mu.Lock()
	b.closers = append(b.closers, ln.Close)
	b.mu.Unlock()
	go serveTCP(ln, func(c net.Conn) { b.Serve(c) })
	return ln.Addr().String(), nil
}
