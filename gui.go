package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
	"golang.org/x/image/font/sfnt"

	"cashier/app"
	"cashier/app/auth"
	"cashier/assets"
	"cashier/localdb"
	"cashier/ui/about"
	"cashier/ui/async"
	"cashier/ui/i18n"
	"cashier/ui/postheme"
	"cashier/ui/setup"
	"cashier/ui/shell"
)

var processStart = time.Now()

func runGUI(e env, args []string) (code int) {
	fs := e.newFlags("gui", "cli.gui.usage")
	pos, exit, ok := parseFlags(fs, args)
	if !ok {
		return exit
	}
	if len(pos) > 0 {
		return e.usageErr(fs, "gui", "cli.unexpected_arg", "Arg", pos[0])
	}
	if err := checkDisplay(); err != nil {
		fmt.Fprintln(e.stderr, i18n.Err(err))
		return exitFailed
	}
	if _, err := sfnt.Parse(assets.FontRegular); err != nil {
		fmt.Fprintln(e.stderr, i18n.T("gui.font_broken", "Err", err))
		return exitFailed
	}
	defer func() {
		// The GL driver panics when it cannot create a window (no GPU
		// context, display gone): report it instead of a stack dump.
		if r := recover(); r != nil {
			fmt.Fprintln(e.stderr, i18n.T("gui.no_window", "Err", fmt.Sprint(r)))
			code = exitFailed
		}
	}()

	a := fyneapp.NewWithID(appID)
	dataDir, err := e.dir()
	if e.dataDir == "" && runtime.GOOS == "android" {
		dataDir, err = a.Storage().RootURI().Path(), nil
	}
	if err != nil {
		fmt.Fprintln(e.stderr, i18n.Err(err))
		return exitFailed
	}
	ctx := context.Background()
	s, err := Open(ctx, Options{DataDir: dataDir, Command: commandLine("gui", nil), Lock: true, Seed: true,
		Payments: true, Devices: true, Jobs: true, Log: e.stderr})
	if err != nil {
		fmt.Fprintln(e.stderr, i18n.Err(err))
		return showFatal(a, err)
	}
	defer s.Close()
	e.useLanguage(s)
	a.Settings().SetTheme(postheme.New())
	configured, err := s.Configured(ctx)
	if err != nil {
		fmt.Fprintln(e.stderr, i18n.Err(err))
		return showFatal(a, err)
	}
	if !configured {
		// A folder with channels.json is a live one: set up by a person.
		return runFirstStart(a, s, e)
	}
	return runMain(a, s, e)
}

// runMain starts the services and runs the main window. The event loop
// is not running yet: starting here holds no window up.
func runMain(a fyne.App, s *Services, e env) int {
	st, err := startMain(s)
	if err != nil {
		fmt.Fprintln(e.stderr, i18n.Err(err))
		return showFatal(a, err)
	}
	sh := mainWindow(a, s, e, st)
	a.Lifecycle().SetOnStarted(func() {
		fmt.Fprintf(e.stderr, "startup: login window shown %d ms after process start\n", time.Since(processStart).Milliseconds())
	})
	sh.Window().SetMaster()
	sh.Window().ShowAndRun()
	return exitOK
}

// started is what the main window shows first, read once the services
// have started.
type started struct {
	store app.StoreInfo
	term  app.TerminalInfo
}

// startMain starts the services (channels, devices, jobs) and reads the
// store and terminal: blocking work, never on the UI goroutine.
func startMain(s *Services) (started, error) {
	ctx := context.Background()
	if err := s.Start(ctx); err != nil {
		return started{}, err
	}
	store, term, err := s.Settings.Current(ctx)
	return started{store: store, term: term}, err
}

// mainWindow builds the main window of started services.
func mainWindow(a fyne.App, s *Services, e env, st started) *shell.Shell {
	demoPINs := map[string]string{}
	if s.Demo {
		for _, d := range localdb.DemoStaff {
			demoPINs[d.Code] = d.PIN
		}
	}
	d := shell.Deps{
		Auth: s.Auth, Overrider: s.Auth, Staff: s.DB, Settings: settingsDeps(s), Signals: s.Signals,
		Store: st.store, Terminal: st.term, DemoPINs: demoPINs, Sandbox: s.Sandbox,
		Workspace: workspaces(s),
		About: about.Info{Version: version, DataDir: s.Dir, Database: s.DB.Path(),
			Sandbox: s.Sandbox, Channels: s.ChannelsInfo},
		UseLanguage: func(l string) {
			if e.lang == "" {
				_ = i18n.Use(l)
			}
			s.CustomerDisplay.Relanguage() // the display speaks the app's language
		},
	}
	withShifts(s, &d)
	d.Sync = syncScreens{b: s.Sync, name: st.store.Name + " " + st.term.Name}
	if s.Devices != nil {
		d.Scans = s.Devices.scanCodes
	}
	sh := shell.New(a, d)
	// Closing the window asks first while records wait to go up.
	sh.Window().SetCloseIntercept(func() { sh.ConfirmQuit(sh.Window().Close) })
	startCustomerDisplay(a, s, sh, st.store.Name)
	return sh
}

