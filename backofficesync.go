package main

import (
	"context"
	"errors"
	"sync"
	"time"

	"cashier/app"
	"cashier/app/auth"
	"cashier/app/jobs"
	"cashier/localdb"
	"cashier/sync/backoffice/client"
)

// Errors of back-office sync as the terminal sees them.
var (
	ErrNotEnrolled = app.NewError("sync.not_enrolled")
)

// PushProgress and PullProgress tell how far a sync is.
type (
	PushProgress = func(sent, left int)
	PullProgress = func(topic string, applied int)
)

// backofficeSync is the terminal's side of the back office in one place:
// its enrolment, the push and pull runs (one at a time in this process;
// the data folder's lock keeps other processes out), their results kept
// in sync_state for the status bar and the jobs' backoff.
type backofficeSync struct {
	db      *localdb.DB
	clock   app.Clock
	permits *auth.Rules // who may enrol; nil in tests of the runs alone
	// signals hears SignalTerminal after a pull changed anything, so open
	// screens read the store's name, settings and prices again.
	signals *app.Signals
	// push drains the outbox; pull brings every master topic up to date.
	push func(ctx context.Context, c *client.Client, progress PushProgress) (sent, left int, err error)
	pull func(ctx context.Context, c *client.Client, storeCode string, progress PullProgress) (applied, quarantined int, err error)

	// running holds a token for a whole run: one run at a time, waited
	// for as long as the caller's context lets it.
	running chan struct{}
	subsMu  sync.Mutex
	subs    map[int]func()
	nextSub int
}

// client is the signed client of the enrolment; ErrNotEnrolled without one.
func (b *backofficeSync) client(ctx context.Context) (*client.Client, localdb.SyncPeer, error) {
	c, peer, err := syncClient(ctx, b.db, b.clock)
	if errors.Is(err, errSyncNotEnrolled) {
		err = ErrNotEnrolled
	}
	return c, peer, err
}

// PushWait sends what is pending now and records how it went; a run going
// on (the other job, 立即同步) is waited for.
func (b *backofficeSync) PushWait(ctx context.Context, progress PushProgress) (sent, left int, err error) {
	if err := b.lock(ctx); err != nil {
		return 0, 0, err
	}
	defer b.unlock()
	return b.pushLocked(ctx, progress)
}

