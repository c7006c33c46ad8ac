package reconcile

import (
	"context"
	"strings"
	"sync"
	"time"

	"cashier/app"
	"cashier/app/reconcile"
	"cashier/app/summary"
)

var _ Reconciler = (*reconcile.Service)(nil)

var (
	shanghai = time.FixedZone("CST", 8*3600)
	billDay  = summary.Day{Year: 2026, Month: time.November, D: 30}
	ranAt    = time.Date(2026, 12, 1, 9, 5, 0, 0, shanghai)
)

type key struct {
	day summary.Day
	ch  app.ChannelName
}

// fakeRec keeps runs as app/reconcile does: a run (with its lines) per
// day and channel; DayAs puts the planted result of a channel in place,
// or keeps a failed attempt beside what stands. Resolving needs the
// settings permission unless a manager approved one call.
type fakeRec struct {
	mu                  sync.Mutex
	chans               []app.ChannelName
	kept                map[key]reconcile.Result
	planted             map[app.ChannelName]reconcile.Result // what a run of the channel finds
	failures            map[app.ChannelName]error            // a run of the channel fails so
	settleTo            map[int64]reconcile.Difference       // what settling a line finds
	settleErr           error
	gate                chan struct{} // DayAs waits on it when set
	loadErr             error
	mayView, mayResolve bool
	approved            bool // one call of a resolve allowed by a manager
	runs                []key
	settles             []int64
	explains            []string
	now                 time.Time
}

func newFake() *fakeRec {
	f := &fakeRec{chans: []app.ChannelName{app.ChannelWeChat, app.ChannelAlipay},
		kept: map[key]reconcile.Result{}, planted: map[app.ChannelName]reconcile.Result{},
		failures: map[app.ChannelName]error{}, settleTo: map[int64]reconcile.Difference{},
		mayView: true, mayResolve: true, now: ranAt}
	f.planted[app.ChannelWeChat] = wechatDay()
	f.failures[app.ChannelAlipay] = reconcile.ErrBillNotReady.With("Channel", app.ChannelTitle(app.ChannelAlipay), "Day", billDay.String())
	return f
}

const (
	refOnly    = "sz01T1X99990001"
	refHere    = "sz01T1P0003"
	refAmount  = "sz01T1P0004"
	refUnknown = "sz01T1P0005"
	refCopy    = "sz01T1P0001"
)

// wechatDay is a WeChat day with one difference of each kind and a
// matched line kept for its copy in the bill.
func wechatDay() reconcile.Result {
	run := reconcile.Run{ID: 1, Day: billDay, Channel: app.ChannelWeChat, Status: reconcile.StatusOpen,
		Bill:    reconcile.Totals{Count: 5, Amount: 1250 + 3000 + 1001 + 700 + 800, RefundCount: 1, RefundAmount: 500, Fee: 38},
		Others:  reconcile.Totals{Count: 1, Amount: 4400, Fee: 26},
		Local:   reconcile.Totals{Count: 4, Amount: 1250 + 3000 + 2000 + 1000, RefundCount: 1, RefundAmount: 500},
		Matched: 3, Duplicates: 1, Open: 4, StaffID: 1, AttemptedAt: ranAt, ReconciledAt: ranAt}
	at := time.Date(2026, 11, 30, 10, 1, 0, 0, app.ChinaTime)
	line := func(id int64, k reconcile.Kind, ref string) reconcile.Difference {
		return reconcile.Difference{ID: id, RunID: 1, Day: billDay, Kind: k, Record: reconcile.RecordPayment, Ref: ref,
			OutTradeNo: ref, OrderNo: "O" + ref, Channel: app.ChannelWeChat, At: at}
	}
	only := line(11, reconcile.MissingLocal, refOnly)
	only.OrderNo, only.TransactionID = "", "4200006"
	only.Seen = reconcile.Seen{State: reconcile.SeenPaid, Amount: 800, TransactionID: "4200006", At: at}
	here := line(12, reconcile.MissingChannel, refHere)
	here.LocalState, here.LocalStored, here.LocalAmount = reconcile.LocalMoved, "paid", 2000
	amount := line(13, reconcile.AmountDiffers, refAmount)
	amount.LocalState, amount.LocalStored, amount.LocalAmount, amount.TransactionID = reconcile.LocalMoved, "paid", 1000, "4200004"
	amount.Seen = reconcile.Seen{State: reconcile.SeenPaid, Amount: 1001, TransactionID: "4200004", At: at}
	unknown := line(14, reconcile.StateDiffers, refUnknown)
	unknown.LocalState, unknown.LocalStored, unknown.LocalAmount, unknown.TransactionID = reconcile.LocalOpen, "unknown", 700, "4200005"
	unknown.Seen = reconcile.Seen{State: reconcile.SeenPaid, Amount: 700, TransactionID: "4200005", At: at}
	dup := line(15, reconcile.Matched, refCopy)
	dup.LocalState, dup.LocalStored, dup.LocalAmount, dup.TransactionID = reconcile.LocalMoved, "paid", 1250, "4200001"
	dup.Seen = reconcile.Seen{State: reconcile.SeenPaid, Amount: 1250, TransactionID: "4200001", Duplicates: 1}
	dup.Resolution = reconcile.ResolvedMatched
	return reconcile.Result{Run: run, Differences: []reconcile.Difference{only, here, amount, unknown, dup}}
}

func (f *fakeRec) Channels() []app.ChannelName { return f.chans }

func (f *fakeRec) Yesterday() summary.Day { return billDay }

