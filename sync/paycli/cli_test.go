package paycli_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"poscashier/sync/paycli"
)

// sharedSandboxDir is one demo sandbox (keys, certificates) for the whole
// package: generating RSA keys per test would dominate the run time.
var sharedSandboxDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "paycli-sandbox-")
	if err != nil {
		panic(err)
	}
	sharedSandboxDir = filepath.Join(dir, "sandbox")
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func runCLI(t *testing.T, f func(args []string, stdout, stderr *bytes.Buffer) int, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	rc := f(args, &out, &errb)
	return rc, out.String(), errb.String()
}

func payCmd(env paycli.Env) func([]string, *bytes.Buffer, *bytes.Buffer) int {
	return func(a []string, o, e *bytes.Buffer) int { return paycli.Pay(a, o, e, env) }
}

func refundCmd(env paycli.Env) func([]string, *bytes.Buffer, *bytes.Buffer) int {
	return func(a []string, o, e *bytes.Buffer) int { return paycli.Refund(a, o, e, env) }
}

func TestPayCLI_Success(t *testing.T) {
	data := t.TempDir()
	rc, out, errs := runCLI(t, payCmd(paycli.Env{}), "--data-dir", data, "--sandbox-dir", sharedSandboxDir,
		"--channel", "wechat", "--code", "134567890123456789", "--amount", "12.50")
	t.Log(out, errs)
	require.Equal(t, 0, rc)
	assert.Contains(t, out, "final state: paid")
}
