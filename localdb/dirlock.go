package localdb

import (
	"bufio"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"cashier/app"
)

// LockFileName is the data folder's lock file. Its contents name the
// holder for the message a second process prints; the lock itself is the
// operating system's (flock / LockFileEx), so a killed holder's stale file
// is taken over, never trusted by its contents alone.
const LockFileName = "pos.lock"

// ErrDirLocked: another process drives this data folder. PID and Command
// name it.
var ErrDirLocked = app.NewError("datadir.locked")

// DirLock is a held lock on a data folder.
type DirLock struct {
	f *os.File
}

// LockDir takes the data folder's exclusive lock for command (what the
// holder is doing, shown to a second process), without waiting. The lock
// lasts until Release or the end of the process (a crash releases it).
func LockDir(dir, command string) (*DirLock, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, ErrDirNotWritable.With("Dir", dir).Wrap(err)
	}
	path := filepath.Join(dir, LockFileName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, ErrDirNotWritable.With("Dir", dir).Wrap(err)
	}
	if err := lockFile(f); err != nil {
		f.Close()
		if errors.Is(err, errWouldBlock) {
			h, _ := ReadLockHolder(dir)
			return nil, ErrDirLocked.With("PID", h.PID, "Command", h.Command, "Dir", dir)
		}
		return nil, ErrDirNotWritable.With("Dir", dir).Wrap(err)
	}
	// Ours now: say who holds it, replacing whatever a dead holder left.
	// Written first and then cut to length, so a second process reading
	// it meanwhile never sees an empty file. The holder text is only for
	// the message: the OS lock is what counts, so a failure to write it
	// is logged, not fatal.
	b := []byte(fmt.Sprintf("pid=%d\ncommand=%s\nsince=%s\n", os.Getpid(),
		strings.ReplaceAll(command, "\n", " "), time.Now().Format(time.RFC3339)))
	if _, err := f.WriteAt(b, 0); err != nil {
		slog.Warn("data folder lock: cannot write the holder", "path", path, "err", err)
	} else if err := f.Truncate(int64(len(b))); err != nil {
		slog.Warn("data folder lock: cannot write the holder", "path", path, "err", err)
	}
	_ = f.Sync()
	return &DirLock{f: f}, nil
}

// Release lets the lock go (the file stays; its contents are stale from
// now on and are overwritten by the next holder).
func (l *DirLock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	_ = unlockFile(l.f)
	err := l.f.Close()
	l.f = nil
	return err
}

// LockHolder is what the lock file says about its holder.
type LockHolder struct {
	PID     int
	Command string
	Since   time.Time
}

// ReadLockHolder reads the lock file's contents (which may be stale: only
// the OS lock tells whether the holder lives).
func ReadLockHolder(dir string) (LockHolder, error) {
	f, err := os.Open(filepath.Join(dir, LockFileName))
	if err != nil {
		return LockHolder{}, err
	}
	defer f.Close()
	var h LockHolder
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), "=")
		switch k {
		case "pid":
			h.PID, _ = strconv.Atoi(v)
		case "command":
			h.Command = v
		case "since":
			h.Since, _ = time.Parse(time.RFC3339, v)
		}
	}
	return h, sc.Err()
}