// runFirstStart shows the set-up form; once the folder is set up the
// services start (off the UI goroutine) and the main window replaces it.
// A start that fails shows its error as runMain does, and the process
// exits non-zero.
func runFirstStart(a fyne.App, s *Services, e env) int {
	var code atomic.Int32 // set on the UI goroutine, read after the loop ends
	w := a.NewWindow(shell.WindowTitle)
	w.Resize(fyne.NewSize(1024, 720))
	form := setup.New(initializer{s}, w.Canvas().Focus, func() {
		w.SetContent(container.NewCenter(widget.NewProgressBarInfinite()))
		var st started
		var err error
		async.Run(func() { st, err = startMain(s) }, func() {
			if err != nil {
				fmt.Fprintln(e.stderr, i18n.Err(err))
				code.Store(exitFailed)
				fw := fatalWindow(a, err)
				fw.SetMaster()
				fw.Show()
				w.Close()
				return
			}
			sh := mainWindow(a, s, e, st)
			sh.Window().SetMaster()
			sh.Window().Show()
			w.Close()
		})
	})
	w.SetContent(form.Content())
	form.FocusFirst()
	// Not the master window: closing it must not quit once the main
	// window has taken over.
	w.ShowAndRun()
	return int(code.Load())
}

// initializer sets the data folder up from the first-start form.
type initializer struct{ s *Services }

func (i initializer) Init(ctx context.Context, f setup.Form) error {
	_, err := i.s.DB.InitLive(ctx, auth.DefaultPINHasher, i.s.Clock.Now(), localdb.LiveSetup{
		Store: strings.TrimSpace(f.Store), Terminal: strings.TrimSpace(f.Terminal), AdminCode: f.AdminCode,
		AdminName: f.AdminName, PIN: f.PIN, Language: i18n.Current()})
	return err
}

// checkDisplay refuses to start the GUI where no display exists, because
// the GL driver would otherwise abort the process.
func checkDisplay() error {
	switch runtime.GOOS {
	case "linux", "freebsd", "openbsd", "netbsd":
		if os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
			return errNoDisplay
		}
	}
	return nil
}

// errNoDisplay: no graphical display to open the window on.
var errNoDisplay = app.NewError("gui.no_display")

// showFatal shows an error window (the counter has no terminal to read)
// until it is closed and returns the exit code.
func showFatal(a fyne.App, err error) int {
	fatalWindow(a, err).ShowAndRun()
	return exitFailed
}

// fatalWindow is the error window. A damaged database gets an offer to
// restore the newest backup; the damaged file is moved aside, never
// overwritten.
func fatalWindow(a fyne.App, err error) fyne.Window {
	a.Settings().SetTheme(postheme.New())
	w := a.NewWindow(shell.WindowTitle + " — " + i18n.T("gui.error"))
	msg := widget.NewLabel(i18n.Err(err))
	msg.Wrapping = fyne.TextWrapWord
	buttons := container.NewHBox(widget.NewButton(i18n.T("gui.quit"), a.Quit))
	var corrupt *localdb.ErrCorrupt
	if errors.As(err, &corrupt) && corrupt.LastBackup != "" {
		var restore *widget.Button
		restore = widget.NewButton(i18n.T("gui.restore"), func() {
			restore.Disable()
			var moved string
			var rerr error
			// Copying the database is file work: off the UI goroutine.
			async.Run(func() { moved, rerr = localdb.RestoreBackup(corrupt.Path, corrupt.LastBackup) }, func() {
				if rerr != nil {
					msg.SetText(msg.Text + "\n\n" + i18n.T("gui.restore_failed", "Err", rerr))
					return
				}
				msg.SetText(i18n.T("gui.restored", "Backup", corrupt.LastBackup, "Moved", moved))
			})
		})
		restore.Importance = widget.HighImportance
		buttons.Add(restore)
	}
	w.SetContent(container.NewBorder(nil, buttons, nil, nil, container.NewVScroll(msg)))
	w.Resize(fyne.NewSize(760, 320))
	return w
}
