package localdb

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"cashier/hardware/printq"
)

// PrintJobs is the durable print queue's store (table print_jobs).
func (db *DB) PrintJobs() printq.Store { return printJobs{db} }

type printJobs struct{ db *DB }

const printJobCols = `id, printer, kind, ref, state, attempts, last_error, reprint_of, created_at, updated_at, printed_at`

func scanPrintJob(row interface{ Scan(...any) error }, payload *[]byte) (printq.Job, error) {
	var j printq.Job
	var state string
	var reprint, printed sql.NullInt64
	var created, updated int64
	dest := []any{&j.ID, &j.Printer, &j.Kind, &j.Ref, &state, &j.Attempts, &j.LastError, &reprint, &created, &updated, &printed}
	if payload != nil {
		dest = append(dest, payload)
	}
	if err := row.Scan(dest...); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return j, printq.ErrNotFound
		}
		return j, err
	}
	j.State = printq.State(state)
	j.ReprintOf = reprint.Int64
	j.CreatedAt = time.UnixMilli(created)
	j.UpdatedAt = time.UnixMilli(updated)
	j.PrintedAt = fromMS(printed)
	return j, nil
}

func (s printJobs) InsertJob(ctx context.Context, j printq.Job) (int64, error) {
	var id int64
	err := s.db.Write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO print_jobs(printer, kind, ref, payload, state, attempts, last_error,
			reprint_of, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)`,
			j.Printer, j.Kind, j.Ref, j.Payload, string(printq.Queued), 0, j.LastError,
			nullID(j.ReprintOf), ms(j.CreatedAt), ms(j.UpdatedAt))
		if err != nil {
			return err
		}
		id, err = res.LastInsertId()
		return err
	})
	return id, err
}

func (s printJobs) GetJob(ctx context.Context, id int64) (printq.Job, error) {
	var payload []byte
	j, err := scanPrintJob(s.db.reader.QueryRowContext(ctx,
		`SELECT `+printJobCols+`, payload FROM print_jobs WHERE id=?`, id), &payload)
	j.Payload = payload
	return j, err
}

func (s printJobs) NextQueued(ctx context.Context, printer string) (printq.Job, error) {
	var payload []byte
	j, err := scanPrintJob(s.db.reader.QueryRowContext(ctx,
		`SELECT `+printJobCols+`, payload FROM print_jobs WHERE printer=? AND state='queued' ORDER BY id LIMIT 1`, printer), &payload)
	j.Payload = payload
	return j, err
}

func (s printJobs) ListJobs(ctx context.Context, f printq.Filter) ([]printq.Job, error) {
	var where []string
	var args []any
	if f.Printer != "" {
		where = append(where, "printer=?")
		args = append(args, f.Printer)
	}
	if f.Ref != "" {
		where = append(where, "ref=?")
		args = append(args, f.Ref)
	}
	if len(f.States) > 0 {
		where = append(where, "state IN (?"+strings.Repeat(",?", len(f.States)-1)+")")
		for _, st := range f.States {
			args = append(args, string(st))
		}
	}
	q := `SELECT ` + printJobCols + ` FROM print_jobs`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	q += " ORDER BY id DESC LIMIT ?"
	args = append(args, limit)
	rows, err := s.db.reader.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []printq.Job
	for rows.Next() {
		j, err := scanPrintJob(rows, nil)
		if err != nil {
			return nil, err
		}
		out = append(out, j)
	}
	return out, rows.Err()
}

func (s printJobs) Transition(ctx context.Context, id int64, from []printq.State, to printq.State, lastErr string, at time.Time) error {
	if len(from) == 0 {
		return printq.ErrConflict
	}
	args := []any{string(to), lastErr, ms(at), string(to), string(to), ms(at), id}
	for _, st := range from {
		args = append(args, string(st))
	}
	return s.db.Write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE print_jobs SET state=?, last_error=?, updated_at=?,
			attempts = attempts + (CASE WHEN ?='printing' THEN 1 ELSE 0 END),
			printed_at = CASE WHEN ?='printed' THEN ? ELSE printed_at END
			WHERE id=? AND state IN (?`+strings.Repeat(",?", len(from)-1)+`)`, args...)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			return err
		}
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM print_jobs WHERE id=?`, id).Scan(&one); errors.Is(err, sql.ErrNoRows) {
			return printq.ErrNotFound
		} else if err != nil {
			return err
		}
		return printq.ErrConflict
	})
}

func (s printJobs) SetLastError(ctx context.Context, id int64, msg string, at time.Time) error {
	return s.db.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE print_jobs SET last_error=?, updated_at=? WHERE id=? AND state='queued'`, msg, ms(at), id)
		return err
	})
}

func (s printJobs) RequeuePrinting(ctx context.Context, msg string, at time.Time) (int, error) {
	var n int64
	err := s.db.Write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE print_jobs SET state='queued', last_error=?, updated_at=? WHERE state='printing'`, msg, ms(at))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}
