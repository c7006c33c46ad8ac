package main

import (
	"context"

	"cashier/localdb"
	"cashier/ui/backofficesync"
)

// syncScreens is the back-office sync as Settings → 后台同步, the status
// bar and the logout and quit questions see it.
type syncScreens struct {
	b    *backofficeSync
	name string // this terminal's name, given to the back office at enrolment
}

var _ backofficesync.Sync = syncScreens{}

func (v syncScreens) Status(ctx context.Context) (backofficesync.Status, error) {
	var st backofficesync.Status
	peer, ok, err := v.b.db.SyncPeer(ctx)
	if err != nil {
		return st, err
	}
	n, err := v.b.db.Unsynced(ctx)
	if err != nil {
		return st, err
	}
	st.Unsynced = int(n)
	if !ok {
		return st, nil
	}
	if st.SearchPending, err = v.b.db.SearchPending(ctx); err != nil {
		return st, err
	}
	st.Enrolled, st.URL, st.Terminal, st.Store, st.Demo = true, peer.URL, peer.Terminal, peer.StoreCode, peer.Demo
	push, err := v.b.db.SyncState(ctx, localdb.SyncPush)
	if err != nil {
		return st, err
	}
	pull, err := v.b.db.SyncState(ctx, localdb.SyncPull)
	if err != nil {
		return st, err
	}
	st.LastPush, st.LastPull = push.LastOK, pull.LastOK
	// The newer failed attempt is the one to show.
	for _, d := range []localdb.SyncState{push, pull} {
		if d.LastError != "" && (st.LastError == nil || d.LastTry.After(st.LastTry)) {
			st.LastError, st.LastTry = backofficesync.StoredError(d.LastError), d.LastTry
		}
	}
	return st, nil
}

func (v syncScreens) SyncNow(ctx context.Context, progress func(backofficesync.Progress)) error {
	return v.b.SyncNow(ctx, pushProgress(progress), func(topic string, n int) {
		progress(backofficesync.Progress{Phase: backofficesync.PhasePull, Topic: topic, Done: n})
	})
}

func (v syncScreens) PushNow(ctx context.Context, progress func(backofficesync.Progress)) error {
	_, _, err := v.b.PushWait(ctx, pushProgress(progress))
	return err
}

func pushProgress(progress func(backofficesync.Progress)) PushProgress {
	return func(sent, left int) {
		progress(backofficesync.Progress{Phase: backofficesync.PhasePush, Done: sent, Total: sent + left})
	}
}

func (v syncScreens) Enrol(ctx context.Context, staffID int64, url, code string) error {
	_, err := v.b.Enrol(ctx, staffID, url, code, v.name)
	return err
}

func (v syncScreens) Subscribe(fn func()) (cancel func()) { return v.b.Subscribe(fn) }
