package main

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cashier/hardware/printq"
)

// pos devices unlock checks the PIN before any device starts, and opens a
// door without starting the printer: a receipt left queued is not printed
// by a door command (nor by a wrong PIN).
func TestDoorCLI_LogsInFirstAndStartsOnlyTheLocks(t *testing.T) {
	dir := demoFolder(t)
	ctx := context.Background()
	s, err := Open(ctx, Options{DataDir: dir, Command: "test", Lock: true, Seed: true})
	require.NoError(t, err)
	now := time.Now()
	id, err := s.DB.PrintJobs().InsertJob(ctx, printq.Job{Printer: "receipt", Kind: printq.KindTest, Ref: "left-queued",
		Payload: []byte("left queued\n"), CreatedAt: now, UpdatedAt: now})
	require.NoError(t, err)
	s.Close()
	job := func() printq.Job {
		s, err := Open(ctx, Options{DataDir: dir, Command: "test"})
		require.NoError(t, err)
		defer s.Close()
		j, err := s.DB.PrintJobs().GetJob(ctx, id)
		require.NoError(t, err)
		return j
	}

	code, out, errs := runCmd(t, fast, "devices", "unlock", "--data-dir", dir, "--board", "1", "--lock", "3", "--staff", "1001", "--pin", "0000")
	require.Equal(t, 1, code, out+errs)
	assert.NotContains(t, out, "opened")
	code, out, errs = runCmd(t, fast, "devices", "unlock", "--data-dir", dir, "--board", "1", "--lock", "3")
	require.Equal(t, 0, code, "the demo manager by default: "+out+errs)
	assert.Contains(t, out, "board 1 door 3 opened")
	j := job()
	assert.Equal(t, printq.Queued, j.State, "the door command printed nothing")
	assert.Zero(t, j.Attempts)
}

// A release gives back everything held: an amount is refused, not
// ignored; a consume needs one. Both before the folder is touched.
func TestDepositCLI_AmountRules(t *testing.T) {
	dir := demoFolder(t)
	before := folderSums(t, dir)
	code, _, errs := runCmd(t, fast, "deposit", "release", "--data-dir", dir, "--deposit", "D1", "--amount", "5")
	require.Equal(t, 2, code, errs)
	assert.Contains(t, errs, "--amount")
	code, _, errs = runCmd(t, fast, "deposit", "consume", "--data-dir", dir, "--deposit", "D1")
	require.Equal(t, 2, code, errs)
	assert.Contains(t, errs, "--amount is required")
	assert.Equal(t, before, folderSums(t, dir))
}
