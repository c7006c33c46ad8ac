package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/app/summary"
	"cashier/sync/backoffice/protocol"
	"cashier/sync/backoffice/server"
)

// chainServer is `pos backoffice serve` on a SQLite file, listening on a free
// loopback port, stopped when the test ends.
type chainServer struct {
	url  string
	out  *lockedBuffer
	stop func()
}

func serveBackoffice(t *testing.T, args ...string) *chainServer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	serveContext = func() (context.Context, context.CancelFunc) { return ctx, cancel }
	s := &chainServer{out: &lockedBuffer{}}
	var serr lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(append([]string{"--lang", "en", "backoffice", "serve", "--listen", "127.0.0.1:0"}, args...), s.out, &serr)
	}()
	require.Eventually(t, func() bool {
		m := regexp.MustCompile(`serving at (http://\S+)`).FindStringSubmatch(s.out.String())
		if m != nil {
			s.url = m[1]
		}
		return s.url != ""
	}, 30*time.Second, 10*time.Millisecond, "the address it serves at: "+serr.String())
	stopped := false
	s.stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case rc := <-done:
			assert.Equal(t, exitOK, rc, serr.String())
		case <-time.After(30 * time.Second):
			t.Error("serve did not stop when cancelled")
		}
		serveContext = signalContext
	}
	t.Cleanup(s.stop)
	return s
}

// enrolTerminal spends a code over HTTP, as a terminal does.
func enrolTerminal(t *testing.T, url, code, name string) protocol.Credentials {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"code": code, "name": name})
	req, err := http.NewRequest(http.MethodPost, url+"/v1/enrol", bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set(protocol.HeaderProtocol, "1")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var en protocol.Enrolment
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&en))
	secret, err := base64.StdEncoding.DecodeString(en.Secret)
	require.NoError(t, err)
	return protocol.Credentials{Terminal: en.Terminal, Secret: secret}
}

// pushTakings pushes takings rows as a terminal's outbox does: the local row's
// columns by name, signed by the terminal.
func pushTakings(t *testing.T, url string, c protocol.Credentials, rows []map[string]any) {
	t.Helper()
	var recs []protocol.Record
	for _, r := range rows {
		r["_table"] = "takings"
		b, err := json.Marshal(r)
		require.NoError(t, err)
		recs = append(recs, protocol.Record{Terminal: c.Terminal, Topic: "takings", ID: fmt.Sprintf("takings:%v", r["id"]), Version: 1, Payload: b})
	}
	body, err := json.Marshal(protocol.Batch{Records: recs})
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodPost, url+"/v1/push", bytes.NewReader(body))
	require.NoError(t, err)
	require.NoError(t, protocol.Sign(req, body, c, time.Now()))
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, string(b))
}

// chromium finds Debian's chromium; the chain view's test needs it.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("chromium is not installed: run `make deps` (installs Debian's chromium), which `make test` does first")
	return ""
}

// headless runs chromium on url with extra flags, with a deadline.
func headless(t *testing.T, bin, url string, flags ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	args := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
		"--user-data-dir=" + t.TempDir(), "--window-size=1024,768"}, flags...)
	cmd := exec.CommandContext(ctx, bin, append(args, url)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	require.NoError(t, cmd.Run(), "chromium %v: %s", flags, errb.String())
	return out.Bytes()
}

// yuanText is the page's way of writing money: ¥1,234.56.
func yuanText(m app.Money) string {
	whole := strconv.FormatInt(int64(m)/100, 10)
	var b strings.Builder
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return fmt.Sprintf("¥%s.%02d", b.String(), int64(m)%100)
}

