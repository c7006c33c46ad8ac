// Package jobstest holds in-memory stand-ins for the jobs registry's
// ports, for tests of the registry and of the screens that show it.
package jobstest

import (
	"context"
	"sort"
	"sync"
	"time"

	"cashier/app"
	"cashier/app/jobs"
)

// Store is an in-memory jobs.Store.
type Store struct {
	mu        sync.Mutex
	schedules map[string]jobs.Schedule
	runs      []jobs.Run
	nextID    int64
	Audits    []app.AuditEntry
	// Fail, when set, fails every write.
	Fail error
}

var _ jobs.Store = (*Store)(nil)

// NewStore makes an empty store.
func NewStore() *Store { return &Store{schedules: map[string]jobs.Schedule{}} }

func (s *Store) JobSchedules(context.Context) (map[string]jobs.Schedule, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]jobs.Schedule, len(s.schedules))
	for k, v := range s.schedules {
		out[k] = v
	}
	return out, nil
}

func (s *Store) SaveJobSchedule(_ context.Context, name string, sc jobs.Schedule, e app.AuditEntry) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Fail != nil {
		return s.Fail
	}
	s.schedules[name] = sc
	s.Audits = append(s.Audits, e)
	return nil
}

func (s *Store) StartJobRun(_ context.Context, r jobs.Run) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Fail != nil {
		return 0, s.Fail
	}
	s.nextID++
	r.ID = s.nextID
	s.runs = append(s.runs, r)
	return r.ID, nil
}

func (s *Store) FinishJobRun(_ context.Context, r jobs.Run, keep int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Fail != nil {
		return s.Fail
	}
	for i := range s.runs {
		if s.runs[i].ID == r.ID {
			s.runs[i] = r
		}
	}
	var kept []jobs.Run
	n := 0
	for i := len(s.runs) - 1; i >= 0; i-- {
		if s.runs[i].Job == r.Job {
			n++
			if n > keep {
				continue
			}
		}
		kept = append(kept, s.runs[i])
	}
	sort.Slice(kept, func(i, j int) bool { return kept[i].ID < kept[j].ID })
	s.runs = kept
	return nil
}

func (s *Store) LastJobRuns(_ context.Context, job string, limit int) ([]jobs.Run, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []jobs.Run
	for i := len(s.runs) - 1; i >= 0 && len(out) < limit; i-- {
		if s.runs[i].Job == job {
			out = append(out, s.runs[i])
		}
	}
	return out, nil
}

func (s *Store) InterruptJobRuns(_ context.Context, at time.Time) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for i := range s.runs {
		if s.runs[i].State == jobs.StateRunning {
			s.runs[i].State, s.runs[i].End = jobs.StateInterrupted, at
			s.runs[i].Err = app.Msg("jobs.err.interrupted")
			n++
		}
	}
	return n, nil
}

// Runs are every run kept, oldest first.
func (s *Store) Runs() []jobs.Run {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]jobs.Run(nil), s.runs...)
}

// Permits allows the staff IDs it holds (app.PermSettings or anything).
type Permits map[int64]bool

func (p Permits) Check(_ context.Context, id int64, perm string) (app.Staff, error) {
	if !p[id] {
		return app.Staff{ID: id}, app.ErrNoPermission.With("Name", id, "Perm", perm)
	}
	return app.Staff{ID: id}, nil
}
