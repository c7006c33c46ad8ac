package localdb

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"cashier/app"
	"cashier/app/jobs"
)

// A job's schedule lives in two settings, so `pos config`'s table and a
// backup carry it like any other setting: job.<name>.schedule (the spec)
// and job.<name>.enabled ("1" or "0"; unset: on).
const (
	jobSettingPrefix = "job."
	jobSpecSuffix    = ".schedule"
	jobOnSuffix      = ".enabled"
)

var _ jobs.Store = (*DB)(nil)

// JobSchedules implements jobs.Store: the schedules people saved.
func (db *DB) JobSchedules(ctx context.Context) (map[string]jobs.Schedule, error) {
	rows, err := db.reader.QueryContext(ctx, `SELECT key, value FROM setting WHERE key GLOB 'job.*'`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]jobs.Schedule{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, err
		}
		rest := strings.TrimPrefix(k, jobSettingPrefix)
		switch {
		case strings.HasSuffix(rest, jobSpecSuffix):
			name := strings.TrimSuffix(rest, jobSpecSuffix)
			s, ok := out[name]
			if !ok {
				s.Enabled = true
			}
			s.Spec = v
			out[name] = s
		case strings.HasSuffix(rest, jobOnSuffix):
			name := strings.TrimSuffix(rest, jobOnSuffix)
			s := out[name]
			s.Enabled = v != "0"
			out[name] = s
		}
	}
	return out, rows.Err()
}

// SaveJobSchedule implements jobs.Store: both settings and the audit line
// in one transaction.
func (db *DB) SaveJobSchedule(ctx context.Context, name string, s jobs.Schedule, e app.AuditEntry) error {
	on := "1"
	if !s.Enabled {
		on = "0"
	}
	return db.Write(ctx, func(tx *sql.Tx) error {
		if err := setSetting(ctx, tx, jobSettingPrefix+name+jobSpecSuffix, s.Spec); err != nil {
			return err
		}
		if err := setSetting(ctx, tx, jobSettingPrefix+name+jobOnSuffix, on); err != nil {
			return err
		}
		return InsertAudit(ctx, tx, e)
	})
}

// StartJobRun implements jobs.Store.
func (db *DB) StartJobRun(ctx context.Context, r jobs.Run) (int64, error) {
	var id int64
	err := db.Write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO job_run(job, trigger, staff_id, started_at, state) VALUES (?,?,?,?,?)`,
			r.Job, string(r.Trigger), nullID(r.StaffID), ms(r.Start), string(jobs.StateRunning))
		if err != nil {
			return err
		}
		id, err = res.LastInsertId()
		return err
	})
	return id, err
}

// FinishJobRun implements jobs.Store: the run's end, and only the newest
// keep runs of its job stay.
func (db *DB) FinishJobRun(ctx context.Context, r jobs.Run, keep int) error {
	summary, err := encodeMessage(r.Summary)
	if err != nil {
		return err
	}
	why, err := encodeMessage(r.Err)
	if err != nil {
		return err
	}
	return db.Write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE job_run SET ended_at=?, duration_ms=?, state=?, done=?, open=?, summary=?,
			error=?, error_detail=? WHERE id=?`, ms(r.End), r.Duration.Milliseconds(), string(r.State), r.Done, r.Open,
			summary, why, r.Detail, r.ID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM job_run WHERE job=? AND id < (
			SELECT id FROM job_run WHERE job=? ORDER BY id DESC LIMIT 1 OFFSET ?)`, r.Job, r.Job, max(keep, 1)-1)
		return err
	})
}

// LastJobRuns implements jobs.Store. A database the running app has not
// migrated to job_run yet (a read-only command beside an older app) has
// no runs.
func (db *DB) LastJobRuns(ctx context.Context, job string, limit int) ([]jobs.Run, error) {
	rows, err := db.reader.QueryContext(ctx, `SELECT id, job, trigger, COALESCE(staff_id, 0), started_at, ended_at,
		COALESCE(duration_ms, 0), state, done, open, summary, error, error_detail
		FROM job_run WHERE job=? ORDER BY id DESC LIMIT ?`, job, limit)
	if err != nil {
		if strings.Contains(err.Error(), "no such table") {
			return nil, nil
		}
		return nil, err
	}
	defer rows.Close()
	var out []jobs.Run
	for rows.Next() {
		var r jobs.Run
		var trigger, state, summary, why string
		var start int64
		var end sql.NullInt64
		var dur int64
		if err := rows.Scan(&r.ID, &r.Job, &trigger, &r.StaffID, &start, &end, &dur, &state, &r.Done, &r.Open,
			&summary, &why, &r.Detail); err != nil {
			return nil, err
		}
		r.Trigger, r.State = jobs.Trigger(trigger), jobs.State(state)
		r.Start, r.End, r.Duration = time.UnixMilli(start), fromMS(end), time.Duration(dur)*time.Millisecond
		if r.Summary, err = decodeMessage(summary); err != nil {
			return nil, fmt.Errorf("job_run %d summary: %w", r.ID, err)
		}
		if r.Err, err = decodeMessage(why); err != nil {
			return nil, fmt.Errorf("job_run %d error: %w", r.ID, err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// InterruptJobRuns implements jobs.Store.
func (db *DB) InterruptJobRuns(ctx context.Context, at time.Time) (int, error) {
	why, err := encodeMessage(app.Msg("jobs.err.interrupted"))
	if err != nil {
		return 0, err
	}
	var n int64
	err = db.Write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE job_run SET state='interrupted', ended_at=?, error=? WHERE state='running'`,
			ms(at), why)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}

