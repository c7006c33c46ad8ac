package main

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"cashier/app"
	"cashier/localdb"
	"cashier/sync/backoffice/client"
	"cashier/ui/i18n"
)

// runSync is `pos sync enrol|status|push`: this terminal's side of the back
// office (docs/sync.md). enrol binds the terminal with a one-time code (as
// Settings → 后台同步 does), status reads how sync stands (beside a
// running app too), push sends every unsynced record now.
func runSync(e env, args []string) int {
	for i, a := range args {
		rest := append(append([]string{}, args[:i]...), args[i+1:]...)
		switch a {
		case "enrol":
			return runSyncEnrol(e, rest)
		case "status":
			return runSyncStatus(e, rest)
		case "push":
			return runSyncPush(e, rest)
		case "pull":
			return runSyncPull(e, rest)
		}
	}
	e.peekLanguage(context.Background())
	fmt.Fprintln(e.stderr, i18n.T("cli.sync.usage"))
	return exitUsage
}

// errSyncNotEnrolled: push or status on a terminal with no back office.
var errSyncNotEnrolled = app.NewError("cli.sync.not_enrolled")

// syncOutbox is the database's outbox as the pusher's queue.
type syncOutbox struct{ db *localdb.DB }

func (o syncOutbox) Pending(ctx context.Context, lim client.Limits) ([]client.Pending, []client.Held, error) {
	b, err := o.db.PendingOutbox(ctx, localdb.OutboxLimits{Records: lim.Records, Bytes: lim.Bytes, RecordBytes: lim.RecordBytes})
	if err != nil {
		return nil, nil, err
	}
	recs := make([]client.Pending, len(b.Records))
	for i, r := range b.Records {
		recs[i] = client.Pending{Ref: client.Ref(r.OutboxRef), Topic: r.Topic, ID: r.ID, Payload: r.Payload}
	}
	held := make([]client.Held, len(b.Held))
	for i, h := range b.Held {
		held[i] = client.Held{Ref: client.Ref(h.OutboxRef), Topic: h.Topic, ID: h.ID, Bytes: h.Bytes}
	}
	return recs, held, nil
}

func (o syncOutbox) MarkSent(ctx context.Context, refs []client.Ref, at time.Time) error {
	_, err := o.db.MarkOutboxSent(ctx, outboxRefs(refs), at)
	return err
}

func (o syncOutbox) MarkFailed(ctx context.Context, refs []client.Ref, reason string) error {
	return o.db.MarkOutboxFailed(ctx, outboxRefs(refs), reason)
}

func (o syncOutbox) Hold(ctx context.Context, ref client.Ref, reason string) error {
	return o.db.HoldOutbox(ctx, localdb.OutboxRef(ref), reason)
}

func (o syncOutbox) Unsynced(ctx context.Context) (int64, error) { return o.db.Unsynced(ctx) }

func outboxRefs(refs []client.Ref) []localdb.OutboxRef {
	out := make([]localdb.OutboxRef, len(refs))
	for i, r := range refs {
		out[i] = localdb.OutboxRef(r)
	}
	return out
}

// syncClient is the signed client of the terminal's enrolment.
func syncClient(ctx context.Context, db *localdb.DB, clock app.Clock) (*client.Client, localdb.SyncPeer, error) {
	peer, ok, err := db.SyncPeer(ctx)
	if err != nil {
		return nil, peer, err
	}
	if !ok {
		return nil, peer, errSyncNotEnrolled
	}
	secret, err := base64.StdEncoding.DecodeString(peer.Secret)
	if err != nil {
		return nil, peer, fmt.Errorf("the stored enrolment secret is not base64: %w", err)
	}
	c := &client.Client{URL: peer.URL, Terminal: peer.Terminal, Secret: secret}
	if clock != nil {
		c.Now = clock.Now
	}
	return c, peer, nil
}

