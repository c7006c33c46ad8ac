package main

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/localdb"
)

// payDeposit freezes a deposit through `pos pay --deposit` and returns
// its number.
func payDeposit(t *testing.T, dir, code, amount string) string {
	t.Helper()
	rc, out, errs := runCmd(t, fast, "pay", "--deposit", "--data-dir", dir, "--code", code, "--amount", amount)
	require.Equal(t, 0, rc, out+errs)
	no := orderNo(out)
	require.NotEmpty(t, no)
	return no
}

// ageDeposit moves a deposit's freeze back by age, as if it had been
// taken that long ago.
func ageDeposit(t *testing.T, dir, no string, age time.Duration) {
	t.Helper()
	db, err := localdb.Open(dbPath(dir))
	require.NoError(t, err)
	defer db.Close()
	require.NoError(t, db.Write(context.Background(), func(tx *sql.Tx) error {
		_, err := tx.Exec(`UPDATE deposit SET created_at=? WHERE deposit_no=?`, fastClock.Now().Add(-age).UnixMilli(), no)
		return err
	}))
}

func TestDepositCLI_ListShowConsumeRelease(t *testing.T) {
	dir := demoFolder(t)
	t.Setenv("POS_PIN", "8888")
	dep := func(args ...string) (int, string, string) {
		return runCmd(t, fast, append([]string{"deposit", "--data-dir", dir}, args...)...)
	}
	wx := payDeposit(t, dir, "134567890123457001", "100.00")
	ali := payDeposit(t, dir, "2812345678907002", "50.00")

	rc, out, errs := dep("list", "--open")
	require.Equal(t, 0, rc, out+errs)
	assert.Contains(t, out, wx)
	assert.Contains(t, out, ali)
	assert.Contains(t, out, "100.00")
	assert.NotContains(t, out, "!", "nothing near its limit yet")

	rc, out, _ = dep("list", "--wallet", "alipay")
	require.Equal(t, 0, rc)
	assert.Contains(t, out, ali)
	assert.NotContains(t, out, wx)

	rc, out, errs = dep("show", wx)
	require.Equal(t, 0, rc, out+errs)
	assert.Contains(t, out, "Deposit "+wx)
	assert.Contains(t, out, "No consume or release yet.")
	assert.Contains(t, out, "refunds it by itself on", "WeChat's 30-day limit")

	// Found by the last six of its number too.
	rc, out, errs = dep("show", wx[len(wx)-6:])
	require.Equal(t, 0, rc, out+errs)
	assert.Contains(t, out, "Deposit "+wx)

	// Consume: the rest goes back by itself.
	rc, out, errs = dep("consume", wx, "--amount", "30.00", "--staff", "1001")
	require.Equal(t, 0, rc, out+errs)
	rc, out, _ = dep("show", wx)
	require.Equal(t, 0, rc)
	assert.Contains(t, out, "consumed ￥30.00 · released ￥70.00 · held ￥0.00")
	assert.Contains(t, out, "consume  ￥30.00  done")

	// Release: all of it; --deposit NO still works.
	rc, out, errs = dep("release", "--deposit", ali, "--staff", "1001")
	require.Equal(t, 0, rc, out+errs)
	rc, out, _ = dep("show", ali)
	require.Equal(t, 0, rc)
	assert.Contains(t, out, "released ￥50.00 · held ￥0.00")

	rc, out, _ = dep("list", "--open")
	require.Equal(t, 0, rc)
	assert.Contains(t, out, "No deposits match.")

	rc, out, _ = runCmdLang(t, fast, "zh", "deposit", "--data-dir", dir, "list")
	require.Equal(t, 0, rc)
	assert.Contains(t, out, "押金单号")
	assert.Contains(t, out, "已消费")
}

