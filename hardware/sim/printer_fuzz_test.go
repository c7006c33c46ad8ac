package sim_test

import (
	"testing"

	"cashier/hardware/escpos"
	"cashier/hardware/sim"
)

// FuzzPrinterEmulator feeds arbitrary bytes, split at an arbitrary point,
// then a valid job. The parser must never panic, every reply byte must be a
// well-formed status byte, and the printer must still print the valid job
// afterwards (it may be swallowed as data only by a command the garbage
// left open, which a disconnect clears).
func FuzzPrinterEmulator(f *testing.F) {
	job, _ := escpos.New(escpos.Paper58).Line("收款12.50元").
		Code128("A12345", escpos.Code128Options{}).QR("https://x.cn/1", escpos.QROptions{}).Cut().Bytes()
	f.Add(job, uint16(7))
	f.Add([]byte{0x10, 0x04, 0x01, 0x10, 0x04, 0x02, 0x10, 0x04, 0x04}, uint16(1))
	f.Add([]byte{0x1D, 0x76, 0x30, 0x00, 0x02, 0x00, 0x02, 0x00, 0xFF, 0x81, 0x18, 0x00}, uint16(3))
	f.Add([]byte{0x1D, 0x28, 0x6B, 0x05, 0x00, 0x31, 0x50, 0x30, 'a', 'b', 0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x51, 0x30}, uint16(9))
	f.Add([]byte{0x1D, 0x6B, 73, 4, '{', 'C', 200, '{'}, uint16(0))
	f.Add([]byte{0x81, 0x30, 0x81, 0x30, 0xFE, 0x7F, 0x80, 0xFF}, uint16(2))
	f.Add([]byte{0x1B, 0x64, 0xFF, 0x1B, 0x64, 0xFF, 0x1B, 0x64, 0xFF, 0x1D, 0x21, 0x77, 'W', 0x1B, 0x61, 0x02}, uint16(5))
	f.Add([]byte{0x1C, 0x2E, 0xB0, 0xB1, 0x09, 0x09, 0x1B, 0x44, 1, 2, 3}, uint16(4))
	f.Fuzz(func(t *testing.T, data []byte, split uint16) {
		e := sim.NewPrinterEmulator(sim.PrinterOptions{Paper: escpos.Paper58, MaxReceiptDots: 1500, Keep: 3})
		at := int(split) % (len(data) + 1)
		for _, part := range [][]byte{data[:at], data[at:]} {
			for _, r := range e.Feed(part) {
				if !escpos.IsStatusByte(r) {
					t.Fatalf("malformed status reply %#02x", r)
				}
			}
		}
		e.Disconnect()
		before := e.Stats().Receipts
		e.Feed(job)
		rs := e.Receipts()
		if e.Stats().Receipts != before+1 || len(rs) == 0 {
			t.Fatalf("valid job after garbage did not print")
		}
		last := rs[len(rs)-1]
		if !last.Cut || len(last.Barcodes) != 1 || last.Barcodes[0] != "A12345" || len(last.QRCodes) != 1 {
			t.Fatalf("valid job after garbage printed wrong: %+v", last)
		}
	})
}
