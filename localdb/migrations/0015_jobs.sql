-- Runs of the scheduled jobs (app/jobs): written when a run starts and
-- again when it ends, so a run the program was doing when it died is
-- found (state 'running') and closed as interrupted by the next start.
-- The newest 50 runs of each job are kept. Schedules are settings
-- (job.<name>.schedule, job.<name>.enabled).
CREATE TABLE job_run (
  id INTEGER PRIMARY KEY,
  job TEXT NOT NULL,                       -- the job's name: settle, reconcile, ...
  trigger TEXT NOT NULL CHECK (trigger IN ('schedule','now','start','cli')),
  staff_id INTEGER REFERENCES staff(id),   -- who asked (run now, pos jobs run); NULL for the scheduler
  started_at INTEGER NOT NULL,             -- unix ms, the wall clock
  ended_at INTEGER,                        -- unix ms, the wall clock; NULL while running
  duration_ms INTEGER,                     -- measured on the monotonic clock: a clock set during the run does not change it
  state TEXT NOT NULL CHECK (state IN ('running','ok','failed','interrupted')),
  done INTEGER NOT NULL DEFAULT 0,         -- what it handled
  open INTEGER NOT NULL DEFAULT 0,         -- what it left open or found wrong
  summary TEXT NOT NULL DEFAULT '',        -- a message (code and parameters, JSON) to put into words
  error TEXT NOT NULL DEFAULT '',          -- why it failed, as a message (JSON)
  error_detail TEXT NOT NULL DEFAULT ''    -- the technical text, for support
);
CREATE INDEX job_run_job ON job_run(job, id);
CREATE INDEX job_run_running ON job_run(state) WHERE state = 'running';
