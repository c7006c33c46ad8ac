package localdb

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// SyncPeer is the back office this terminal is enrolled with.
type SyncPeer struct {
	URL        string
	Terminal   string
	StoreCode  string
	Secret     string // base64
	Demo       bool   // the embedded back office of make run
	EnrolledAt time.Time
}

// SyncState is how one direction of sync last went.
type SyncState struct {
	LastOK    time.Time // zero: never
	LastTry   time.Time
	LastError string // "" after a success
	Failures  int    // in a row, for the backoff
}

// Sync directions.
const (
	SyncPush = "push"
	SyncPull = "pull"
)

// SyncPeer returns the enrolment; false when the terminal is not enrolled.
func (db *DB) SyncPeer(ctx context.Context) (SyncPeer, bool, error) {
	var p SyncPeer
	var at int64
	err := db.reader.QueryRowContext(ctx, `SELECT url, terminal, store_code, secret, demo, enrolled_at FROM sync_peer WHERE one = 1`).
		Scan(&p.URL, &p.Terminal, &p.StoreCode, &p.Secret, &p.Demo, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return SyncPeer{}, false, nil
	}
	if err != nil {
		return SyncPeer{}, false, err
	}
	p.EnrolledAt = time.UnixMilli(at)
	return p, true, nil
}

// SetSyncPeer records a new enrolment, replacing any earlier one, and
// forgets the old one's sync state and pull cursors' errors: a terminal
// enrolled anew starts its backoff afresh.
func (db *DB) SetSyncPeer(ctx context.Context, p SyncPeer, audit func(tx *sql.Tx) error) error {
	return db.Write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO sync_peer(one, url, terminal, store_code, secret, demo, enrolled_at) VALUES (1,?,?,?,?,?,?)
			ON CONFLICT(one) DO UPDATE SET url=excluded.url, terminal=excluded.terminal, store_code=excluded.store_code,
			secret=excluded.secret, demo=excluded.demo, enrolled_at=excluded.enrolled_at`,
			p.URL, p.Terminal, p.StoreCode, p.Secret, p.Demo, p.EnrolledAt.UnixMilli()); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM sync_state`); err != nil {
			return err
		}
		if audit != nil {
			return audit(tx)
		}
		return nil
	})
}

// SyncState returns how direction last went (zero when it never ran).
func (db *DB) SyncState(ctx context.Context, direction string) (SyncState, error) {
	var s SyncState
	var ok, try sql.NullInt64
	err := db.reader.QueryRowContext(ctx, `SELECT last_ok_at, last_try_at, last_error, failures FROM sync_state WHERE direction = ?`, direction).
		Scan(&ok, &try, &s.LastError, &s.Failures)
	if errors.Is(err, sql.ErrNoRows) {
		return SyncState{}, nil
	}
	if err != nil {
		return s, err
	}
	if ok.Valid {
		s.LastOK = time.UnixMilli(ok.Int64)
	}
	if try.Valid {
		s.LastTry = time.UnixMilli(try.Int64)
	}
	return s, nil
}

// RecordSyncResult notes an attempt of direction at at: a nil err is a
// success (failures back to 0), otherwise the error's text is kept and the
// failures in a row counted.
func (db *DB) RecordSyncResult(ctx context.Context, direction string, at time.Time, syncErr error) error {
	return db.Write(ctx, func(tx *sql.Tx) error {
		if syncErr == nil {
			_, err := tx.ExecContext(ctx, `INSERT INTO sync_state(direction, last_ok_at, last_try_at, last_error, failures) VALUES (?,?,?,'',0)
				ON CONFLICT(direction) DO UPDATE SET last_ok_at=excluded.last_ok_at, last_try_at=excluded.last_try_at, last_error='', failures=0`,
				direction, at.UnixMilli(), at.UnixMilli())
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO sync_state(direction, last_try_at, last_error, failures) VALUES (?,?,?,1)
			ON CONFLICT(direction) DO UPDATE SET last_try_at=excluded.last_try_at, last_error=excluded.last_error, failures=sync_state.failures+1`,
			direction, at.UnixMilli(), syncErr.Error())
		return err
	})
}

// SetSyncPeerURL moves the enrolment to a new address of the same back
// office (the embedded demo one listens on a new port at every start).
func (db *DB) SetSyncPeerURL(ctx context.Context, url string) error {
	return db.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE sync_peer SET url = ? WHERE one = 1`, url)
		return err
	})
}
