package server

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"errors"
	"html/template"
	"net"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"cashier/app"
	"cashier/app/summary"
	"cashier/assets"
	"cashier/sync/backoffice/protocol"
)

//go:embed web
var web embed.FS

// ViewUser is the user name of the chain view's Basic auth.
const ViewUser = "view"

// chainView serves the chain's business figures: GET /v1/reports/summary (JSON),
// GET / and GET /chain (the read-only page) and the page's font. All of them are
// behind guard.
type chainView struct {
	h        *Handler
	r        chainReader
	loc      *time.Location
	password []byte
	pages    map[string]*template.Template
}

// ErrEmptyViewPassword: the view password file holds nothing.
var ErrEmptyViewPassword = errors.New("backoffice: the view password file is empty")

// ReadViewPassword reads the chain view's password from file: all of it but the
// line break an editor leaves at the end.
func ReadViewPassword(file string) ([]byte, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	b = bytes.TrimRight(b, "\r\n")
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, ErrEmptyViewPassword
	}
	return b, nil
}

// chainRoutes registers the chain view when the store can answer it.
func (h *Handler) chainRoutes(o Options) {
	r, ok := h.store.(chainReader)
	if !ok {
		return
	}
	v := &chainView{h: h, r: r, loc: o.Zone, pages: pages}
	if len(o.ViewPassword) > 0 {
		v.password = o.ViewPassword
	}
	if v.loc == nil {
		v.loc = time.Local
	}
	h.mux.Handle("GET /v1/reports/summary", v.guard(false, v.summary))
	h.mux.Handle("GET /{$}", v.guard(true, v.page))
	h.mux.Handle("GET /chain", v.guard(true, v.page))
	h.mux.Handle("GET /chain/font.otf", v.guard(true, v.font))
}

// guard lets a request through when Basic auth as ViewUser with the view password
// succeeds (when a password is set) or, without one, when it comes straight from
// this machine: a loopback address and no proxy's forwarding header (behind a
// reverse proxy on the same host every client would look local).
func (v *chainView) guard(page bool, next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if v.password != nil {
			user, pass, ok := r.BasicAuth()
			if ok && v.passwordMatches(user, pass) {
				next(w, r)
				return
			}
			w.Header().Set("WWW-Authenticate", `Basic realm="pos back office", charset="UTF-8"`)
			v.refuse(w, page, http.StatusUnauthorized, "view_auth", "the chain view needs the view password (user \"view\")",
				"请输入查看密码（用户名 view）。")
			return
		}
		if local(r) {
			next(w, r)
			return
		}
		v.refuse(w, page, http.StatusForbidden, "view_forbidden",
			"the chain view answers this machine only; start the server with --view-password-file to open it to others",
			"连锁总览只对本机开放；要让其他电脑查看，请用 --view-password-file 启动后台。")
	})
}

// passwordMatches compares in constant time: hashing first makes the time
// independent of the lengths too.
func (v *chainView) passwordMatches(user, pass string) bool {
	gotU, wantU := sha256.Sum256([]byte(user)), sha256.Sum256([]byte(ViewUser))
	gotP, wantP := sha256.Sum256([]byte(pass)), sha256.Sum256(v.password)
	return subtle.ConstantTimeCompare(gotU[:], wantU[:])&subtle.ConstantTimeCompare(gotP[:], wantP[:]) == 1
}

