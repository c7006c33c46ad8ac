package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode"

	"cashier/app"
	"cashier/app/summary"
	"cashier/sync/backoffice/protocol"
)

var (
	chainDay = summary.Day{Year: 2026, Month: 12, D: 1}
	dayInt   = chainDay.Int()
)

// testClock is the handler's clock, moved by the test.
type testClock struct{ off atomic.Int64 }

func (c *testClock) Now() time.Time       { return time.Now().Add(time.Duration(c.off.Load())) }
func (c *testClock) Skip(d time.Duration) { c.off.Add(int64(d)) }

// chainEnv is a server with the chain's data: store S1 (人民路店) with terminals
// a and b, store S2 (解放路店) with c, which pushed, and d, which never did.
type chainEnv struct {
	*env
	clock      *testClock
	a, b, c, d protocol.Credentials
	// rows of each terminal, as pushed (valid rows only).
	rows map[string][]takingsRow
}

func newChainEnv(t *testing.T, open opener, o Options) *chainEnv {
	t.Helper()
	st := open(t)
	ce := &chainEnv{clock: &testClock{}, rows: map[string][]takingsRow{}}
	o.Now = ce.clock.Now
	srv := httptest.NewServer(New(st, o))
	t.Cleanup(srv.Close)
	ce.env = &env{st: st, url: srv.URL}
	ce.a, ce.b = ce.enrol(t, "S1"), ce.enrol(t, "S1")
	ce.c, ce.d = ce.enrol(t, "S2"), ce.enrol(t, "S2")
	if _, err := st.Publish(context.Background(), []MasterPut{
		{Topic: "stores", ID: "S1", Payload: json.RawMessage(`{"name":"人民路店","address":"人民路 1 号"}`)},
		{Topic: "stores", ID: "S2", Payload: json.RawMessage(`{"name":"解放路店"}`)},
		{Topic: "stores", ID: "S9", Deleted: true},
		// The back office's own name for a terminal wins over the one it enrolled with.
		{Topic: "terminals", ID: ce.c.Terminal, Payload: json.RawMessage(`{"store":"S2","name":"前台"}`)},
	}, time.Now()); err != nil {
		t.Fatal(err)
	}
	shift := int64(3)
	n := int64(0)
	row := func(kind, method string, amount, discount int64, day int) takingsRow {
		n++
		order := 100 + n
		return takingsRow{ID: n, Kind: kind, Ref: fmt.Sprintf("tender:%d", n), StoreID: 1, StaffID: 2, ShiftID: &shift, OrderID: &order,
			Method: method, Amount: amount, Discount: discount, At: time.Now().UnixMilli(), BusinessDay: day}
	}
	before, after := 20261130, 20261202
	data := map[*protocol.Credentials][]takingsRow{
		&ce.a: {
			row("sale", "wechat", 1000, 0, dayInt),
			row("sale", "alipay", 2550, 50, dayInt), // a sale committed at once carries its discount
			row("discount", "cash", 0, 30, dayInt),
			row("sale", "cash", 1200, 0, dayInt),
			row("refund", "wechat", 400, 0, dayInt),
			row("deposit_hold", "wechat", 5000, 0, dayInt),
			row("deposit_consume", "wechat", 3000, 0, dayInt),
			row("deposit_release", "wechat", 2000, 0, dayInt),
			row("sale", "wechat", 99999, 0, before),
			row("sale", "cash", 77777, 0, after),
		},
		&ce.b: {
			row("sale", "member", 800, 0, dayInt),
			row("refund", "alipay", 550, 50, dayInt),
			row("sale", "unionpay", 3333, 0, dayInt),
		},
		&ce.c: {
			row("sale", "wechat", 12345, 100, dayInt),
			row("refund", "cash", 345, 0, dayInt),
			row("sale", "alipay", 5, 0, before),
		},
	}
	for c, rows := range data {
		var recs []protocol.Record
		for _, r := range rows {
			recs = append(recs, r.record(c.Terminal))
		}
		ce.rows[c.Terminal] = rows
		// Other topics never count, even with the same fields; nor does a deleted row.
		recs = append(recs,
			protocol.Record{Terminal: c.Terminal, Topic: "orders", ID: "orders:1", Version: 1,
				Payload: json.RawMessage(fmt.Sprintf(`{"_table":"orders","kind":"sale","method":"cash","amount":100000,"discount":0,"business_day":%d}`, dayInt))},
			protocol.Record{Terminal: c.Terminal, Topic: "takings", ID: "takings:999", Version: 2,
				Payload: json.RawMessage(`{"_table":"takings","_deleted":true}`)})
		if status, body := ce.push(t, *c, recs); status != 200 {
			t.Fatalf("push: %d %s", status, body)
		}
	}
	// A row the summary cannot read: counted as bad, left out of the figures.
	bad := protocol.Record{Terminal: ce.b.Terminal, Topic: "takings", ID: "takings:500", Version: 1,
		Payload: json.RawMessage(fmt.Sprintf(`{"_table":"takings","id":500,"kind":"sale","method":"cash","amount":"12.5","discount":0,"business_day":%d}`, dayInt))}
	if status, body := ce.push(t, ce.b, []protocol.Record{bad}); status != 200 {
		t.Fatalf("push: %d %s", status, body)
	}
	return ce
}