// TestSmoke_ChainViewInChromium: `pos backoffice serve` with two stores' terminals
// pushing their takings; Debian's headless chromium loads the chain view and shows
// the stores, the terminals and the summary engine's totals, in a 1024-wide window.
// The screenshot goes to a temporary folder, or to docs/screenshots with
// POS_SCREENSHOTS (make screenshots).
func TestSmoke_ChainViewInChromium(t *testing.T) {
	bin := chromium(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "bo.db")
	code := func(store string) string {
		rc, out, errs := runCmd(t, nil, "backoffice", "enrol", "--db", db, "--store", store, "--url", "http://127.0.0.1:8700")
		require.Equal(t, exitOK, rc, out+errs)
		m := regexp.MustCompile(`store ` + store + `: (\S+) \(one use`).FindStringSubmatch(out)
		require.NotNil(t, m, out)
		return m[1]
	}
	codes := []string{code("S01"), code("S01"), code("S02"), code("S02")}
	// The stores' names, as the back office publishes them to its terminals.
	key, err := os.ReadFile(db + ".key")
	require.NoError(t, err)
	st, err := server.OpenSQLite(context.Background(), db, key)
	require.NoError(t, err)
	_, err = st.Publish(context.Background(), []server.MasterPut{
		{Topic: "stores", ID: "S01", Payload: json.RawMessage(`{"name":"人民路店","address":"人民路 18 号"}`)},
		{Topic: "stores", ID: "S02", Payload: json.RawMessage(`{"name":"解放路店"}`)},
	}, time.Now())
	require.NoError(t, err)
	require.NoError(t, st.Close())

	srv := serveBackoffice(t, "--db", db)
	assert.Contains(t, srv.out.String(), "chain view at "+srv.url+"/ (this machine only")
	terms := []protocol.Credentials{
		enrolTerminal(t, srv.url, codes[0], "1号收银台"),
		enrolTerminal(t, srv.url, codes[1], "2号收银台"),
		enrolTerminal(t, srv.url, codes[2], "前台收银"),
		enrolTerminal(t, srv.url, codes[3], "吧台收银"), // never pushes
	}

	// A day's takings at three terminals, and the day before's.
	now := time.Now()
	today, yesterday := summary.DayOf(now, time.Local), summary.DayOf(now.AddDate(0, 0, -1), time.Local)
	var rows [3][]summary.Row
	id := 0
	add := func(ti int, day summary.Day, kind, method string, amount, discount int64) map[string]any {
		id++
		if day == today {
			rows[ti] = append(rows[ti], summary.Row{Kind: summary.Kind(kind), Method: summary.Method(method), Count: 1,
				Amount: app.Money(amount), Discount: app.Money(discount)})
		}
		return map[string]any{"id": id, "kind": kind, "ref": fmt.Sprintf("tender:%d", id), "store_id": 1, "staff_id": 1 + ti,
			"shift_id": 1, "order_id": id, "method": method, "amount": amount, "discount": discount,
			"at": now.UnixMilli(), "business_day": day.Int()}
	}
	methods := []string{"wechat", "wechat", "alipay", "cash", "wechat", "unionpay", "member", "alipay"}
	for ti := range 3 {
		var batch []map[string]any
		for i := range 24 + 9*ti {
			amount := int64(1280 + (i*7919+ti*104729)%23000)
			discount := int64(0)
			if i%6 == 0 {
				discount = 200
			}
			batch = append(batch, add(ti, today, "sale", methods[(i+ti)%len(methods)], amount, discount))
		}
		batch = append(batch,
			add(ti, today, "refund", "wechat", 1580+int64(ti)*300, 0),
			add(ti, yesterday, "sale", "cash", 9_999_900, 0))
		if ti == 0 {
			batch = append(batch,
				add(ti, today, "deposit_hold", "wechat", 50000, 0),
				add(ti, today, "deposit_consume", "wechat", 32000, 0),
				add(ti, today, "deposit_release", "wechat", 18000, 0))
		}
		pushTakings(t, srv.url, terms[ti], batch)
	}
	chain := summary.Compute(append(append(append([]summary.Row{}, rows[0]...), rows[1]...), rows[2]...))
	s01 := summary.Compute(append(append([]summary.Row{}, rows[0]...), rows[1]...))
	s02 := summary.Compute(rows[2])

	// The JSON agrees with the summary engine.
	resp, err := http.Get(srv.url + "/v1/reports/summary?day=" + today.String())
	require.NoError(t, err)
	var js server.ChainSummary
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&js))
	resp.Body.Close()
	assert.Equal(t, chain.Total.Received, js.Chain.Total.Received)
	assert.Equal(t, chain.Total.TxCount, js.Chain.Total.TxCount)

	url := srv.url + "/chain?day=" + today.String()
	dom := string(headless(t, bin, url, "--dump-dom"))
	for _, want := range []string{"连锁总览", "人民路店", "解放路店", "1号收银台", "2号收银台", "前台收银", "吧台收银", "从未同步", "正常",
		terms[0].Terminal, terms[3].Terminal,
		yuanText(chain.Total.Received), yuanText(chain.Total.TxAmount), yuanText(chain.Total.Refund),
		yuanText(s01.Total.Received), yuanText(s02.Total.Received), yuanText(chain.Deposits.Taken)} {
		assert.Contains(t, dom, want)
	}
	assert.NotContains(t, dom, yuanText(9_999_900*3), "yesterday's takings are not today's")
	en := string(headless(t, bin, url+"&lang=en", "--dump-dom"))
	for _, want := range []string{"Chain overview", "Received", "Never synced", "人民路店", yuanText(chain.Total.Received)} {
		assert.Contains(t, en, want)
	}

	shot := filepath.Join(screenshotDir(t), "chain-view.png")
	headless(t, bin, url, "--screenshot="+shot)
	f, err := os.Open(shot)
	require.NoError(t, err)
	img, err := png.Decode(f)
	f.Close()
	require.NoError(t, err)
	require.Equal(t, image.Rect(0, 0, 1024, 768), img.Bounds())
	// It fits: below the header bar the page's margin, right of its 1000-px column,
	// is the background all the way down.
	bg := color.RGBA{0xf2, 0xf4, 0xf7, 0xff}
	for y := 60; y < 768; y += 4 {
		for x := 1014; x < 1024; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			if uint8(r>>8) != bg.R || uint8(g>>8) != bg.G || uint8(b>>8) != bg.B {
				t.Fatalf("pixel (%d,%d) is %v, not the background: the page runs past 1024 px", x, y, img.At(x, y))
			}
		}
	}
	// And it shows the received total in the accent colour (the page rendered, with styles).
	accent := 0
	for y := 60; y < 400; y++ {
		for x := 0; x < 1024; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			if uint8(r>>8) == 0x0f && uint8(g>>8) == 0x7b && uint8(b>>8) == 0x5f {
				accent++
			}
		}
	}
	assert.Greater(t, accent, 500, "the accent colour is missing: the page's styles did not apply")
}

