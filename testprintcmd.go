package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"cashier/hardware/devicemsg"
	"cashier/hardware/escpos"
	"cashier/hardware/printer"
	"cashier/hardware/transport"
	"cashier/ui/i18n"
)

// runTestPrint is `pos devices test-print --port P`: it checks the
// printer's status, prints a test page (Chinese text, columns at the
// paper's width, a CODE128 and a QR code, cut) and waits for the printer
// to confirm it. A bare /dev/usb/lp* path is a device file. Exit 0
// printed; 1 printer or port problem (missing, busy, permission denied,
// paper out, cover open, no answer); 2 bad usage.
func runTestPrint(e env, args []string) int {
	const cmd = "devices test-print"
	fs := e.newFlags(cmd, "cli.testprint.usage")
	port := fs.String("port", "", i18n.T("cli.flag.printer_port"))
	baud := fs.Int("baud", 0, i18n.T("cli.flag.baud"))
	width := fs.String("width", "80", i18n.T("cli.flag.width"))
	noStatus := fs.Bool("no-status", false, i18n.T("cli.flag.no_status"))
	drawer := fs.Bool("drawer", false, i18n.T("cli.flag.drawer"))
	timeout := fs.Duration("timeout", 2*time.Second, i18n.T("cli.flag.status_timeout"))
	if code, ok := e.noArgs(fs, cmd, args); !ok {
		return code
	}
	if strings.TrimSpace(*port) == "" {
		return e.usageErr(fs, cmd, "cli.flag_required", "Flag", "--port")
	}
	paper, err := escpos.ParsePaper(*width)
	if err != nil {
		return e.badValue(fs, cmd, "--width", *width)
	}
	if *baud < 0 {
		return e.badValue(fs, cmd, "--baud", *baud)
	}
	if *timeout <= 0 {
		return e.badValue(fs, cmd, "--timeout", *timeout)
	}
	sp, err := printer.ParseSpec(*port)
	if err != nil {
		return e.badValue(fs, cmd, "--port", *port)
	}
	if *baud > 0 {
		sp.Settings.Baud = *baud
	}
	sp = sp.WithDefaultBaud(9600)

	job, err := testPage(paper, *port, *drawer)
	if err != nil {
		return e.fail(cmd, err)
	}
	cfg := printer.Config{
		Name:          "test-print",
		Open:          printer.SpecOpener(sp, portOpener),
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
		code := e.deviceFail(cmd, err)
		if errors.Is(err, printer.ErrNoReply) {
			fmt.Fprintln(e.stderr, i18n.T("cli.testprint.no_status_hint"))
		}
		return code
	}
	if !*noStatus && !st.CanPrint() {
		state, _ := st.State()
		fmt.Fprintf(e.stderr, "pos %s: %s\n", cmd, i18n.T("cli.testprint.cannot_print",
			"Port", *port, "State", i18n.M(devicemsg.State(state)), "Status", st.String()))
		return exitFailed
	}
	if err := p.Send(ctx, job); err != nil {
		return e.deviceFail(cmd, err)
	}
	e.say("cli.testprint.printed", "Port", *port, "Width", int(paper), "Bytes", len(job))
	if *noStatus {
		e.say("cli.testprint.no_status")
	} else {
		e.say("cli.testprint.status", "State", i18n.M(devicemsg.State(p.State().State)))
	}
	return exitOK
}

// testPage is what an installer needs to see to know the width, the
// Chinese font, the codes and the cutter work. The Chinese lines are the
// test itself and stay Chinese in every language; the labels follow it.
func testPage(paper escpos.Paper, port string, drawer bool) ([]byte, error) {
	b := escpos.New(paper)
	if drawer {
		b.DrawerKick(escpos.DrawerPulse{})
	}
	cols := paper.Columns()
	b.Align(escpos.AlignCenter).Bold(true).Size(2, 2).Line(i18n.T("testpage.title")).Normal()
	b.Align(escpos.AlignLeft).Rule('=')
	b.Row2(i18n.T("testpage.port"), escpos.Truncate(port, cols-14))
	b.Row2(i18n.T("testpage.width"), i18n.T("testpage.width_value", "Width", int(paper), "Columns", cols))
	b.Row2(i18n.T("testpage.time"), time.Now().Format("2006-01-02 15:04:05"))
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
	for _, l := range escpos.Wrap(i18n.T("testpage.ok"), cols) {
		b.Line(l)
	}
	b.Feed(2).Cut()
	return b.Bytes()
}