// pushOutbox drains db's outbox through c (the push job and pos sync push):
// sent is what the back office now holds from this run, left what is still
// unsynced (held records included); progress hears of each batch.
func pushOutbox(db *localdb.DB) func(ctx context.Context, c *client.Client, progress func(sent, left int)) (sent, left int, err error) {
	return func(ctx context.Context, c *client.Client, progress func(sent, left int)) (int, int, error) {
		p := client.NewPusher(c, syncOutbox{db})
		if progress != nil {
			p.Progress = func(pp client.PushProgress) { progress(pp.Pushed, max(0, int(pp.Total)-pp.Pushed)) }
		}
		res, err := p.Run(ctx)
		return res.Pushed, int(res.Remaining), err
	}
}

// syncErrWords are the words a direction's failures differ in: what the
// back office kept or applied, and what happens next.
type syncErrWords struct{ server, refused, retry, noRetry string }

var (
	pushErrWords = syncErrWords{i18n.Key("cli.sync.err.server"), i18n.Key("cli.sync.err.refused"),
		i18n.Key("cli.sync.err.retry"), i18n.Key("cli.sync.err.no_retry")}
	pullErrWords = syncErrWords{i18n.Key("cli.sync.pull.err.server"), i18n.Key("cli.sync.pull.err.refused"),
		i18n.Key("cli.sync.pull.err.retry"), i18n.Key("cli.sync.pull.err.no_retry")}
)

// syncErrText puts a sync failure into words: what the back office (or
// the way to it) said, and whether trying again later can help.
func syncErrText(err error, w syncErrWords) string {
	var ce *client.Error
	if !errors.As(err, &ce) {
		return i18n.Err(err)
	}
	var s string
	switch {
	case ce.Code == "network":
		s = i18n.T("cli.sync.err.network", "Detail", ce.Message)
	case ce.Code == "bad_answer":
		s = i18n.T("cli.sync.err.bad_answer", "Status", ce.Status, "Detail", ce.Message)
	case ce.Status >= 500 || ce.Status == http.StatusTooManyRequests:
		s = i18n.T(w.server, "Status", ce.Status, "Code", ce.Code)
	case ce.Status == http.StatusUnauthorized:
		s = i18n.T("cli.sync.err.unauthorized", "Code", ce.Code, "Detail", ce.Message)
	default:
		s = i18n.T(w.refused, "Status", ce.Status, "Code", ce.Code, "Detail", ce.Message)
	}
	if ce.Retry {
		return s + " " + i18n.T(w.retry)
	}
	return s + " " + i18n.T(w.noRetry)
}