// With --view-password-file the view asks everyone for it (Basic auth, user view);
// bad flag values are refused before the server starts.
func TestBackofficeCLI_ChainViewPassword(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "bo.db")
	pw := filepath.Join(dir, "view.pw")
	require.NoError(t, os.WriteFile(pw, []byte("门店 secret\n"), 0o600))
	srv := serveBackoffice(t, "--db", db, "--view-password-file", pw, "--view-zone", "Asia/Shanghai")
	assert.Contains(t, srv.out.String(), "chain view at "+srv.url+"/ (user view")
	get := func(path, user, pass string) int {
		req, err := http.NewRequest(http.MethodGet, srv.url+path, nil)
		require.NoError(t, err)
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, p := range []string{"/", "/chain?lang=en", "/v1/reports/summary?day=2026-12-01"} {
		assert.Equal(t, http.StatusUnauthorized, get(p, "", ""), p)
		assert.Equal(t, http.StatusUnauthorized, get(p, "view", "门店 secret\n"), p)
		assert.Equal(t, http.StatusUnauthorized, get(p, "admin", "门店 secret"), p)
		assert.Equal(t, http.StatusOK, get(p, "view", "门店 secret"), p)
	}
	// Today in the zone asked for.
	req, _ := http.NewRequest(http.MethodGet, srv.url+"/v1/reports/summary", nil)
	req.SetBasicAuth("view", "门店 secret")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	var js server.ChainSummary
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&js))
	resp.Body.Close()
	sh, _ := time.LoadLocation("Asia/Shanghai")
	if d := summary.DayOf(time.Now(), sh).String(); js.Day != d {
		// The day may have turned between the two readings of the clock.
		assert.Equal(t, summary.DayOf(time.Now().Add(-time.Minute), sh).String(), js.Day)
	}
	srv.stop()

	empty := filepath.Join(dir, "empty.pw")
	require.NoError(t, os.WriteFile(empty, []byte("\n"), 0o600))
	for _, args := range [][]string{
		{"--view-password-file", empty},
		{"--view-password-file", filepath.Join(dir, "missing.pw")},
		{"--view-zone", "Mars/Olympus"},
	} {
		rc, _, errs := runCmd(t, nil, append([]string{"backoffice", "serve", "--db", filepath.Join(dir, "x.db"), "--listen", "127.0.0.1:0"}, args...)...)
		assert.Equal(t, exitUsage, rc, "%v: %s", args, errs)
	}
	_, err = os.Stat(filepath.Join(dir, "x.db"))
	assert.True(t, os.IsNotExist(err), "nothing was written")
}
