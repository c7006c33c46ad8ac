// Package cabinet is the smart open-door cabinet's use cases: opening a
// door by hand is a permission (cabinet door) checked at the moment of the
// action, and every attempt is audited with who, which door and the result.
package cabinet

import (
	"context"
	"errors"
	"fmt"

	"cashier/app"
)

// Door is one lock's state.
type Door struct {
	Board, Lock int
	Open        bool
}

// Locks is the lock line as the cabinet use cases need it.
type Locks interface {
	// Open asks the board to open a lock; opened reports what the board
	// answered.
	Open(ctx context.Context, board, lock int) (opened bool, err error)
	// Doors reads every configured door's state.
	Doors(ctx context.Context) ([]Door, error)
}

// ErrNotOpened: the board answered that the lock did not open.
var ErrNotOpened = app.NewError("cabinet.not_opened")

// Service opens doors for people allowed to.
type Service struct {
	Locks   Locks
	Permits app.Permits
	Audit   app.AuditLog
	Clock   app.Clock
}

// OpenDoor opens one door for staffID. A refusal is audited too, so the
// log shows who tried.
func (s Service) OpenDoor(ctx context.Context, staffID int64, board, lock int) error {
	subject := fmt.Sprintf("%d-%d", board, lock)
	if _, err := s.Permits.Check(ctx, staffID, app.PermCabinet); err != nil {
		aerr := s.Audit.Audit(ctx, app.AuditEntry{At: s.Clock.Now(), StaffID: staffID, Action: "cabinet_open_refused", Subject: subject})
		return errors.Join(err, aerr) // still refused; a failed audit is said too
	}
	opened, err := s.Locks.Open(ctx, board, lock)
	result := "opened"
	switch {
	case err != nil:
		result = "error=" + err.Error()
	case !opened:
		result = "not_opened"
		err = ErrNotOpened.With("Board", board, "Lock", lock)
	}
	if aerr := s.Audit.Audit(ctx, app.AuditEntry{At: s.Clock.Now(), StaffID: staffID, Action: "cabinet_open", Subject: subject, Detail: result}); aerr != nil && err == nil {
		err = aerr
	}
	return err
}

// Doors reads the doors' states (no permission: it only looks).
func (s Service) Doors(ctx context.Context) ([]Door, error) { return s.Locks.Doors(ctx) }