// lock waits for the run lock as long as ctx lets it; unlock gives it back.
func (b *backofficeSync) lock(ctx context.Context) error {
	select {
	case b.running <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (b *backofficeSync) unlock() { <-b.running }

func (b *backofficeSync) pushLocked(ctx context.Context, progress PushProgress) (sent, left int, err error) {
	c, _, err := b.client(ctx)
	if err != nil {
		return 0, 0, err
	}
	if progress == nil {
		progress = func(int, int) {}
	}
	sent, left, err = b.push(ctx, c, progress)
	b.record(localdb.SyncPush, err)
	return sent, left, err
}

// PullWait brings the master data up to date and records how it went; a
// run going on is waited for.
func (b *backofficeSync) PullWait(ctx context.Context, progress PullProgress) (applied, quarantined int, err error) {
	if err := b.lock(ctx); err != nil {
		return 0, 0, err
	}
	defer b.unlock()
	return b.pullLocked(ctx, progress)
}

func (b *backofficeSync) pullLocked(ctx context.Context, progress PullProgress) (applied, quarantined int, err error) {
	c, peer, err := b.client(ctx)
	if err != nil {
		return 0, 0, err
	}
	if progress == nil {
		progress = func(string, int) {}
	}
	applied, quarantined, err = b.pull(ctx, c, peer.StoreCode, progress)
	b.record(localdb.SyncPull, err)
	if applied > 0 && b.signals != nil {
		b.signals.Emit(app.SignalTerminal, nil)
	}
	return applied, quarantined, err
}

// SyncNow pushes, then pulls, whatever the backoff says: a person asked.
func (b *backofficeSync) SyncNow(ctx context.Context, push PushProgress, pull PullProgress) error {
	if err := b.lock(ctx); err != nil {
		return err
	}
	defer b.unlock()
	_, _, perr := b.pushLocked(ctx, push)
	if errors.Is(perr, ErrNotEnrolled) {
		return perr
	}
	_, _, lerr := b.pullLocked(ctx, pull)
	return errors.Join(perr, lerr)
}

// record keeps the result (a cancelled run says nothing about the back
// office) and tells the subscribers.
func (b *backofficeSync) record(direction string, err error) {
	if errors.Is(err, context.Canceled) || errors.Is(err, ErrNotEnrolled) {
		return
	}
	// Written even when the run's own context is done, so a failure is seen.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = b.db.RecordSyncResult(ctx, direction, b.clock.Now(), err)
	b.changed()
}

// Subscribe calls fn after every change of the sync state (a run ended,
// an enrolment); cancel stops it.
func (b *backofficeSync) Subscribe(fn func()) (cancel func()) {
	b.subsMu.Lock()
	defer b.subsMu.Unlock()
	if b.subs == nil {
		b.subs = map[int]func(){}
	}
	id := b.nextSub
	b.nextSub++
	b.subs[id] = fn
	return func() {
		b.subsMu.Lock()
		defer b.subsMu.Unlock()
		delete(b.subs, id)
	}
}

func (b *backofficeSync) changed() {
	b.subsMu.Lock()
	fns := make([]func(), 0, len(b.subs))
	for _, fn := range b.subs {
		fns = append(fns, fn)
	}
	b.subsMu.Unlock()
	for _, fn := range fns {
		fn()
	}
}

// Enrol binds this terminal to the back office at url with a one-time
// code, replacing any earlier binding; staffID is who did it (audited).
func (b *backofficeSync) Enrol(ctx context.Context, staffID int64, url, code, name string) (localdb.SyncPeer, error) {
	if b.permits != nil {
		if _, err := b.permits.Check(ctx, staffID, app.PermSettings); err != nil {
			return localdb.SyncPeer{}, err
		}
	}
	if err := b.lock(ctx); err != nil {
		return localdb.SyncPeer{}, err
	}
	defer b.unlock()
	en, err := client.Enrol(ctx, nil, url, code, name)
	if err != nil {
		return localdb.SyncPeer{}, err
	}
	now := b.clock.Now()
	p := localdb.SyncPeer{URL: url, Terminal: en.Terminal, StoreCode: en.Store, Secret: en.Secret, EnrolledAt: now}
	if err := b.db.SetSyncPeer(ctx, p, auditEnrolment(now, staffID, url, en.Terminal, false)); err != nil {
		return p, err
	}
	b.changed()
	return p, nil
}

// job is a scheduled push or pull: nothing on a terminal not enrolled, and
// after failures not before the backoff's next try.
func (b *backofficeSync) job(direction string, run func(ctx context.Context, progress jobs.Progress) (jobs.Result, error)) jobs.Work {
	return func(ctx context.Context, progress jobs.Progress) (jobs.Result, error) {
		peer, ok, err := b.db.SyncPeer(ctx)
		if err != nil {
			return jobs.Result{}, err
		}
		if !ok {
			if direction == localdb.SyncPush {
				// The change log still folds, so it does not grow without
				// bound on a terminal that never enrols.
				if err := b.db.FoldOutbox(ctx); err != nil {
					return jobs.Result{}, err
				}
			}
			return jobs.Result{Summary: app.Msg("jobs.sync.not_enrolled")}, nil
		}
		st, err := b.db.SyncState(ctx, direction)
		if err != nil {
			return jobs.Result{}, err
		}
		if st.Failures > 0 {
			if next := client.NextTry(st.LastTry, st.Failures, peer.Terminal); b.clock.Now().Before(next) {
				return jobs.Result{Summary: app.Msg("jobs.sync.waiting", "Failures", st.Failures, "At", next.In(time.Local).Format("15:04:05"))}, nil
			}
		}
		return run(ctx, progress)
	}
}

// Jobs are the push and pull jobs for the registry.
func (b *backofficeSync) Jobs() []jobs.Job {
	push := b.job(localdb.SyncPush, func(ctx context.Context, progress jobs.Progress) (jobs.Result, error) {
		sent, left, err := b.PushWait(ctx, func(sent, left int) {
			if total := sent + left; total > 0 {
				progress(float64(sent)/float64(total), app.Msg("jobs.push.summary", "Done", sent, "Open", left))
			}
		})
		return jobs.Result{Done: sent, Open: left, Summary: app.Msg("jobs.push.summary", "Done", sent, "Open", left)}, err
	})
	pull := b.job(localdb.SyncPull, func(ctx context.Context, progress jobs.Progress) (jobs.Result, error) {
		applied, quarantined, err := b.PullWait(ctx, func(topic string, n int) {
			progress(-1, app.Msg("jobs.pull.summary", "Done", n, "Open", 0))
		})
		return jobs.Result{Done: applied, Open: quarantined, Summary: app.Msg("jobs.pull.summary", "Done", applied, "Open", quarantined)}, err
	})
	return []jobs.Job{jobs.Push(push), jobs.Pull(pull)}
}
