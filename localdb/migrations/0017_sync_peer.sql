-- The back office this terminal is enrolled with (at most one), and how
-- each direction of sync last went, for the status bar, the logout and
-- quit warnings and the jobs' backoff.
CREATE TABLE sync_peer (
  one INTEGER PRIMARY KEY CHECK (one = 1),
  url TEXT NOT NULL,
  terminal TEXT NOT NULL,
  store_code TEXT NOT NULL,
  secret TEXT NOT NULL,                  -- base64, as the back office issued it
  demo INTEGER NOT NULL DEFAULT 0,       -- the embedded back office of make run
  enrolled_at INTEGER NOT NULL
);

CREATE TABLE sync_state (
  direction TEXT PRIMARY KEY CHECK (direction IN ('push','pull')),
  last_ok_at INTEGER,
  last_try_at INTEGER,
  last_error TEXT NOT NULL DEFAULT '',
  failures INTEGER NOT NULL DEFAULT 0
);
