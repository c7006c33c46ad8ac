package main

import (
	"context"
	"database/sql"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/hardware/lockboard"
	"cashier/localdb"
	"cashier/ui/i18n"
)

// demoDB opens a demo data folder's database (no devices started).
func demoDB(t *testing.T) *localdb.DB {
	t.Helper()
	s, err := Open(context.Background(), Options{DataDir: demoFolder(t), Command: "test", Lock: true, Seed: true})
	require.NoError(t, err)
	t.Cleanup(s.Close)
	return s.DB
}

func setSettings(t *testing.T, db *localdb.DB, kv ...string) {
	t.Helper()
	for i := 0; i < len(kv); i += 2 {
		require.NoError(t, db.SetSetting(context.Background(), kv[i], kv[i+1]))
	}
}

// unreadableSetting stores a value of key the database cannot hand back
// as text: reading it fails, reading other settings does not.
func unreadableSetting(t *testing.T, db *localdb.DB, key string) {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, db.Write(ctx, func(tx *sql.Tx) error {
		for _, q := range []string{
			`CREATE TABLE setting_loose (key TEXT PRIMARY KEY, value, updated_at INTEGER NOT NULL)`,
			`INSERT INTO setting_loose SELECT * FROM setting`,
			`DROP TABLE setting`,
			`ALTER TABLE setting_loose RENAME TO setting`,
		} {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO setting(key, value, updated_at) VALUES (?, NULL, 0)`, key)
		return err
	}))
}

// A device setting that cannot be read is not an empty one: the printer
// does not quietly become the simulated one.
func TestDevices_SettingReadErrorStopsThePrinter(t *testing.T) {
	db := demoDB(t)
	ctx := context.Background()
	unreadableSetting(t, db, SettingPrinterPort)
	var log lockedBuffer
	d, err := startDevices(ctx, db, app.SystemClock{}, &log, false)
	if err == nil {
		d.Close()
	}
	require.Error(t, err, "a printer.port that cannot be read must not start the simulated printer")
}

// A stored value the device cannot use is an error, never the default.
func TestDevices_UnknownStoredValuesAreErrors(t *testing.T) {
	ctx := context.Background()
	db := demoDB(t)
	setSettings(t, db, SettingPrinterWidth, "76")
	_, err := startDevices(ctx, db, app.SystemClock{}, &lockedBuffer{}, false)
	require.ErrorIs(t, err, ErrDeviceSetting)
	assert.Equal(t, SettingPrinterWidth, errArg(err, "Key"))

	// The speaker and the locks are reported, and the counter still starts.
	setSettings(t, db, SettingPrinterWidth, "58mm", SettingSpeakerModule, "xfs9999", SettingLockProtocol, "modbus")
	var log lockedBuffer
	d, err := startDevices(ctx, db, app.SystemClock{}, &log, false)
	require.NoError(t, err)
	defer d.Close()
	assert.Equal(t, 58, int(d.paper), "the width read by the printer's own parser")
	assert.Nil(t, d.speaker, "no speaker of a guessed module")
	assert.Nil(t, d.locks, "no lock line of a guessed protocol")
	assert.Contains(t, log.String(), "speaker:")
	assert.Contains(t, log.String(), SettingSpeakerModule)
	assert.Contains(t, log.String(), "locks:")
	assert.Contains(t, log.String(), SettingLockProtocol)

	// pos devices unlock's start: the lock line failing is the error.
	_, err = startDevices(ctx, db, app.SystemClock{}, &lockedBuffer{}, true)
	require.ErrorIs(t, err, ErrDeviceSetting)
}

// errArg is a parameter of the first app.Error in err's chain.
func errArg(err error, name string) any {
	m, _ := app.AsMessage(err)
	return m.Args[name]
}

// Board addresses and door counts are the protocol's.
func TestParseBoards_ByProtocol(t *testing.T) {
	for _, c := range []struct {
		v  string
		p  lockboard.Protocol
		ok bool
	}{
		{"1:12,2:24i", lockboard.XOR, true},
		{"0:12", lockboard.XOR, false}, // XOR boards are 1-32
		{"32:255", lockboard.XOR, true},
		{"33:12", lockboard.XOR, false},
		{"1:256", lockboard.XOR, false},
		{"0:16", lockboard.Kerong, true},
		{"9:16", lockboard.Kerong, true},
		{"10:12", lockboard.Kerong, false}, // Kerong boards are 0-9
		{"1:17", lockboard.Kerong, false},  // 16 locks a board
		{"1:12,1:24", lockboard.XOR, false},
		{"1-12", lockboard.XOR, false},
		{"", lockboard.XOR, true},
	} {
		_, err := parseBoards(c.v, c.p)
		assert.Equal(t, c.ok, err == nil, "%s %s: %v", c.p, c.v, err)
	}
}

// pos config set takes what the devices start with, and only that.
func TestConfig_DeviceValuesUseTheDevicesParsers(t *testing.T) {
	dir := t.TempDir()
	set := func(k, v string) (int, string) {
		code, _, errs := runCLI("--data-dir", dir, "config", "set", k, v)
		return code, errs
	}
	code, errs := set("printer.width", "80mm")
	require.Equal(t, 0, code, "the printer reads 80mm: %s", errs)
	code, _ = set("printer.width", "76")
	require.Equal(t, 2, code)
	code, errs = set("speaker.module", "xfs")
	require.Equal(t, 0, code, errs)
	code, _ = set("speaker.module", "xfs9999")
	require.Equal(t, 2, code)
	code, _ = set("lock.protocol", "modbus")
	require.Equal(t, 2, code)

	code, errs = set("lock.boards", "0:12")
	require.Equal(t, 2, code, "xor boards start at 1")
	assert.Contains(t, errs, "0:12")
	code, errs = set("lock.protocol", "kerong")
	require.Equal(t, 0, code, errs)
	code, errs = set("lock.boards", "0:12,9:16")
	require.Equal(t, 0, code, errs)
	code, errs = set("lock.protocol", "xor")
	require.Equal(t, 2, code, "the boards set up are not xor boards")
	assert.Contains(t, errs, "unchanged")
	code, out, _ := runCLI("--data-dir", dir, "config", "get", "lock.protocol")
	require.Equal(t, 0, code)
	assert.Equal(t, "kerong\n", out)
}

// Receipts name wallets in Chinese whatever the screen's language, with
// the same names the screens use in Chinese.
func TestTenderMethod_ChineseWhateverTheLanguage(t *testing.T) {
	require.NoError(t, i18n.Use(i18n.English))
	defer func() { _ = i18n.Use(i18n.Chinese) }()
	for w, want := range map[app.Wallet]string{
		app.WalletWeChat: "微信支付", app.WalletAlipay: "支付宝", app.WalletUnionPay: "云闪付", app.WalletMember: "会员卡",
	} {
		assert.Equal(t, want, tenderMethod(app.Tender{Kind: app.TenderWallet, Wallet: w}))
	}
	assert.Equal(t, "现金", tenderMethod(app.Tender{Kind: app.TenderCash}))
	assert.Equal(t, "钱包 X9", tenderMethod(app.Tender{Kind: app.TenderWallet, Wallet: "X9"}))
}

// The config and db commands speak the folder's language setting, as the
// others do, unless --lang is given.
func TestConfigAndDB_SpeakTheFolderLanguage(t *testing.T) {
	dir := t.TempDir()
	code, _, errs := runCLI("--data-dir", dir, "config", "set", "language", "en")
	require.Equal(t, 0, code, errs)
	code, out, errs := runCmdLang(t, nil, "", "--data-dir", dir, "config", "set", "printer.width", "58")
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "takes effect at the next start")
	code, _, errs = runCmdLang(t, nil, "", "--data-dir", dir, "config", "set", "printer.width", "76")
	require.Equal(t, 2, code)
	assert.Contains(t, errs, "unchanged")
	code, out, errs = runCmdLang(t, nil, "", "--data-dir", dir, "db", "check")
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "integrity: ok")
	code, out, errs = runCmdLang(t, nil, "", "--data-dir", dir, "db", "migrate")
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "already at version")
	code, out, _ = runCmdLang(t, nil, "zh", "--data-dir", dir, "db", "check")
	require.Equal(t, 0, code)
	assert.NotContains(t, out, "integrity", "--lang wins")
}

// pos config list fails on a setting it cannot read instead of showing it
// empty (which reads as "simulated").
func TestConfigList_ReadErrorFails(t *testing.T) {
	dir := demoFolder(t)
	s, err := Open(context.Background(), Options{DataDir: dir, Command: "test", Lock: true, Seed: true})
	require.NoError(t, err)
	unreadableSetting(t, s.DB, SettingPrinterPort)
	s.Close()
	code, out, _ := runCLI("--data-dir", dir, "config", "list")
	assert.Equal(t, 1, code, out)
	assert.NotContains(t, out, SettingPrinterPort+"=\n")
}

// A database that cannot say whether the folder is set up is an error, not
// a folder to set up (which would show the first-start form).
func TestServices_ConfiguredReadErrorIsNotNotSetUp(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, Options{DataDir: demoFolder(t), Command: "test", Lock: true, Seed: true})
	require.NoError(t, err)
	defer s.Close()
	unreadableSetting(t, s.DB, localdb.SettingTerminalID)
	_, err = s.Configured(ctx)
	require.Error(t, err)
	err = s.Start(ctx)
	require.Error(t, err)
	assert.NotErrorIs(t, err, ErrNotSetUp)
}
