package main

import (
	"fmt"
	"io"

	"cashier/hardware/devicecli"
)

func runDevices(args []string, stdout, stderr io.Writer) int {
	sub := map[string]func([]string, io.Writer, io.Writer) int{
		"list":       devicecli.List,
		"speak":      devicecli.Speak,
		"unlock":     devicecli.Unlock,
		"lock-state": devicecli.LockState,
		"test-print": devicecli.TestPrint,
	}
	// --data-dir is global; the device commands talk to ports, not the database.
	var rest []string
	for i := 0; i < len(args); i++ {
		if args[i] == "--data-dir" || args[i] == "-data-dir" {
			i++
			continue
		}
		rest = append(rest, args[i])
	}
	if len(rest) == 0 {
		fmt.Fprintln(stderr, "用法 / usage: pos devices list|test-print|speak|unlock|lock-state [flags]")
		return 2
	}
	fn, ok := sub[rest[0]]
	if !ok {
		fmt.Fprintf(stderr, "未知设备命令 / unknown devices command %q\n用法 / usage: pos devices list|test-print|speak|unlock|lock-state [flags]\n", rest[0])
		return 2
	}
	return fn(rest[1:], stdout, stderr)
}
