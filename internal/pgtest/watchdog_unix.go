//go:build unix

package pgtest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
)

// watchdog stops and removes the cluster if this test binary ends without
// Stop (a -timeout panic, a kill, a package without a TestMain that stops
// it): a detached shell polls our pid.
func watchdog(dir, data string) {
	stop := fmt.Sprintf("%q -D %q -m immediate -w stop", filepath.Join(pg.bin, "pg_ctl"), data)
	if os.Geteuid() == 0 {
		stop = "runuser -u postgres -- " + stop
	}
	script := fmt.Sprintf("while kill -0 %d 2>/dev/null; do sleep 1; done; [ -d %q ] && { %s; rm -rf %q; }; true",
		os.Getpid(), data, stop, dir)
	cmd := exec.Command("sh", "-c", script)
	// Its own process group: a Ctrl-C to the tests must not end the watchdog first.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err == nil {
		go cmd.Wait()
	}
}