// want is what the summary engine says of a terminal's rows of the day.
func want(rows []takingsRow, day int) summary.Summary {
	var in []summary.Row
	for _, r := range rows {
		if r.BusinessDay == day {
			in = append(in, summary.Row{Kind: summary.Kind(r.Kind), Method: summary.Method(r.Method), Count: 1,
				Amount: app.Money(r.Amount), Discount: app.Money(r.Discount)})
		}
	}
	return summary.Compute(in)
}

func checkTakings(t *testing.T, what string, got Takings, w summary.Summary, bad int64) {
	t.Helper()
	fig := func(f summary.Figures) Figures {
		return Figures{TxAmount: f.TxAmount, Settlement: f.Settlement, Received: f.Received, Discount: f.Discount,
			Refund: f.Refund, RefundSettlement: f.RefundSettlement, TxCount: f.TxCount, RefundCount: f.RefundCount}
	}
	if got.Total != fig(w.Total) {
		t.Errorf("%s total: got %+v, the summary engine says %+v", what, got.Total, fig(w.Total))
	}
	if len(got.ByMethod) != len(w.ByMethod) {
		t.Errorf("%s methods: got %v, want %v", what, got.ByMethod, w.ByMethod)
	}
	for m, f := range w.ByMethod {
		if got.ByMethod[string(m)] != fig(f) {
			t.Errorf("%s %s: got %+v, want %+v", what, m, got.ByMethod[string(m)], fig(f))
		}
	}
	wd := Deposits{TakenCount: w.Deposits.TakenCount, Taken: w.Deposits.Taken, Consumed: w.Deposits.Consumed, Released: w.Deposits.Released}
	if got.Deposits != wd || got.BadRows != bad {
		t.Errorf("%s deposits %+v bad %d, want %+v bad %d", what, got.Deposits, got.BadRows, wd, bad)
	}
}

func (ce *chainEnv) get(t *testing.T, path string) (int, []byte) {
	t.Helper()
	return ce.raw(t, "GET", path, nil, nil)
}

