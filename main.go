// Command pos is the cashier application. With no arguments it opens the
// GUI; with a subcommand it serves installers, support staff and tests.
package main

import (
	// First: fixes the locale environment before Fyne reads it (see the package).
	_ "cashier/ui/i18n/locale"

	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"cashier/hardware/devicecli"
	"cashier/sync/sandbox"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

type command struct {
	summary string
	run     func(args []string, stdout, stderr io.Writer) int
}

func commands() map[string]command {
	return map[string]command{
		"version": {"打印版本 / print the version", func(_ []string, out, _ io.Writer) int {
			fmt.Fprintf(out, "pos %s\n", version)
			return 0
		}},
		"db":         {"数据库 migrate|check|backup / database maintenance", runDB},
		"config":     {"设备与界面设置 list|get|set / device and UI settings", runConfig},
		"devices":    {"设备 list|test-print|speak|unlock|lock-state / devices", runDevices},
		"pay":        {"用付款码收款（支持人员）/ take a payment by code (support staff)", runPay},
		"refund":     {"退款 / refund an order", runRefund},
		"payments":   {"payments recover：处理未完成的支付 / settle unfinished payments", runPayments},
		"sandbox":    {"单独运行沙箱支付网关 / run the sandbox payment gateway alone", sandbox.Run},
		"scan-image": {"从图片识别条码/二维码 / decode a barcode or QR code from an image file", devicecli.ScanImage},
		"gui":        {"打开收银界面（默认）/ open the GUI (default)", runGUI},
	}
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "用法 / usage: pos [--data-dir DIR] [command] [flags]\n\n命令 / commands:\n")
	cmds := commands()
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-12s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintf(w, "\n不带命令时打开收银界面 / with no command the GUI opens.\n")
}

func run(args []string, stdout, stderr io.Writer) int {
	// A leading --data-dir applies to the GUI and every command.
	var global []string
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		a := args[0]
		if a == "-h" || a == "--help" || a == "-help" {
			usage(stdout)
			return 0
		}
		global = append(global, a)
		args = args[1:]
		if !strings.Contains(a, "=") && len(args) > 0 && !strings.HasPrefix(args[0], "-") && isValueFlag(a) {
			global = append(global, args[0])
			args = args[1:]
		}
	}
	name := "gui"
	if len(args) > 0 {
		name, args = args[0], args[1:]
	}
	if name == "help" {
		usage(stdout)
		return 0
	}
	cmd, ok := commands()[name]
	if !ok {
		fmt.Fprintf(stderr, "未知命令 / unknown command: %q\n\n", name)
		usage(stderr)
		return 2
	}
	return cmd.run(append(global, args...), stdout, stderr)
}

func isValueFlag(a string) bool {
	n := strings.TrimLeft(a, "-")
	return n == "data-dir"
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}
