package settings_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/app/settings"
)

// memStore records the writes the use cases make.
type memStore struct {
	mu     sync.Mutex
	store  app.StoreInfo
	term   app.TerminalInfo
	kv     map[string]string
	writes []string
}

func (m *memStore) CurrentStore(context.Context) (app.StoreInfo, error) { return m.store, nil }
func (m *memStore) CurrentTerminal(context.Context) (app.TerminalInfo, error) {
	return m.term, nil
}
func (m *memStore) UpdateStore(_ context.Context, s app.StoreInfo, _ int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.writes = append(m.writes, "store")
	m.store = s
	return nil
}
func (m *memStore) UpdateTerminal(_ context.Context, t app.TerminalInfo, _ int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.writes = append(m.writes, "terminal")
	m.term = t
	return nil
}
func (m *memStore) GetSetting(_ context.Context, k, def string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if v, ok := m.kv[k]; ok {
		return v, nil
	}
	return def, nil
}
func (m *memStore) SetSetting(_ context.Context, k, v string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.writes = append(m.writes, k)
	m.kv[k] = v
	return nil
}

type allow struct{}

func (allow) Check(_ context.Context, id int64, _ string) (app.Staff, error) {
	return app.Staff{ID: id}, nil
}

func newService() (settings.Service, *memStore, *[]any) {
	m := &memStore{
		store: app.StoreInfo{ID: 1, Name: "店", ScaleLayout: "price13"},
		term:  app.TerminalInfo{ID: 1, Name: "1号台", CashierMode: app.ModeSale},
		kv:    map[string]string{},
	}
	sig := app.NewSignals()
	var got []any
	sig.Subscribe(app.SignalLanguage, func(v any) { got = append(got, v) })
	return settings.Service{Store: m, Permits: allow{}, Signals: sig}, m, &got
}

// An invalid terminal writes nothing, not even the (valid) store; every
// problem of both is reported at once.
func TestSave_ValidatesBothBeforeWriting(t *testing.T) {
	svc, m, _ := newService()
	ctx := context.Background()
	err := svc.Save(ctx, 1, app.StoreInfo{ID: 1, Name: "新店名", ScaleLayout: "price13"}, app.TerminalInfo{ID: 1, Name: "1号台", CashierMode: "bogus"})
	require.True(t, errors.Is(err, app.ErrInvalidField), "%v", err)
	require.Empty(t, m.writes)
	require.Equal(t, "店", m.store.Name)

	err = svc.Save(ctx, 1, app.StoreInfo{ID: 1, Name: " "}, app.TerminalInfo{ID: 1, Name: "", CashierMode: app.ModeSale})
	require.True(t, errors.Is(err, app.ErrFieldRequired))
	require.Len(t, err.(interface{ Unwrap() []error }).Unwrap(), 2, "store and terminal problems together")
	require.Empty(t, m.writes)

	require.NoError(t, svc.Save(ctx, 1, app.StoreInfo{ID: 1, Name: "新店名", ScaleLayout: "price13"}, app.TerminalInfo{ID: 1, Name: "2号台", CashierMode: app.ModeDeposit}))
	require.Equal(t, []string{"store", "terminal"}, m.writes)
}

// Saving the language it already is tells no screen: nothing is rebuilt.
func TestSaveLanguage_SignalsOnlyAChange(t *testing.T) {
	svc, m, got := newService()
	ctx := context.Background()
	require.NoError(t, svc.SaveLanguage(ctx, "en"))
	require.Equal(t, []any{"en"}, *got)
	require.NoError(t, svc.SaveLanguage(ctx, "en"))
	require.Equal(t, []any{"en"}, *got, "the same language again: no signal")
	require.Equal(t, []string{settings.SettingLanguage}, m.writes, "and no write")
	require.NoError(t, svc.SaveLanguage(ctx, "system"))
	require.Equal(t, []any{"en", "system"}, *got)
	require.ErrorIs(t, svc.SaveLanguage(ctx, "fr"), settings.ErrLanguage)
	require.Len(t, *got, 2)
}

// Unset (or empty) is Chinese, the default; following the computer's
// locale is the explicit "system".
func TestLanguage_DefaultsToChinese(t *testing.T) {
	svc, m, _ := newService()
	ctx := context.Background()
	l, err := svc.Language(ctx)
	require.NoError(t, err)
	require.Equal(t, settings.DefaultLanguage, l)
	require.Equal(t, "zh", l)
	m.kv[settings.SettingLanguage] = ""
	l, err = svc.Language(ctx)
	require.NoError(t, err)
	require.Equal(t, "zh", l, "an empty value is not 'follow the OS'")
	require.Contains(t, settings.Languages, l)
}