func (ce *chainEnv) summary(t *testing.T, query string) ChainSummary {
	t.Helper()
	status, body := ce.get(t, "/v1/reports/summary?"+query)
	if status != 200 {
		t.Fatalf("summary %s: %d %s", query, status, body)
	}
	var s ChainSummary
	if err := json.Unmarshal(body, &s); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestChainSummary_FiguresAreTheSummaryEnginesOnTheTerminalsRows(t *testing.T) {
	engines(t, func(t *testing.T, open opener) {
		ce := newChainEnv(t, open, Options{})
		s := ce.summary(t, "day=2026-12-01")
		if s.Day != "2026-12-01" || s.Store != "" {
			t.Fatalf("day %q store %q", s.Day, s.Store)
		}
		// Worked by hand: sales and consumptions 7,750 + 4,133 + 12,345; refunds 400 + 550 + 345.
		if s.Chain.Total.Received != 22933 || s.Chain.Total.Settlement != 24228 || s.Chain.Total.RefundCount != 3 {
			t.Errorf("chain total %+v", s.Chain.Total)
		}
		var all []takingsRow
		for _, c := range []protocol.Credentials{ce.a, ce.b, ce.c} {
			all = append(all, ce.rows[c.Terminal]...)
		}
		checkTakings(t, "chain", s.Chain, want(all, dayInt), 1)

		if len(s.Stores) != 2 || s.Stores[0].Store != "S1" || s.Stores[0].Name != "人民路店" || s.Stores[0].Terminals != 2 ||
			s.Stores[1].Store != "S2" || s.Stores[1].Name != "解放路店" || s.Stores[1].Terminals != 2 {
			t.Fatalf("stores %+v", s.Stores)
		}
		checkTakings(t, "S1", s.Stores[0].Takings, want(append(slices.Clone(ce.rows[ce.a.Terminal]), ce.rows[ce.b.Terminal]...), dayInt), 1)
		checkTakings(t, "S2", s.Stores[1].Takings, want(ce.rows[ce.c.Terminal], dayInt), 0)

		if len(s.Terminals) != 4 {
			t.Fatalf("terminals %+v", s.Terminals)
		}
		for _, ts := range s.Terminals {
			var wantStore string
			wantName := "till"
			var bad, records int64
			switch ts.Terminal {
			case ce.a.Terminal:
				wantStore, records = "S1", 12
			case ce.b.Terminal:
				wantStore, bad, records = "S1", 1, 6
			case ce.c.Terminal:
				wantStore, records, wantName = "S2", 5, "前台"
			case ce.d.Terminal:
				wantStore = "S2"
			}
			if ts.Store != wantStore || ts.Records != records || ts.Name != wantName {
				t.Errorf("terminal %+v: want store %s, %d records", ts, wantStore, records)
			}
			checkTakings(t, ts.Terminal, ts.Takings, want(ce.rows[ts.Terminal], dayInt), bad)
			if ts.Terminal == ce.d.Terminal {
				if ts.LastSync != nil || !ts.Stale {
					t.Errorf("a terminal that never pushed: last sync %v, stale %v", ts.LastSync, ts.Stale)
				}
			} else if ts.LastSync == nil || time.Since(*ts.LastSync) > time.Minute || ts.Stale {
				t.Errorf("terminal %s: last sync %v, stale %v", ts.Terminal, ts.LastSync, ts.Stale)
			}
		}

		// Another day holds only its own rows.
		prev := ce.summary(t, "day=2026-11-30")
		checkTakings(t, "the day before", prev.Chain, want(all, 20261130), 0)
		if prev.Chain.Total.Received != 99999+5 {
			t.Errorf("the day before: %+v", prev.Chain.Total)
		}

		// One store: its figures stand for the chain's; the others are left out.
		s2 := ce.summary(t, "day=2026-12-01&store=S2")
		checkTakings(t, "store S2", s2.Chain, want(ce.rows[ce.c.Terminal], dayInt), 0)
		if s2.Store != "S2" || len(s2.Stores) != 1 || len(s2.Terminals) != 2 {
			t.Errorf("store S2: %+v", s2)
		}
		// An unknown store is empty figures, not an error.
		none := ce.summary(t, "day=2026-12-01&store=NOPE")
		if none.Store != "NOPE" || len(none.Stores) != 0 || len(none.Terminals) != 0 || none.Chain.Total != (Figures{}) || none.Chain.ByMethod == nil {
			t.Errorf("unknown store: %+v", none)
		}

		// A day later every terminal is stale.
		ce.clock.Skip(25 * time.Hour)
		for _, ts := range ce.summary(t, "day=2026-12-01").Terminals {
			if !ts.Stale {
				t.Errorf("terminal %s is not stale after 25 h", ts.Terminal)
			}
		}
	})
}

func TestChainSummary_BadInput(t *testing.T) {
	engines(t, func(t *testing.T, open opener) {
		ce := newChainEnv(t, open, Options{})
		for _, q := range []string{"day=2026-13-01", "day=yesterday", "day=2026-2-1", "day=0000-01-01", "day=2026-12-01T00:00"} {
			status, body := ce.get(t, "/v1/reports/summary?"+q)
			wantError(t, status, body, 400, "bad_day")
		}
		status, body := ce.get(t, "/v1/reports/summary?day=2026-12-01&shop=S1")
		wantError(t, status, body, 400, "unknown_field")
		status, body = ce.raw(t, "POST", "/v1/reports/summary?day=2026-12-01", nil, nil)
		if status != http.StatusNotFound {
			t.Errorf("POST: %d %s", status, body)
		}
		// No day: today in the view's zone.
		if s := ce.summary(t, ""); s.Day != summary.DayOf(time.Now(), time.Local).String() {
			t.Errorf("default day %s", s.Day)
		}
		// The page: an unknown language and a bad day are 400 pages, not 500s.
		status, body = ce.get(t, "/chain?lang=fr")
		if status != 400 || !strings.Contains(string(body), "English") || !strings.Contains(string(body), "中文") {
			t.Errorf("lang=fr: %d %s", status, body)
		}
		status, body = ce.get(t, "/chain?day=2026-02-30&lang=en")
		if status != 400 || !strings.Contains(string(body), `"2026-02-30" is not a date`) || strings.Contains(string(body), `id="totals"`) {
			t.Errorf("bad day page: %d %s", status, body)
		}
		status, body = ce.get(t, "/chain?day=2026-12-01&store=NOPE")
		if status != 200 || !strings.Contains(string(body), "没有编号为“NOPE”的门店") || !strings.Contains(string(body), "¥0.00") {
			t.Errorf("unknown store page: %d %s", status, body)
		}
	})
}

func TestChainPage_ShowsStoresTerminalsAndTotalsInBothLanguages(t *testing.T) {
	engines(t, func(t *testing.T, open opener) {
		ce := newChainEnv(t, open, Options{})
		for lang, words := range map[string][]string{
			"":   {`lang="zh-CN"`, "连锁总览", "实收金额", "从未同步", "正常", "微信支付", "人民路店", "解放路店", "合计"},
			"zh": {"连锁总览"},
			"en": {`lang="en"`, "Chain overview", "Received", "Never synced", "In sync", "WeChat Pay", "人民路店", "Total", "1 deposit"},
		} {
			status, body := ce.get(t, "/chain?day=2026-12-01&lang="+lang)
			page := string(body)
			if status != 200 {
				t.Fatalf("lang %q: %d %s", lang, status, body)
			}
			for _, w := range append(words, "¥229.33", "¥242.28", "¥120.00", ce.a.Terminal, ce.d.Terminal, `value="2026-12-01"`) {
				if !strings.Contains(page, w) {
					t.Errorf("lang %q: the page lacks %q", lang, w)
				}
			}
		}
		// The root is the page too, on today.
		status, body := ce.get(t, "/")
		if status != 200 || !strings.Contains(string(body), `value="`+summary.DayOf(time.Now(), time.Local).String()+`"`) {
			t.Errorf("/: %d", status)
		}
		// A day later the terminals are marked.
		ce.clock.Skip(25 * time.Hour)
		_, body = ce.get(t, "/chain?day=2026-12-01")
		if n := strings.Count(string(body), "超过一天未同步"); n != 3 {
			t.Errorf("%d stale marks, want 3", n)
		}
		status, body = ce.get(t, "/chain/font.otf")
		if status != 200 || len(body) < 1000 {
			t.Errorf("font: %d, %d bytes", status, len(body))
		}
	})
}

// Without a password the view answers this machine only; with one, anyone who
// gives it.
func TestChainView_Access(t *testing.T) {
	st, err := OpenSQLite(context.Background(), t.TempDir()+"/bo.db", sealKey)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ask := func(h http.Handler, path, remote, user, pass string, headers ...string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("GET", path, nil)
		req.RemoteAddr = remote
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w
	}
	paths := []string{"/", "/chain", "/v1/reports/summary", "/chain/font.otf"}
	open := New(st, Options{})
	for _, p := range paths {
		for _, remote := range []string{"127.0.0.1:5000", "[::1]:5000"} {
			if w := ask(open, p, remote, "", ""); w.Code != 200 {
				t.Errorf("%s from %s: %d", p, remote, w.Code)
			}
		}
		for _, remote := range []string{"192.0.2.7:5000", "[2001:db8::1]:5000", "10.0.0.2:80"} {
			if w := ask(open, p, remote, "", ""); w.Code != 403 {
				t.Errorf("%s from %s: %d, want 403", p, remote, w.Code)
			}
		}
		// Behind a proxy on this machine every client looks local: refused.
		if w := ask(open, p, "127.0.0.1:5000", "", "", "X-Forwarded-For", "203.0.113.9"); w.Code != 403 {
			t.Errorf("%s forwarded: %d, want 403", p, w.Code)
		}
	}
	w := ask(open, "/v1/reports/summary", "192.0.2.7:5000", "", "")
	wantError(t, w.Code, w.Body.Bytes(), 403, "view_forbidden")
	if w := ask(open, "/chain", "192.0.2.7:5000", "", ""); !strings.Contains(w.Body.String(), "--view-password-file") {
		t.Errorf("the page's refusal says nothing of the fix: %s", w.Body)
	}
	// The sync protocol is not the view's business.
	if w := ask(open, "/v1/health", "192.0.2.7:5000", "", ""); w.Code != 200 {
		t.Errorf("health from afar: %d", w.Code)
	}

	locked := New(st, Options{ViewPassword: []byte("s3cret 口令")})
	for _, p := range paths {
		for _, remote := range []string{"127.0.0.1:5000", "192.0.2.7:5000"} {
			if w := ask(locked, p, remote, "view", "s3cret 口令"); w.Code != 200 {
				t.Errorf("%s from %s with the password: %d", p, remote, w.Code)
			}
			for _, bad := range [][2]string{{"", ""}, {"view", "s3cret"}, {"view", "s3cret 口令 "}, {"admin", "s3cret 口令"}} {
				w := ask(locked, p, remote, bad[0], bad[1])
				if w.Code != 401 || !strings.HasPrefix(w.Header().Get("WWW-Authenticate"), "Basic ") {
					t.Errorf("%s from %s as %q/%q: %d %q", p, remote, bad[0], bad[1], w.Code, w.Header().Get("WWW-Authenticate"))
				}
			}
		}
	}
	w = ask(locked, "/v1/reports/summary", "192.0.2.7:5000", "view", "nope")
	wantError(t, w.Code, w.Body.Bytes(), 401, "view_auth")
}

func TestYuan(t *testing.T) {
	for m, want := range map[app.Money]string{0: "¥0.00", 5: "¥0.05", 123456: "¥1,234.56", 100000: "¥1,000.00", 99999: "¥999.99",
		123456789012: "¥1,234,567,890.12", -500: "-¥5.00", -123456: "-¥1,234.56"} {
		if got := yuan(m); got != want {
			t.Errorf("yuan(%d) = %q, want %q", m, got, want)
		}
	}
	if grouped(1234567) != "1,234,567" || grouped(12) != "12" || grouped(-1000) != "-1,000" {
		t.Error(grouped(1234567), grouped(12), grouped(-1000))
	}
}

// The page's words: each language defines the same names, the layout uses each of
// them, and the English words hold no Chinese (but the switch to 中文).
func TestChainPage_WordsCompleteInBothLanguages(t *testing.T) {
	layout, err := web.ReadFile("web/chain.html")
	if err != nil {
		t.Fatal(err)
	}
	used := map[string]bool{}
	for _, m := range regexp.MustCompile(`\{\{template "(w\.[a-z_.]+)"`).FindAllStringSubmatch(string(layout), -1) {
		used[m[1]] = true
	}
	def := regexp.MustCompile(`\{\{define "(w\.[a-z_.]+)"\}\}(.*)\{\{end\}\}`)
	for _, l := range pageLangs {
		b, err := os.ReadFile("web/" + l + ".html")
		if err != nil {
			t.Fatal(err)
		}
		defined := map[string]bool{}
		for _, m := range def.FindAllStringSubmatch(string(b), -1) {
			defined[m[1]] = true
			if l == "en" && m[1] != "w.other_lang" && strings.ContainsFunc(m[2], func(r rune) bool { return unicode.Is(unicode.Han, r) }) {
				t.Errorf("en %s holds Chinese: %s", m[1], m[2])
			}
		}
		for w := range used {
			if !defined[w] {
				t.Errorf("%s lacks %s", l, w)
			}
		}
		for w := range defined {
			if !used[w] {
				t.Errorf("%s defines %s, which the page does not use", l, w)
			}
		}
	}
	if len(used) < 30 {
		t.Errorf("only %d words found: the pattern is off", len(used))
	}
}
