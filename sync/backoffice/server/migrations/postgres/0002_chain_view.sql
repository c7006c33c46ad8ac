-- The chain view (docs/sync.md "Chain view"). A business day's takings rows: the
-- expression is the very text chain.go queries with (a planner only uses an
-- expression index for the same expression), partial so other topics add nothing.
CREATE INDEX records_takings_day ON records ((payload ->> 'business_day'), terminal) WHERE topic = 'takings';
-- Each terminal's record count and last sync from the index alone.
CREATE INDEX records_terminal_received ON records (terminal, received_at);
