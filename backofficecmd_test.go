package main

import (
	"bytes"
	"context"
	"encoding/json"
	"image/png"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pos backoffice enrol issues a one-time code (printed, and as a QR the
// terminal scans); pos backoffice serve serves the sync protocol on a
// SQLite file, where that code enrols a terminal once. Bad input is
// refused before anything is written.
func TestBackofficeCLI_EnrolAndServe(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "bo.db")
	qr := filepath.Join(dir, "enrol.png")
	rc, out, errs := runCmd(t, nil, "backoffice", "enrol", "--db", db, "--store", "S01", "--url", "http://127.0.0.1:8700", "--qr", qr)
	require.Equal(t, exitOK, rc, out+errs)
	m := regexp.MustCompile(`store S01: (\S+) \(one use`).FindStringSubmatch(out)
	require.NotNil(t, m, out)
	code := m[1]
	st, err := os.Stat(db + ".key")
	require.NoError(t, err, "the seal key is made beside the database")
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())

	// The QR holds the address and the code.
	f, err := os.Open(qr)
	require.NoError(t, err)
	img, err := png.Decode(f)
	f.Close()
	require.NoError(t, err)
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	require.NoError(t, err)
	res, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
	require.NoError(t, err)
	var q EnrolQR
	require.NoError(t, json.Unmarshal([]byte(res.GetText()), &q))
	assert.Equal(t, EnrolQR{V: 1, URL: "http://127.0.0.1:8700", Code: code}, q)

	// Serve on a free port until cancelled.
	ctx, cancel := context.WithCancel(context.Background())
	serveContext = func() (context.Context, context.CancelFunc) { return ctx, cancel }
	t.Cleanup(func() { serveContext = signalContext })
	var sout, serr lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- run([]string{"--lang", "en", "backoffice", "serve", "--db", db, "--listen", "127.0.0.1:0"}, &sout, &serr)
	}()
	var url string
	require.Eventually(t, func() bool {
		m := regexp.MustCompile(`serving at (http://\S+)`).FindStringSubmatch(sout.String())
		if m != nil {
			url = m[1]
		}
		return url != ""
	}, 30*time.Second, 10*time.Millisecond, "the address it serves at: "+serr.String())
	resp, err := http.Get(url + "/v1/health")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)

	enrol := func() int {
		req, err := http.NewRequest(http.MethodPost, url+"/v1/enrol", bytes.NewBufferString(`{"code":"`+code+`","name":"1号收银台"}`))
		require.NoError(t, err)
		req.Header.Set("X-Pos-Protocol", "1")
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	assert.Equal(t, http.StatusOK, enrol(), "the code enrols a terminal")
	assert.NotEqual(t, http.StatusOK, enrol(), "once")
	cancel()
	select {
	case rc := <-done:
		assert.Equal(t, exitOK, rc, serr.String())
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop when cancelled")
	}

	// Refused before anything is written.
	for _, args := range [][]string{
		{"backoffice", "enrol", "--db", filepath.Join(dir, "x.db"), "--url", "http://h"},                // no store
		{"backoffice", "enrol", "--db", filepath.Join(dir, "x.db"), "--store", "S", "--url", "ftp://h"}, // bad url
		{"backoffice", "enrol", "--db", filepath.Join(dir, "x.db"), "--store", "S", "--url", "http://h", "--valid", "0s"},
		{"backoffice", "enrol", "--db", filepath.Join(dir, "x.db"), "--store", "S", "--url", "http://h", "--qr", "a.jpg"},
		{"backoffice", "enrol", "--db", "postgres://u@h/db", "--store", "S", "--url", "http://h"}, // no --key
		{"backoffice", "serve", "--db", filepath.Join(dir, "x.db"), "--cert", "c.pem"},            // no cert key
		{"backoffice", "frobnicate"},
	} {
		rc, _, errs := runCmd(t, nil, args...)
		assert.Equal(t, exitUsage, rc, "%v: %s", args, errs)
	}
	_, err = os.Stat(filepath.Join(dir, "x.db"))
	assert.True(t, os.IsNotExist(err), "nothing was written")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "short.key"), []byte("short"), 0o600))
	rc, _, errs = runCmd(t, nil, "backoffice", "enrol", "--db", filepath.Join(dir, "y.db"), "--key", filepath.Join(dir, "short.key"),
		"--store", "S", "--url", "http://h")
	assert.Equal(t, exitUsage, rc)
	assert.True(t, strings.Contains(errs, "want 32"), errs)
}
