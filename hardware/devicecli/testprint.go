package devicecli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"cashier/hardware/escpos"
	"cashier/hardware/printer"
	"cashier/hardware/transport"
)

const testPrintUsage = "pos devices test-print --port P [--baud N] [--width 58|80] [--no-status] [--drawer] [--timeout D]"

// TestPrint implements `pos devices test-print`: it checks the printer's
// status, prints a test page (Chinese text, columns at the paper's width,
// a CODE128 and a QR code, cut) and waits for the printer to confirm it.
// --port is a transport spec; a bare /dev/usb/lp* path is a device file.
// Exit 0 printed, 1 printer or port problem (missing, busy, permission
// denied, paper out, cover open, no answer), 2 bad usage.
func TestPrint(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("devices test-print", testPrintUsage, stderr)
	port := fs.String("port", "", "打印机端口 / printer port: /dev/ttyUSB0, tcp:HOST[:9100], /dev/usb/lp0, usb:VID:PID")
	baud := fs.Int("baud", 0, "串口波特率 / serial baud rate (default 9600)")
	width := fs.String("width", "80", "纸宽 58 或 80 (毫米) / paper width 58 or 80 (mm)")
	noStatus := fs.Bool("no-status", false, "打印机不回报状态（部分USB打印机） / printer does not answer status requests")
	drawer := fs.Bool("drawer", false, "同时弹开钱箱 / also kick the cash drawer")
	timeout := fs.Duration("timeout", 2*time.Second, "等待打印机回应的时间 / how long to wait for the printer's answer")
	if code, ok := parse(fs, args, stderr); !ok {
		return code
	}
	if strings.TrimSpace(*port) == "" {
		return usageErr(stderr, fs, "需要 --port / --port is required")
	}
	paper, err := escpos.ParsePaper(*width)
	if err != nil {
		return usageErr(stderr, fs, "%v", err)
	}
	if *baud < 0 {
		return usageErr(stderr, fs, "波特率无效 / invalid baud rate %d", *baud)
	}
	if *timeout <= 0 {
		return usageErr(stderr, fs, "超时无效 / invalid timeout %v", *timeout)
	}
	sp, err := printer.ParseSpec(*port)
	if err != nil {
		return usageErr(stderr, fs, "%v", err)
	}
	if *baud > 0 {
		sp.Settings.Baud = *baud
	}
	sp = sp.WithDefaultBaud(9600)

	job, err := testPage(paper, *port, *drawer)
	if err != nil {
		return deviceErr(stderr, err)
	}
	cfg := printer.Config{
		Name:          "test-print",
		Open:          printer.SpecOpener(sp, Opener),
		StatusTimeout: *timeout,
		NoStatus:      *noStatus,
	}
	if sp.Kind == transport.KindSerial || sp.Kind == transport.KindUSB {
		cfg.BytesPerSecond = sp.Settings.Baud / 10
	}
	p := printer.New(cfg)
	defer p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 4**timeout+10*time.Second)
	defer cancel()

	st, err := p.Check(ctx)
	if err != nil {
		if errors.Is(err, printer.ErrNoReply) {
			return deviceErr(stderr, fmt.Errorf("%s: %w (或加 --no-status / or add --no-status if this printer never answers)", *port, err))
		}
		return deviceErr(stderr, errors.New(printer.OpenMessage(err)))
	}
	if !*noStatus && !st.CanPrint() {
		_, msg := st.State()
		return deviceErr(stderr, fmt.Errorf("%s: %s [%s]", *port, msg, st))
	}
	if err := p.Send(ctx, job); err != nil {
		return deviceErr(stderr, fmt.Errorf("%s: %w", *port, err))
	}
	state := p.State()
	fmt.Fprintf(stdout, "已打印测试页 / test page printed: %s, %d mm, %d 字节 / bytes\n", *port, paper, len(job))
	if *noStatus {
		fmt.Fprintln(stdout, "未查询状态 / status not checked (--no-status)")
	} else {
		fmt.Fprintf(stdout, "打印机状态 / printer status: %s\n", state.Message)
	}
	return exitOK
}

// testPage is the page test-print prints: what an installer needs to see
// to know the width, the Chinese font, the codes and the cutter work.
func testPage(paper escpos.Paper, port string, drawer bool) ([]byte, error) {
	b := escpos.New(paper)
	if drawer {
		b.DrawerKick(escpos.DrawerPulse{})
	}
	cols := paper.Columns()
	b.Align(escpos.AlignCenter).Bold(true).Size(2, 2).Line("打印测试").Normal().Line("TEST PRINT")
	b.Align(escpos.AlignLeft).Rule('=')
	b.Row2("端口 / port", escpos.Truncate(port, cols-14))
	b.Row2("纸宽 / width", fmt.Sprintf("%d mm, %d 列", paper, cols))
	b.Row2("时间 / time", time.Now().Format("2006-01-02 15:04:05"))
	b.Rule('-')
	var ruler strings.Builder
	for i := 1; i <= cols; i++ {
		ruler.WriteByte(byte('0' + i%10))
	}
	b.Line(ruler.String())
	b.Line(strings.Repeat("中", cols/2))
	b.Line("中文：收款12.50元 找零￥7.50")
	b.Row3("商品", "数量", "金额")
	b.Row3("可口可乐 330ml", "2", "￥7.00")
	b.Bold(true).Line("粗体 BOLD").Bold(false)
	b.Size(1, 2).Line("倍高 TALL").Size(2, 1).Line("倍宽 WIDE").Normal()
	b.Align(escpos.AlignRight).Line("右对齐 RIGHT").Align(escpos.AlignCenter)
	b.Code128("TEST20260116", escpos.Code128Options{Height: 64})
	b.Newline().QR("POS TEST PRINT 测试", escpos.QROptions{Size: 5})
	for _, l := range escpos.Wrap("打印正常即可使用 / all good if this reads well", cols) {
		b.Line(l)
	}
	b.Feed(2).Cut()
	return b.Bytes()
}
