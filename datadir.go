package main

import (
	"os"
	"path/filepath"
	"runtime"

	"cashier/app"
)

// appID is the reverse-DNS id from FyneApp.toml; it names the data folder.
const appID = "cn.poscashier.pos"

// defaultDataDir is the per-OS user data folder: %AppData%\<id> on Windows,
// ~/Library/Application Support/<id> on macOS, $XDG_DATA_HOME/<id> (or
// ~/.local/share/<id>) elsewhere. Android uses Fyne's app storage instead
// (see gui.go).
func defaultDataDir() (string, error) {
	switch runtime.GOOS {
	case "windows", "darwin":
		d, err := os.UserConfigDir()
		if err != nil {
			return "", err
		}
		return filepath.Join(d, appID), nil
	}
	if x := os.Getenv("XDG_DATA_HOME"); x != "" {
		return filepath.Join(x, appID), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", ErrNoHome.Wrap(err)
	}
	return filepath.Join(home, ".local", "share", appID), nil
}

// ErrNoHome: no home folder to keep the default data folder in.
var ErrNoHome = app.NewError("datadir.no_home")

func resolveDataDir(flagValue string) (string, error) {
	if flagValue != "" {
		return filepath.Abs(flagValue)
	}
	return defaultDataDir()
}

func dbPath(dir string) string { return filepath.Join(dir, "pos.db") }