func (f *fakeRec) check(staffID int64, resolve bool) (app.Staff, error) {
	who := app.Staff{ID: staffID, Name: "王店长"}
	if !f.mayView {
		return who, app.ErrNoPermission.With("Name", "李娜", "Perm", app.Msg("perm.view_store_orders"))
	}
	if resolve && !f.mayResolve {
		if f.approved {
			f.approved = false
			who.ApprovedBy, who.ApprovedByName = 1, "王店长"
			return who, nil
		}
		return who, app.ErrNoPermission.With("Name", "李娜", "Perm", app.Msg("perm.settings"))
	}
	return who, nil
}

func (f *fakeRec) DayAs(ctx context.Context, staffID int64, day summary.Day, ch app.ChannelName) (reconcile.Result, error) {
	f.mu.Lock()
	gate := f.gate
	f.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return reconcile.Result{}, ctx.Err()
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, err := f.check(staffID, false); err != nil {
		return reconcile.Result{}, err
	}
	f.runs = append(f.runs, key{day, ch})
	k := key{day, ch}
	if err := f.failures[ch]; err != nil {
		m, _ := app.AsMessage(err)
		res, ok := f.kept[k]
		if !ok {
			res.Run = reconcile.Run{ID: int64(100 + len(f.kept)), Day: day, Channel: ch, Status: reconcile.StatusNotReady}
		}
		res.Run.Error, res.Run.AttemptedAt = m, f.now
		f.kept[k] = res
		return res, err
	}
	res := f.planted[ch]
	res.Run.Day = day
	res.Differences = append([]reconcile.Difference(nil), res.Differences...)
	f.kept[k] = res
	return res, nil
}

func (f *fakeRec) Result(_ context.Context, staffID int64, day summary.Day, ch app.ChannelName) (reconcile.Result, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, err := f.check(staffID, false); err != nil {
		return reconcile.Result{}, err
	}
	res, ok := f.kept[key{day, ch}]
	if !ok {
		return res, reconcile.ErrNoRun.With("Channel", app.ChannelTitle(ch), "Day", day.String())
	}
	res.Differences = append([]reconcile.Difference(nil), res.Differences...)
	return res, nil
}

func (f *fakeRec) Runs(_ context.Context, staffID int64, from, to summary.Day) ([]reconcile.Run, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.loadErr != nil {
		return nil, f.loadErr
	}
	if _, err := f.check(staffID, false); err != nil {
		return nil, err
	}
	var out []reconcile.Run
	for k, res := range f.kept {
		if k.day.Int() >= from.Int() && k.day.Int() <= to.Int() {
			out = append(out, res.Run)
		}
	}
	return out, nil
}

// line finds a kept line and its run.
func (f *fakeRec) line(id int64) (key, int, bool) {
	for k, res := range f.kept {
		for i, d := range res.Differences {
			if d.ID == id {
				return k, i, true
			}
		}
	}
	return key{}, 0, false
}

// resolve writes d back and counts the run's open lines again.
func (f *fakeRec) resolve(k key, i int, d reconcile.Difference) {
	res := f.kept[k]
	res.Differences[i] = d
	res.Run.Open = 0
	for _, l := range res.Differences {
		if !l.Resolved() {
			res.Run.Open++
		}
	}
	if res.Run.Open == 0 {
		res.Run.Status = reconcile.StatusDone
	}
	f.kept[k] = res
}

func (f *fakeRec) Settle(_ context.Context, staffID, id int64) (reconcile.Difference, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	who, err := f.check(staffID, true)
	if err != nil {
		return reconcile.Difference{}, err
	}
	f.settles = append(f.settles, id)
	k, i, ok := f.line(id)
	if !ok {
		return reconcile.Difference{}, reconcile.ErrNoDifference.With("Ref", id)
	}
	d := f.kept[k].Differences[i]
	if d.Resolved() {
		return d, reconcile.ErrResolved.With("Resolution", string(d.Resolution))
	}
	if d.LocalState == reconcile.LocalAbsent {
		return d, reconcile.ErrNothingToSettle.With("Ref", d.Ref)
	}
	if f.settleErr != nil {
		return d, f.settleErr
	}
	if to, ok := f.settleTo[id]; ok {
		d.Kind, d.LocalState, d.LocalStored, d.LocalAmount = to.Kind, to.LocalState, to.LocalStored, to.LocalAmount
	}
	if d.Kind == reconcile.Matched {
		d.Resolution, d.ResolvedBy, d.ResolvedByName, d.ResolvedAt = reconcile.ResolvedMatched, who.ID, who.Name, f.now
	}
	f.resolve(k, i, d)
	return d, nil
}

func (f *fakeRec) Explain(_ context.Context, staffID, id int64, note string) (reconcile.Difference, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	note = strings.TrimSpace(note)
	if note == "" {
		return reconcile.Difference{}, reconcile.ErrNoteNeeded
	}
	who, err := f.check(staffID, true)
	if err != nil {
		return reconcile.Difference{}, err
	}
	k, i, ok := f.line(id)
	if !ok {
		return reconcile.Difference{}, reconcile.ErrNoDifference.With("Ref", id)
	}
	d := f.kept[k].Differences[i]
	if d.Resolved() {
		return d, reconcile.ErrResolved.With("Resolution", string(d.Resolution))
	}
	f.explains = append(f.explains, d.Ref+": "+note)
	d.Resolution, d.Note, d.ResolvedBy, d.ResolvedByName, d.ResolvedAt = reconcile.ResolvedExplained, note, who.ID, who.Name, f.now
	f.resolve(k, i, d)
	return d, nil
}

func (f *fakeRec) calls() (runs []key, settles []int64, explains []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]key(nil), f.runs...), append([]int64(nil), f.settles...), append([]string(nil), f.explains...)
}