// runSyncEnrol is `pos sync enrol --url URL --code CODE` or `pos sync enrol
// --qr TEXT` (what the enrolment QR holds; a bare code in it takes --url):
// the person (--staff, --pin; the demo manager on a demo folder) needs the
// settings permission, as in Settings → 后台同步. The enrolment replaces any
// earlier one and is audited.
func runSyncEnrol(e env, args []string) int {
	ctx := context.Background()
	e.peekLanguage(ctx)
	fs := e.newFlags("sync", "cli.sync.usage")
	baseURL := fs.String("url", "", i18n.T("cli.sync.flag.url"))
	code := fs.String("code", "", i18n.T("cli.sync.flag.code"))
	qr := fs.String("qr", "", i18n.T("cli.sync.flag.qr"))
	name := fs.String("name", "", i18n.T("cli.sync.flag.name"))
	who := addStaffFlags(fs)
	pos, exit, ok := parseFlags(fs, args)
	if !ok {
		return exit
	}
	if len(pos) > 0 {
		return e.usageErr(fs, "sync", "cli.unexpected_arg", "Arg", pos[0])
	}
	var u, c string
	switch {
	case *qr != "" && *code != "":
		return e.usageErr(fs, "sync", "cli.sync.qr_or_code")
	case *qr != "":
		var err error
		if u, c, err = client.ParseEnrolQR(*qr); err != nil {
			return e.usageErr(fs, "sync", "cli.sync.bad_qr")
		}
	case *code != "":
		var err error
		if _, c, err = client.ParseEnrolQR(*code); err != nil || strings.HasPrefix(strings.TrimSpace(*code), "{") {
			return e.usageErr(fs, "sync", "cli.sync.bad_code", "Code", *code)
		}
	default:
		return e.usageErr(fs, "sync", "cli.sync.qr_or_code")
	}
	if *baseURL != "" {
		u = *baseURL
	}
	if u == "" {
		return e.usageErr(fs, "sync", "cli.flag_required", "Flag", "--url")
	}
	if pu, err := url.Parse(u); err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
		return e.usageErr(fs, "sync", "cli.sync.bad_url", "URL", u)
	}
	s, staff, code2 := e.openAs(ctx, "sync", args, Options{}, who)
	if s == nil {
		return code2
	}
	defer s.Close()
	if _, err := s.Permits.Check(ctx, staff.ID, app.PermSettings); err != nil {
		return e.fail("sync", err)
	}
	if *name == "" {
		if t, err := s.DB.CurrentTerminal(ctx); err == nil {
			*name = t.Name
		}
	}
	en, err := client.Enrol(ctx, nil, u, c, *name)
	if err != nil {
		fmt.Fprintf(e.stderr, "pos sync: %s\n", syncErrText(err, pushErrWords))
		return exitFailed
	}
	if _, err := base64.StdEncoding.DecodeString(en.Secret); err != nil {
		return e.fail("sync", fmt.Errorf("the back office's secret is not base64: %w", err))
	}
	now := s.Clock.Now()
	peer := localdb.SyncPeer{URL: u, Terminal: en.Terminal, StoreCode: en.Store, Secret: en.Secret, EnrolledAt: now}
	err = s.DB.SetSyncPeer(ctx, peer, func(tx *sql.Tx) error {
		return localdb.InsertAudit(ctx, tx, app.AuditEntry{At: now, StaffID: staff.ID, Action: "backoffice_enrol",
			Subject: en.Terminal, Detail: fmt.Sprintf("url=%s demo=false", u)})
	})
	if err != nil {
		return e.fail("sync", err)
	}
	e.say("cli.sync.enrolled", "URL", u, "Terminal", en.Terminal, "Store", en.Store)
	return exitOK
}

// runSyncStatus is `pos sync status`: the enrolment, the records not yet
// pushed and how each direction last went. It only reads, beside a
// running app too.
func runSyncStatus(e env, args []string) int {
	ctx := context.Background()
	e.peekLanguage(ctx)
	fs := e.newFlags("sync", "cli.sync.usage")
	pos, exit, ok := parseFlags(fs, args)
	if !ok {
		return exit
	}
	if len(pos) > 0 {
		return e.usageErr(fs, "sync", "cli.unexpected_arg", "Arg", pos[0])
	}
	s, code := e.open(ctx, "sync", args, Options{})
	if s == nil {
		return code
	}
	defer s.Close()
	loc := auditZone(ctx, s.DB)
	when := func(t time.Time) string {
		if t.IsZero() {
			return i18n.T("cli.sync.never")
		}
		return t.In(loc).Format("2006-01-02 15:04:05")
	}
	peer, enrolled, err := s.DB.SyncPeer(ctx)
	if err != nil {
		return e.fail("sync", err)
	}
	if enrolled {
		key := i18n.Key("cli.sync.status.enrolled")
		if peer.Demo {
			key = i18n.Key("cli.sync.status.enrolled_demo")
		}
		e.say(key, "URL", peer.URL, "Terminal", peer.Terminal, "Store", peer.StoreCode, "Since", when(peer.EnrolledAt))
	} else {
		e.say("cli.sync.status.not_enrolled")
	}
	st, err := s.DB.OutboxStats(ctx)
	if err != nil {
		return e.fail("sync", err)
	}
	if st.Pending == 0 {
		e.say("cli.sync.status.all_synced")
	} else {
		e.say("cli.sync.status.unsynced", "N", st.Pending, "Since", when(st.Oldest))
	}
	if st.Held > 0 {
		e.say("cli.sync.status.held", "N", st.Held)
	}
	for _, d := range []struct{ dir, key string }{
		{localdb.SyncPush, i18n.Key("cli.sync.status.push")},
		{localdb.SyncPull, i18n.Key("cli.sync.status.pull")},
	} {
		ss, err := s.DB.SyncState(ctx, d.dir)
		if err != nil {
			return e.fail("sync", err)
		}
		e.say(d.key, "OK", when(ss.LastOK), "Tried", when(ss.LastTry))
		if ss.LastError != "" {
			e.say("cli.sync.status.last_error", "Failures", ss.Failures, "Err", ss.LastError)
		}
	}
	if st.LastError != "" && st.Pending > 0 {
		e.say("cli.sync.status.record_error", "Err", st.LastError)
	}
	return exitOK
}