// Mistakes a person can see are refused before anything is sent: the
// deposit keeps no operation.
func TestDepositCLI_BadInputSendsNothing(t *testing.T) {
	dir := demoFolder(t)
	t.Setenv("POS_PIN", "8888")
	dep := func(args ...string) (int, string, string) {
		return runCmd(t, fast, append([]string{"deposit", "--data-dir", dir}, args...)...)
	}
	no := payDeposit(t, dir, "134567890123457011", "100.00")
	rc, out, errs := runCmd(t, fast, "pay", "--data-dir", dir, "--code", "134567890123457012", "--amount", "8.00")
	require.Equal(t, 0, rc, out+errs)
	sale := orderNo(out)

	cases := []struct {
		args []string
		rc   int
		want string
	}{
		{[]string{"consume", no, "--amount", "0", "--staff", "1001"}, 2, "--amount"},
		{[]string{"consume", no, "--amount", "-1", "--staff", "1001"}, 2, "--amount"},
		{[]string{"consume", no, "--amount", "100.01", "--staff", "1001"}, 2, "is more than the ￥100.00 still held; nothing was sent"},
		{[]string{"consume", sale, "--amount", "1", "--staff", "1001"}, 1, "is a sale's number, not a deposit's"},
		{[]string{"release", sale, "--staff", "1001"}, 1, "is a sale's number, not a deposit's"},
		{[]string{"show", sale}, 1, "is a sale's number, not a deposit's"},
		{[]string{"show", "NO-SUCH-1"}, 1, "NO-SUCH-1"},
		{[]string{"release", "--staff", "1001"}, 2, "give the deposit number"},
		{[]string{"release", no, "--deposit", no, "--staff", "1001"}, 2, "unexpected arguments"},
		{[]string{"list", "--wallet", "cash"}, 2, "--wallet takes wechat or alipay"},
		{[]string{"list", "--from", "yesterday"}, 2, "yesterday"},
		{[]string{"frobnicate"}, 2, "Usage: pos deposit"},
	}
	for _, c := range cases {
		rc, out, errs := dep(c.args...)
		assert.Equal(t, c.rc, rc, "%v: %s%s", c.args, out, errs)
		assert.Contains(t, errs, c.want, c.args)
	}
	rc, out, _ = dep("show", no)
	require.Equal(t, 0, rc)
	assert.Contains(t, out, "No consume or release yet.", "nothing was sent")

	// Fully consumed: neither release nor another consume is sent.
	rc, out, errs = dep("consume", no, "--amount", "100.00", "--staff", "1001")
	require.Equal(t, 0, rc, out+errs)
	for _, args := range [][]string{{"release", no, "--staff", "1001"}, {"consume", no, "--amount", "1", "--staff", "1001"}} {
		rc, _, errs = dep(args...)
		assert.Equal(t, 2, rc, errs)
		assert.Contains(t, errs, "has already been consumed; nothing was sent", args)
	}
	// Released: a second release is refused.
	no2 := payDeposit(t, dir, "134567890123457013", "20.00")
	rc, out, errs = dep("release", no2, "--staff", "1001")
	require.Equal(t, 0, rc, out+errs)
	rc, _, errs = dep("release", no2, "--staff", "1001")
	assert.Equal(t, 2, rc, errs)
	assert.Contains(t, errs, "has already been returned in full; nothing was sent")
}

