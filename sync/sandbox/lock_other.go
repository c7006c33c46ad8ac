//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package sandbox

import (
	"io"
	"os"
	"time"
)

// lockFile only creates path here: two sandboxes started on one ledger
// file on this system are not stopped from writing it both.
func lockFile(path string, _ time.Duration) (io.Closer, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	return f, nil
}
