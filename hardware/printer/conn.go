package printer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"cashier/hardware"
	"cashier/hardware/escpos"
)

// conn is one open port with a goroutine reading it, so a pulled cable is
// noticed even between jobs and status replies never wait behind a
// blocking Read.
type conn struct {
	port hardware.Port
	in   chan byte
	dead chan struct{}
	err  error // why the reader stopped; read after dead is closed
}

func newConn(port hardware.Port) *conn {
	c := &conn{port: port, in: make(chan byte, 256), dead: make(chan struct{})}
	_ = port.SetReadTimeout(200 * time.Millisecond)
	go c.read()
	return c
}

func (c *conn) read() {
	defer close(c.dead)
	buf := make([]byte, 64)
	for {
		n, err := c.port.Read(buf)
		for _, b := range buf[:n] {
			select {
			case c.in <- b:
			default: // nobody asked: a stray byte
			}
		}
		if err != nil {
			c.err = err
			return
		}
	}
}

// drain forgets bytes that arrived unasked (late replies, stray bytes).
func (c *conn) drain() {
	for {
		select {
		case <-c.in:
		default:
			return
		}
	}
}

func (c *conn) readStatusByte(ctx context.Context, timeout time.Duration) (byte, error) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	for {
		select {
		case b := <-c.in:
			if escpos.IsStatusByte(b) {
				return b, nil
			}
		case <-c.dead:
			// bytes read just before the port failed still count
			select {
			case b := <-c.in:
				if escpos.IsStatusByte(b) {
					return b, nil
				}
				continue
			default:
			}
			return 0, fmt.Errorf("%w: %v", ErrDisconnected, c.err)
		case <-t.C:
			return 0, ErrNoReply
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
}

func (c *conn) close() {
	_ = c.port.Close()
}

// writePaced writes job: everything but raster image data in one write,
// raster data in chunks at RasterBytesPerSecond.
func (p *Printer) writePaced(ctx context.Context, c *conn, job []byte) (int, error) {
	written := 0
	write := func(b []byte) error {
		for len(b) > 0 {
			select {
			case <-c.dead:
				return fmt.Errorf("%w: %v", hardware.ErrPortClosed, c.err)
			default:
			}
			n, err := c.port.Write(b)
			written += n
			b = b[n:]
			if err != nil {
				return err
			}
			if n == 0 {
				return errors.New("写入0字节 / wrote nothing")
			}
		}
		return nil
	}
	rate := p.cfg.RasterBytesPerSecond
	const chunk = 512
	for _, seg := range splitRaster(job) {
		if !seg.raster || rate < 0 || len(seg.data) <= chunk {
			if err := write(seg.data); err != nil {
				return written, err
			}
			continue
		}
		start := time.Now()
		for off := 0; off < len(seg.data); off += chunk {
			end := min(off+chunk, len(seg.data))
			if err := write(seg.data[off:end]); err != nil {
				return written, err
			}
			due := time.Duration(end) * time.Second / time.Duration(rate)
			if d := due - time.Since(start); d > 0 && end < len(seg.data) {
				select {
				case <-time.After(d):
				case <-ctx.Done():
					return written, ctx.Err()
				}
			}
		}
	}
	return written, nil
}

type segment struct {
	data   []byte
	raster bool
}

// splitRaster cuts a job into raster image commands (GS v 0 with their
// data) and the rest. A false match inside other data only slows it down.
func splitRaster(job []byte) []segment {
	var out []segment
	last := 0
	for i := 0; i+8 <= len(job); {
		if job[i] == escpos.GS && job[i+1] == 'v' && job[i+2] == '0' {
			size := (int(job[i+4]) | int(job[i+5])<<8) * (int(job[i+6]) | int(job[i+7])<<8)
			end := min(i+8+size, len(job))
			if i > last {
				out = append(out, segment{data: job[last:i]})
			}
			out = append(out, segment{data: job[i:end], raster: true})
			i, last = end, end
			continue
		}
		i++
	}
	if last < len(job) {
		out = append(out, segment{data: job[last:]})
	}
	return out
}