// storedMessage is an app.Message kept as JSON. Parameters keep their
// kind, so an amount is shown as an amount and a time as a time when the
// run is read back and put into words.
type storedMessage struct {
	Code string               `json:"code"`
	Args map[string]storedArg `json:"args,omitempty"`
}

type storedArg struct {
	S     *string        `json:"s,omitempty"`
	I     *int64         `json:"i,omitempty"`
	F     *float64       `json:"f,omitempty"`
	Money *int64         `json:"money,omitempty"`
	Time  *int64         `json:"time,omitempty"` // unix ms
	Dur   *int64         `json:"dur,omitempty"`  // ns
	Msg   *storedMessage `json:"msg,omitempty"`
}

func encodeMessage(m app.Message) (string, error) {
	if m.IsZero() {
		return "", nil
	}
	b, err := json.Marshal(toStored(m))
	return string(b), err
}

func toStored(m app.Message) *storedMessage {
	s := &storedMessage{Code: m.Code}
	if len(m.Args) > 0 {
		s.Args = make(map[string]storedArg, len(m.Args))
	}
	for k, v := range m.Args {
		var a storedArg
		switch x := v.(type) {
		case string:
			a.S = &x
		case app.Money:
			n := int64(x)
			a.Money = &n
		case time.Time:
			n := x.UnixMilli()
			a.Time = &n
		case time.Duration:
			n := int64(x)
			a.Dur = &n
		case int:
			n := int64(x)
			a.I = &n
		case int64:
			a.I = &x
		case int32:
			n := int64(x)
			a.I = &n
		case float64:
			a.F = &x
		case app.Message:
			a.Msg = toStored(x)
		case error:
			if em, ok := app.AsMessage(x); ok {
				a.Msg = toStored(em)
			} else {
				a.Msg = toStored(app.Msg("err.internal", "Detail", x.Error()))
			}
		default:
			t := fmt.Sprint(x)
			a.S = &t
		}
		s.Args[k] = a
	}
	return s
}

func decodeMessage(text string) (app.Message, error) {
	if text == "" {
		return app.Message{}, nil
	}
	var s storedMessage
	if err := json.Unmarshal([]byte(text), &s); err != nil {
		return app.Message{}, err
	}
	return fromStored(&s), nil
}

func fromStored(s *storedMessage) app.Message {
	m := app.Message{Code: s.Code}
	if len(s.Args) > 0 {
		m.Args = make(map[string]any, len(s.Args))
	}
	for k, a := range s.Args {
		var v any
		switch {
		case a.S != nil:
			v = *a.S
		case a.Money != nil:
			v = app.Money(*a.Money)
		case a.Time != nil:
			v = time.UnixMilli(*a.Time)
		case a.Dur != nil:
			v = time.Duration(*a.Dur)
		case a.I != nil:
			v = *a.I
		case a.F != nil:
			v = *a.F
		case a.Msg != nil:
			v = fromStored(a.Msg)
		}
		m.Args[k] = v
	}
	return m
}