// runSyncPush is `pos sync push`: every unsynced record now, in batches,
// with a line per batch. It takes the folder's lock (exit 3 while the app
// runs: its own push job and 立即同步 do it there). Ctrl+C stops between
// batches; what the back office accepted stays marked. Exit 0 when
// everything went (a held record is said, not failed), 1 when the back
// office could not be reached or refused.
func runSyncPush(e env, args []string) int {
	return e.syncRun(args, func(ctx context.Context, s *Services, c *client.Client, peer localdb.SyncPeer) int {
		return syncPush(ctx, e, s, c, peer)
	})
}

// syncRun is what pos sync push and pull share: no arguments, the
// folder's lock, a set-up folder, the demo folder's back office started
// for the command, the enrolment's signed client; then run.
func (e env) syncRun(args []string, run func(ctx context.Context, s *Services, c *client.Client, peer localdb.SyncPeer) int) int {
	e.peekLanguage(context.Background())
	fs := e.newFlags("sync", "cli.sync.usage")
	pos, exit, ok := parseFlags(fs, args)
	if !ok {
		return exit
	}
	if len(pos) > 0 {
		return e.usageErr(fs, "sync", "cli.unexpected_arg", "Arg", pos[0])
	}
	ctx, stop := signalContext()
	defer stop()
	s, code := e.open(ctx, "sync", args, Options{Lock: true})
	if s == nil {
		if code == exitLocked {
			fmt.Fprintf(e.stderr, "pos sync: %s\n", i18n.T("cli.sync.locked_hint"))
		}
		return code
	}
	defer s.Close()
	if err := s.NeedConfigured(ctx); err != nil {
		return e.fail("sync", err)
	}
	if err := s.demoBackofficeForCLI(ctx); err != nil {
		return e.fail("sync", err)
	}
	c, peer, err := syncClient(ctx, s.DB, s.Clock)
	if err != nil {
		return e.fail("sync", err)
	}
	return run(ctx, s, c, peer)
}

func syncPush(ctx context.Context, e env, s *Services, c *client.Client, peer localdb.SyncPeer) int {
	p := client.NewPusher(c, syncOutbox{s.DB})
	p.Progress = func(pp client.PushProgress) {
		if pp.Batches == 0 && pp.Pushed == 0 {
			e.say("cli.sync.push.start", "N", pp.Total, "URL", peer.URL)
			return
		}
		e.say("cli.sync.push.batch", "Batch", pp.Batches, "Done", pp.Pushed, "Total", max(pp.Total, int64(pp.Pushed)))
	}
	res, err := p.Run(ctx)
	if !errors.Is(err, context.Canceled) {
		// Kept even when ctx is done, for status, the status bar and the job's backoff.
		rctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if rerr := s.DB.RecordSyncResult(rctx, localdb.SyncPush, s.Clock.Now(), err); rerr != nil && err == nil {
			err = rerr
		}
		cancel()
	}
	e.say("cli.sync.push.done", "Done", res.Pushed, "Applied", res.Applied, "Unchanged", res.Unchanged, "Left", res.Remaining)
	if res.Held > 0 {
		e.say("cli.sync.status.held", "N", res.Held)
	}
	switch {
	case errors.Is(err, context.Canceled):
		e.say("cli.sync.push.stopped")
		return exitFailed
	case err != nil:
		fmt.Fprintf(e.stderr, "pos sync: %s\n", syncErrText(err, pushErrWords))
		return exitFailed
	}
	return exitOK
}