func local(r *http.Request) bool {
	for _, h := range []string{"Forwarded", "X-Forwarded-For", "X-Real-Ip"} {
		if r.Header.Get(h) != "" {
			return false
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// refuse answers the JSON endpoint with a protocol error and a browser with a line
// in both languages (the page's language is not known before it is allowed).
func (v *chainView) refuse(w http.ResponseWriter, page bool, status int, code, en, zh string) {
	if !page {
		v.h.fail(w, &protocol.Error{Status: status, Code: code, Message: en})
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(zh + "\n" + en + "\n"))
}

// day reads ?day=, today in the view's zone when absent.
func (v *chainView) day(q url.Values) (summary.Day, bool) {
	s := q.Get("day")
	if s == "" {
		return summary.DayOf(v.h.now(), v.loc), true
	}
	d, err := summary.ParseDay(s)
	return d, err == nil && d.Year >= 1
}

func (v *chainView) summary(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	for k := range q {
		if k != "day" && k != "store" {
			v.h.fail(w, &protocol.Error{Status: http.StatusBadRequest, Code: "unknown_field", Message: "unknown query parameter " + strconv.Quote(k), Fields: []string{k}})
			return
		}
	}
	day, ok := v.day(q)
	if !ok {
		v.h.fail(w, &protocol.Error{Status: http.StatusBadRequest, Code: "bad_day", Message: "day must be a date written 2006-01-02", Fields: []string{"day"}})
		return
	}
	s, err := chainSummary(r.Context(), v.r, day, v.h.now(), v.loc)
	if err != nil {
		v.h.fail(w, err)
		return
	}
	if q.Has("store") {
		s = s.only(q.Get("store"))
	}
	v.h.reply(w, http.StatusOK, s)
}

func (v *chainView) font(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "font/otf")
	w.Header().Set("Cache-Control", "public, max-age=604800")
	http.ServeContent(w, r, "font.otf", time.Time{}, bytes.NewReader(assets.FontRegular))
}

// The page: web/chain.html lays it out; web/zh.html and web/en.html hold its words
// as named templates ("w.…"), the same names in both.
var (
	pageLangs = []string{"zh", "en"}
	pages     = func() map[string]*template.Template {
		css, err := web.ReadFile("web/chain.css")
		if err != nil {
			panic(err)
		}
		funcs := template.FuncMap{
			"money": yuan,
			"count": grouped,
			"css":   func() template.CSS { return template.CSS(css) },
		}
		out := map[string]*template.Template{}
		for _, l := range pageLangs {
			out[l] = template.Must(template.New("chain.html").Funcs(funcs).ParseFS(web, "web/chain.html", "web/"+l+".html"))
		}
		return out
	}()
)

// yuan writes fen as ¥1,234.56 (-¥5.00 below zero): a day's chain figures run to
// six digits, read at a glance only when grouped.
func yuan(m app.Money) string {
	s := m.String()
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	whole, frac, _ := strings.Cut(s, ".")
	return sign + "¥" + groupDigits(whole) + "." + frac
}

func grouped(n int64) string {
	if n < 0 {
		return "-" + groupDigits(strconv.FormatInt(-n, 10))
	}
	return groupDigits(strconv.FormatInt(n, 10))
}

func groupDigits(d string) string {
	var b strings.Builder
	for i, c := range d {
		if i > 0 && (len(d)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// pageData is what web/chain.html shows.
type pageData struct {
	Lang, OtherLang, OtherURL string
	Day, Store                string
	BadDay                    string // the day asked for when it is not a date
	UnknownStore              bool
	AsOf, Zone                string
	Chain                     Takings
	StoreOptions              []StoreSummary // every store, for the form
	Stores                    []StoreSummary
	Terminals                 []pageTerminal
	Methods                   []pageMethod
	Enrolled                  int // terminals in the chain, for "none yet"
}

type pageTerminal struct {
	TerminalSummary
	StoreLabel string
	LastSync   string // empty: never
	Age        age
}

// age is how long ago a terminal last pushed, in the unit the page words it with.
type age struct {
	Unit string // "now", "min", "hour", "day"
	N    int64
}

type pageMethod struct {
	Method string
	Figures
}

func ageOf(d time.Duration) age {
	switch {
	case d < time.Minute:
		return age{Unit: "now"}
	case d < time.Hour:
		return age{"min", int64(d / time.Minute)}
	case d < 24*time.Hour:
		return age{"hour", int64(d / time.Hour)}
	}
	return age{"day", int64(d / (24 * time.Hour))}
}

// zoneName names t's zone for people: its IANA name, or its offset from UTC when
// the zone is the machine's unnamed local one.
func zoneName(t time.Time) string {
	if n := t.Location().String(); n != "Local" && n != "" {
		return n
	}
	return "UTC" + t.Format("-07:00")
}

func storeLabel(code, name string) string {
	if name == "" {
		return code
	}
	return name
}

func (v *chainView) page(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	lang := q.Get("lang")
	if lang == "" {
		lang = "zh"
	}
	tpl := v.pages[lang]
	if tpl == nil {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusBadRequest)
		_ = v.pages["zh"].ExecuteTemplate(w, "badlang", lang)
		return
	}
	now := v.h.now()
	d := pageData{Lang: lang, Store: q.Get("store"), Zone: zoneName(now.In(v.loc)), AsOf: now.In(v.loc).Format("2006-01-02 15:04")}
	d.OtherLang = "en"
	if lang == "en" {
		d.OtherLang = "zh"
	}
	other := url.Values{}
	for k, vs := range q {
		other[k] = vs
	}
	other.Set("lang", d.OtherLang)
	d.OtherURL = "/chain?" + other.Encode()
	status := http.StatusOK
	day, ok := v.day(q)
	if !ok {
		d.BadDay, d.Day = q.Get("day"), summary.DayOf(now, v.loc).String()
		status = http.StatusBadRequest
	} else {
		d.Day = day.String()
		s, err := chainSummary(r.Context(), v.r, day, now, v.loc)
		if err != nil {
			v.h.log.Error("backoffice chain view", "err", err)
			http.Error(w, "内部错误 / internal error", http.StatusInternalServerError)
			return
		}
		d.StoreOptions, d.Enrolled = s.Stores, len(s.Terminals)
		if d.Store != "" {
			s = s.only(d.Store)
			d.UnknownStore = len(s.Stores) == 0
		}
		d.Chain, d.Stores = s.Chain, s.Stores
		names := map[string]string{}
		for _, st := range d.StoreOptions {
			names[st.Store] = st.Name
		}
		for _, t := range s.Terminals {
			pt := pageTerminal{TerminalSummary: t, StoreLabel: storeLabel(t.Store, names[t.Store])}
			if t.LastSync != nil {
				pt.LastSync, pt.Age = t.LastSync.Format("2006-01-02 15:04"), ageOf(now.Sub(*t.LastSync))
			}
			d.Terminals = append(d.Terminals, pt)
		}
		sort.SliceStable(d.Terminals, func(i, j int) bool { return d.Terminals[i].StoreLabel < d.Terminals[j].StoreLabel })
		for _, m := range summary.Methods {
			if f, ok := s.Chain.ByMethod[string(m)]; ok {
				d.Methods = append(d.Methods, pageMethod{string(m), f})
			}
		}
	}
	var b bytes.Buffer
	// Rendered whole before anything is sent, so a template error is a clean 500.
	if err := tpl.ExecuteTemplate(&b, "chain.html", d); err != nil {
		v.h.log.Error("backoffice chain view", "err", err)
		http.Error(w, "内部错误 / internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
}