// WeChat refunds an unsettled deposit after 30 days: the list marks those
// within 3 days of it, and one past it is refused.
func TestDepositCLI_ChannelLimit(t *testing.T) {
	dir := demoFolder(t)
	t.Setenv("POS_PIN", "8888")
	dep := func(args ...string) (int, string, string) {
		return runCmd(t, fast, append([]string{"deposit", "--data-dir", dir}, args...)...)
	}
	near := payDeposit(t, dir, "134567890123457021", "10.00")
	past := payDeposit(t, dir, "134567890123457022", "10.00")
	ali := payDeposit(t, dir, "2812345678907023", "10.00")
	ageDeposit(t, dir, near, 28*24*time.Hour)
	ageDeposit(t, dir, past, 31*24*time.Hour)
	ageDeposit(t, dir, ali, 40*24*time.Hour)

	rc, out, errs := dep("list", "--open")
	require.Equal(t, 0, rc, out+errs)
	assert.Regexp(t, `(?m)^!\s+`+near+`\s.*\s28$`, out)
	assert.Regexp(t, `(?m)^!\s+`+past+`\s.*\s31$`, out)
	assert.Regexp(t, `(?m)^\s+`+ali+`\s.*\s40$`, out, "no limit is known for Alipay")
	assert.Contains(t, out, "2 deposit(s) within 3 days of the wallet's automatic refund")

	rc, out, _ = dep("show", near)
	require.Equal(t, 0, rc)
	assert.Contains(t, out, "! Settle it soon")

	rc, _, errs = dep("release", past, "--staff", "1001")
	assert.Equal(t, 2, rc, errs)
	assert.Contains(t, errs, "31 days old: the wallet has already returned it by itself; nothing was sent")
	rc, out, errs = dep("release", near, "--staff", "1001")
	assert.Equal(t, 0, rc, "still in time: "+out+errs)
}

// The guest's details go with pos pay --deposit, are searched by
// pos deposit list --guest, and the phone is masked when shown. Reading
// deposits needs the deposit permission, as consuming them does.
func TestDepositCLI_GuestAndPermission(t *testing.T) {
	dir := demoFolder(t)
	t.Setenv("POS_PIN", "8888")
	dep := func(args ...string) (int, string, string) {
		return runCmd(t, fast, append([]string{"deposit", "--data-dir", dir}, args...)...)
	}
	rc, out, errs := runCmd(t, fast, "pay", "--deposit", "--data-dir", dir, "--code", "134567890123457031",
		"--amount", "300", "--room", "1208", "--guest", "陈静", "--phone", "13812345678")
	require.Equal(t, 0, rc, out+errs)
	room := orderNo(out)
	other := payDeposit(t, dir, "134567890123457032", "20.00")

	rc, out, errs = dep("list", "--guest", "12")
	require.Equal(t, 0, rc, out+errs)
	assert.Contains(t, out, room)
	assert.NotContains(t, out, other)
	rc, out, _ = dep("list", "--guest", "陈")
	require.Equal(t, 0, rc)
	assert.Contains(t, out, room)
	rc, out, _ = dep("list", "--guest", "208")
	require.Equal(t, 0, rc)
	assert.NotContains(t, out, room, "a room is matched from its start")

	rc, out, errs = dep("show", room)
	require.Equal(t, 0, rc, out+errs)
	assert.Contains(t, out, "Room: 1208")
	assert.Contains(t, out, "138****5678")
	assert.NotContains(t, out, "13812345678", "the phone is never shown whole")

	// A clerk without the deposit permission reads nothing; neither does a
	// wrong PIN.
	rc, out, errs = dep("list", "--staff", "1003", "--pin", "5678")
	assert.Equal(t, 1, rc, out+errs)
	assert.Contains(t, errs, "deposit")
	assert.NotContains(t, out, room)
	rc, out, _ = dep("show", room, "--staff", "1003", "--pin", "5678")
	assert.Equal(t, 1, rc)
	assert.NotContains(t, out, "1208")

	// Bad guest details are refused before anything is written.
	before := folderSums(t, dir)
	for _, args := range [][]string{
		{"--room", "1208"},                      // not a deposit
		{"--deposit", "--phone", "138-call-me"}, // letters in a phone
		{"--deposit", "--guest", strings.Repeat("名", app.GuestNameMax+1)}, // too long
	} {
		rc, _, errs = runCmd(t, fast, append([]string{"pay", "--data-dir", dir, "--code", "134567890123457033", "--amount", "5"}, args...)...)
		assert.Equal(t, 2, rc, "%v: %s", args, errs)
	}
	assert.Equal(t, before, folderSums(t, dir))
}
