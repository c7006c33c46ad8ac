package main

import (
	"context"
	"fmt"
	"io"
	"sort"

	"cashier/hardware/transport"
	"cashier/localdb"
)

// configKeys are the settings an installer may set from the command line,
// with a check for each value.
var configKeys = map[string]struct {
	help  string
	check func(string) error
}{
	SettingPrinterPort:      {"小票打印机端口 / receipt printer port (e.g. /dev/ttyUSB0, serial:/dev/ttyS1?baud=19200, tcp:192.168.1.50:9100, /dev/usb/lp0, usb:1A86:7523); empty = simulated", checkSpec},
	SettingPrinterWidth:     {"纸宽 / paper width: 58 | 80", oneOf("58", "80")},
	SettingSpeakerPort:      {"语音播报端口 / voice speaker port; empty = simulated", checkSpec},
	SettingSpeakerModule:    {"语音模块 / speaker module: syn6288 | xfs5152", oneOf("syn6288", "xfs5152")},
	SettingScannerPort:      {"串口扫码枪端口 / serial scanner port (keyboard-wedge scanners need none)", checkSpec},
	SettingLockPort:         {"智能柜锁控板端口 / cabinet lock line (RS-485) port; empty = simulated", checkSpec},
	SettingLockProtocol:     {"锁控板协议 / lock board protocol: xor | kerong", oneOf("xor", "kerong")},
	SettingLockBoards:       {"锁控板与门数 / boards and lock counts, e.g. 1:12,2:24 (add i for inverted wiring: 3:12i)", func(v string) error { _, err := parseBoards(v); return err }},
	localdb.SettingLanguage: {"界面语言 / language: zh | en | system", oneOf("zh", "en", "system")},
}

func checkSpec(v string) error {
	if v == "" {
		return nil
	}
	_, err := transport.ParseSpec(v)
	return err
}

func oneOf(opts ...string) func(string) error {
	return func(v string) error {
		for _, o := range opts {
			if v == o {
				return nil
			}
		}
		return fmt.Errorf("取值应为 / must be one of %v", opts)
	}
}

func runConfig(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("config", stderr)
	dir := dataDirFlag(fs)
	usage := func() {
		fmt.Fprintln(stderr, "用法 / usage: pos config [--data-dir DIR] list | get KEY | set KEY VALUE")
		keys := make([]string, 0, len(configKeys))
		for k := range configKeys {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(stderr, "  %-16s %s\n", k, configKeys[k].help)
		}
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	rest := fs.Args()
	if len(rest) == 0 {
		usage()
		return 2
	}
	d, err := resolveDataDir(*dir)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	db, err := localdb.Open(dbPath(d))
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	defer db.Close()
	ctx := context.Background()
	switch {
	case rest[0] == "list" && len(rest) == 1:
		keys := make([]string, 0, len(configKeys))
		for k := range configKeys {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			v, _ := db.GetSetting(ctx, k, "")
			fmt.Fprintf(stdout, "%s=%s\n", k, v)
		}
		return 0
	case rest[0] == "get" && len(rest) == 2:
		if _, ok := configKeys[rest[1]]; !ok {
			fmt.Fprintf(stderr, "未知设置 / unknown setting %q\n", rest[1])
			usage()
			return 2
		}
		v, err := db.GetSetting(ctx, rest[1], "")
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		fmt.Fprintln(stdout, v)
		return 0
	case rest[0] == "set" && len(rest) == 3:
		k, v := rest[1], rest[2]
		spec, ok := configKeys[k]
		if !ok {
			fmt.Fprintf(stderr, "未知设置 / unknown setting %q\n", k)
			usage()
			return 2
		}
		if err := spec.check(v); err != nil {
			fmt.Fprintf(stderr, "%s: %v（未修改 / unchanged）\n", k, err)
			return 2
		}
		if err := db.SetSetting(ctx, k, v); err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		fmt.Fprintf(stdout, "%s=%s（重启后生效 / takes effect at the next start）\n", k, v)
		return 0
	}
	usage()
	return 2
}
