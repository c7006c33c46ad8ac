package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"time"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
	"golang.org/x/image/font/sfnt"

	"cashier/app"
	"cashier/assets"
	"cashier/localdb"
	"cashier/ui/about"
	"cashier/ui/i18n"
	"cashier/ui/postheme"
	"cashier/ui/shell"
)

var processStart = time.Now()

func runGUI(args []string, stdout, stderr io.Writer) (code int) {
	fs := newFlagSet("gui", stderr)
	dir := dataDirFlag(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "未知参数 / unexpected arguments: %v\n", fs.Args())
		return 2
	}
	if err := checkDisplay(); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	if _, err := sfnt.Parse(assets.FontRegular); err != nil {
		fmt.Fprintf(stderr, "内置中文字体损坏 / the bundled CJK font is unreadable: %v\n", err)
		return 1
	}
	defer func() {
		// The GL driver panics when it cannot create a window (no GPU
		// context, display gone): report it instead of a stack dump.
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "无法打开窗口 / cannot open the window: %v\n", r)
			code = 1
		}
	}()

	a := fyneapp.NewWithID(appID)
	dataDir, err := resolveDataDir(*dir)
	if *dir == "" && runtime.GOOS == "android" {
		dataDir, err = a.Storage().RootURI().Path(), nil
	}
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	ctx := context.Background()
	db, err := localdb.Open(dbPath(dataDir))
	if err != nil {
		fmt.Fprintln(stderr, err)
		return showFatal(a, err)
	}
	defer db.Close()
	clock := app.SystemClock{}
	if _, err := db.SeedDemo(ctx, app.DefaultPINHasher, clock.Now()); err != nil {
		fmt.Fprintln(stderr, err)
		return showFatal(a, err)
	}
	language, _ := db.GetSetting(ctx, localdb.SettingLanguage, i18n.Chinese)
	if err := i18n.Load(language); err != nil {
		fmt.Fprintln(stderr, "translations:", err)
	}
	a.Settings().SetTheme(postheme.New())

	store, err := db.CurrentStore(ctx)
	if err != nil {
		return showFatal(a, err)
	}
	term, err := db.CurrentTerminal(ctx)
	if err != nil {
		return showFatal(a, err)
	}
	demoPINs := map[string]string{}
	if db.IsDemo(ctx) {
		for _, s := range localdb.DemoStaff {
			demoPINs[s.Code] = s.PIN
		}
	}
	rt, err := startRuntime(ctx, dataDir, db, clock, stderr)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return showFatal(a, err)
	}
	defer rt.Close()

	sh := shell.New(a, shell.Deps{
		Auth:      &app.Auth{Store: db, Clock: clock, Hasher: app.DefaultPINHasher},
		Staff:     db,
		Settings:  app.Settings{Store: db},
		Store:     store,
		Terminal:  term,
		DemoPINs:  demoPINs,
		Sandbox:   rt.Sandbox,
		Workspace: rt.Workspaces(),
		About: about.Info{Version: version, DataDir: dataDir, Database: db.Path(),
			Sandbox: rt.Sandbox, Channels: rt.ChannelsDescription()},
	})
	a.Lifecycle().SetOnStarted(func() {
		fmt.Fprintf(stderr, "startup: login window shown %d ms after process start\n", time.Since(processStart).Milliseconds())
	})
	sh.Window().SetMaster()
	sh.Window().ShowAndRun()
	return 0
}

// checkDisplay refuses to start the GUI where no display exists, because
// the GL driver would otherwise abort the process.
func checkDisplay() error {
	switch runtime.GOOS {
	case "linux", "freebsd", "openbsd", "netbsd":
		if os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
			return errors.New("没有图形显示（DISPLAY 未设置）。请在桌面环境中运行，或用 xvfb-run；命令行功能见 pos help / no graphical display (DISPLAY is not set): run inside a desktop session or under xvfb-run; see `pos help` for the command-line tools")
		}
	}
	return nil
}

// showFatal shows an error window (the counter has no terminal to read)
// and returns the exit code. A damaged database gets an offer to restore
// the newest backup; the damaged file is moved aside, never overwritten.
func showFatal(a fyne.App, err error) int {
	a.Settings().SetTheme(postheme.New())
	w := a.NewWindow(shell.WindowTitle + " — 错误 / error")
	msg := widget.NewLabel(err.Error())
	msg.Wrapping = fyne.TextWrapWord
	buttons := container.NewHBox(widget.NewButton("退出 / Quit", a.Quit))
	var corrupt *localdb.ErrCorrupt
	if errors.As(err, &corrupt) && corrupt.LastBackup != "" {
		var restore *widget.Button
		restore = widget.NewButton("用最近的备份恢复（损坏的文件会保留）/ Restore the last backup (the damaged file is kept)", func() {
			restore.Disable()
			moved, rerr := localdb.RestoreBackup(corrupt.Path, corrupt.LastBackup)
			if rerr != nil {
				msg.SetText(msg.Text + "\n\n恢复失败 / restore failed: " + rerr.Error())
				return
			}
			msg.SetText(fmt.Sprintf("已从 %s 恢复。损坏的文件已移到 %s。请重新启动程序。\nRestored from %s; the damaged file was moved to %s. Start the app again.",
				corrupt.LastBackup, moved, corrupt.LastBackup, moved))
		})
		restore.Importance = widget.HighImportance
		buttons.Add(restore)
	}
	w.SetContent(container.NewBorder(nil, buttons, nil, nil, container.NewVScroll(msg)))
	w.Resize(fyne.NewSize(760, 320))
	w.ShowAndRun()
	return 1
}
