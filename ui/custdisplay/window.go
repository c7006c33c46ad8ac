package custdisplay

import (
	"fyne.io/fyne/v2"

	"cashier/ui/i18n"
)

// WindowTitle is the display window's title in Chinese, the default
// language: the screenshot helper and the installer find it by it.
const WindowTitle = "顾客屏"

// Window is the customer display in a window of its own, for a second
// screen facing the customer. It is made once and opened or closed as the
// terminal's setting says; Show works whether it is open or not (a window
// opened later shows the last screen at once), and on a nil *Window, so
// the Counter drives it without asking whether there is one. Every method
// runs on the UI goroutine.
type Window struct {
	app  fyne.App
	deps Deps
	win  fyne.Window
	view *View
	last Screen
	full bool
}

// NewWindow makes the display for app a; nothing opens until Open.
func NewWindow(a fyne.App, d Deps) *Window { return &Window{app: a, deps: d} }

// Open shows the window (nothing when it is open already). A customer
// cannot close it from their side: it closes with the setting or with
// the main window. F11 toggles full screen on the screen it is on.
func (w *Window) Open() {
	if w == nil || w.win != nil {
		return
	}
	w.win = w.app.NewWindow(i18n.T("custdisplay.title"))
	w.win.SetCloseIntercept(func() {})
	win := w.win
	w.win.SetOnClosed(func() {
		// Closed from outside (the app quitting): forget it, so Show
		// keeps working and Open makes a new one.
		if w.win == win {
			w.view.Stop()
			w.win, w.view = nil, nil
		}
	})
	w.win.Canvas().SetOnTypedKey(func(k *fyne.KeyEvent) {
		if k.Name == fyne.KeyF11 {
			w.full = !w.full
			w.win.SetFullScreen(w.full)
		}
	})
	w.build()
	w.win.Resize(fyne.NewSize(1024, 600))
	w.win.Show()
}

func (w *Window) build() {
	if w.view != nil {
		w.view.Stop()
	}
	w.view = New(w.deps)
	w.view.Show(w.last)
	w.win.SetContent(w.view.Content())
}

// Close closes the window; the display keeps the last screen for when it
// opens again.
func (w *Window) Close() {
	if w == nil || w.win == nil {
		return
	}
	win := w.win
	w.view.Stop()
	w.win, w.view = nil, nil
	win.Close()
}

// IsOpen reports whether the window is open.
func (w *Window) IsOpen() bool { return w != nil && w.win != nil }

// Window is the open window (nil when closed).
func (w *Window) Window() fyne.Window {
	if w == nil {
		return nil
	}
	return w.win
}

// View is the open window's content (nil when closed).
func (w *Window) View() *View {
	if w == nil {
		return nil
	}
	return w.view
}

// Show puts s on the display, or keeps it for when the window opens.
func (w *Window) Show(s Screen) {
	if w == nil {
		return
	}
	w.last = s
	if w.view != nil {
		w.view.Show(s)
	}
}

// SetStoreName changes the store's name shown (settings changed).
func (w *Window) SetStoreName(name string) {
	if w == nil {
		return
	}
	w.deps.StoreName = name
	if w.view != nil {
		w.view.SetStoreName(name)
	}
}

// Relanguage rebuilds the open display in the language now in use (after
// i18n.Use), keeping what it shows.
func (w *Window) Relanguage() {
	if w == nil || w.win == nil {
		return
	}
	w.win.SetTitle(i18n.T("custdisplay.title"))
	w.build()
}
