package jobs_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cashier/app"
	. "cashier/app/jobs"
)

func zone(t *testing.T, name string) *time.Location {
	loc, err := time.LoadLocation(name)
	require.NoError(t, err)
	return loc
}

// Good specs parse; each bad one is refused with the case that says why,
// naming what was typed.
func TestParse_GoodAndBad(t *testing.T) {
	sh := zone(t, "Asia/Shanghai")
	for _, good := range []string{"@every 5m", "@daily", "@hourly", "30 3 * * *", "*/10 8-22 * * 1-5", "  0 0 1 * *  "} {
		_, err := Parse(good, MinInterval, sh)
		assert.NoError(t, err, good)
	}
	for _, c := range []struct {
		spec string
		want *app.Error
	}{
		{"", ErrEmpty},
		{"   ", ErrEmpty},
		{"30 3 * *", ErrFields},
		{"0 30 3 * * *", ErrFields}, // seconds are not taken
		{"@sometimes", ErrDescribed},
		{"CRON_TZ=Europe/Berlin 30 3 * * *", ErrZone},
		{"TZ=UTC @daily", ErrZone},
		{"@every 10s", ErrTooOften},
		{"@every soon", ErrSchedule},
		{"61 * * * *", ErrSchedule},
		{"0 0 30 2 *", ErrNever},
	} {
		_, err := Parse(c.spec, MinInterval, sh)
		require.Error(t, err, c.spec)
		assert.ErrorIs(t, err, c.want, c.spec)
		assert.True(t, IsSchedule(err), c.spec)
		m, ok := app.AsMessage(err)
		require.True(t, ok)
		if c.want != ErrEmpty {
			assert.Equal(t, trimmed(c.spec), m.Args["Spec"], "the message names the spec: %s", c.spec)
		}
	}
	_, err := Parse("CRON_TZ=Europe/Berlin 30 3 * * *", MinInterval, sh)
	m, _ := app.AsMessage(err)
	assert.Equal(t, "Asia/Shanghai", m.Args["Zone"], "says which zone the jobs run in")
}

func trimmed(s string) string {
	for len(s) > 0 && s[0] == ' ' {
		s = s[1:]
	}
	for len(s) > 0 && s[len(s)-1] == ' ' {
		s = s[:len(s)-1]
	}
	return s
}

// 03:30 is the store's 03:30: a store in Shanghai and one in Berlin run
// the same spec at different instants, and the registry shows the next
// run in the store's zone.
func TestNext_InTheStoresZone(t *testing.T) {
	now := time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)
	s, err := Parse("30 3 * * *", MinInterval, nil)
	require.NoError(t, err)
	sh := Next(s, now, zone(t, "Asia/Shanghai"))
	be := Next(s, now, zone(t, "Europe/Berlin"))
	assert.Equal(t, time.Date(2025, 3, 10, 19, 30, 0, 0, time.UTC), sh.UTC(), "03:30 on the 11th in Shanghai (UTC+8)")
	assert.Equal(t, time.Date(2025, 3, 11, 2, 30, 0, 0, time.UTC), be.UTC(), "03:30 on the 11th in Berlin (UTC+1)")
	assert.NotEqual(t, sh.UTC(), be.UTC())
	assert.Equal(t, "03:30", sh.Format("15:04"))
	assert.Equal(t, "03:30", be.Format("15:04"))

	// Across Berlin's change to summer time the wall time stays 03:30 and
	// the instant moves.
	be2 := Next(s, time.Date(2025, 3, 30, 12, 0, 0, 0, time.UTC), zone(t, "Europe/Berlin"))
	assert.Equal(t, time.Date(2025, 3, 31, 1, 30, 0, 0, time.UTC), be2.UTC())

	for _, z := range []string{"Asia/Shanghai", "Europe/Berlin"} {
		loc := zone(t, z)
		r, _ := newTest(t, loc, app.NewManualClock(now))
		require.NoError(t, r.Add(Job{Name: "reconcile", Title: app.Msg("jobs.reconcile.title"), Default: "30 3 * * *",
			Work: okWork}))
		require.NoError(t, r.Load(context.Background()))
		st, err := r.Status("reconcile")
		require.NoError(t, err)
		assert.Equal(t, loc, st.Next.Location(), z)
		assert.Equal(t, "2025-03-11 03:30", st.Next.Format("2006-01-02 15:04"), z)
	}
}

// Yesterday is the store's yesterday: at 01:00 in Shanghai (17:00 UTC the
// day before) it is the day before the Shanghai date.
func TestYesterday_StoreDate(t *testing.T) {
	sh := zone(t, "Asia/Shanghai")
	now := time.Date(2025, 3, 9, 17, 0, 0, 0, time.UTC) // 2025-03-10 01:00 in Shanghai
	assert.Equal(t, time.Date(2025, 3, 9, 0, 0, 0, 0, sh), Yesterday(now, sh))
	assert.Equal(t, time.Date(2025, 3, 8, 0, 0, 0, 0, time.UTC), Yesterday(now, time.UTC))
}

// A panicking job ends its run as failed with the panic, not the till.
func TestSafely_Panic(t *testing.T) {
	_, err := Safely(context.Background(), func(context.Context, Progress) (Result, error) { panic("boom") }, nil)
	assert.ErrorIs(t, err, ErrPanic)
	m, _ := app.AsMessage(err)
	assert.Equal(t, "boom", m.Args["Detail"])

	// An error that is not an app.Error is kept as the internal-error
	// message with its text; an app.Error's error parameters become
	// messages (they are stored and put into words later).
	assert.Equal(t, app.Msg("err.internal", "Detail", "disk full"), Message(errors.New("disk full")))
	wrapped := Message(ErrSettleItems.With("Count", 2, "First", ErrNotHere.With("Title", "x")))
	assert.Equal(t, app.Msg("jobs.err.not_here", "Title", "x"), wrapped.Args["First"])
}
