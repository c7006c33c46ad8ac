package settings_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/app/settings"
)

// auditedMem is memStore with the audited write localdb has.
type auditedMem struct {
	*memStore
	audits []app.AuditEntry
}

func (m *auditedMem) SetSettingAudited(ctx context.Context, k, v string, e app.AuditEntry) error {
	m.audits = append(m.audits, e)
	return m.SetSetting(ctx, k, v)
}

type deny struct{}

func (deny) Check(context.Context, int64, string) (app.Staff, error) {
	return app.Staff{}, app.ErrNoPermission
}

// The customer display is off until someone with the settings permission
// turns it on; each change is audited and tells open screens; the same
// value again, an unknown one and a refused person write nothing.
func TestCustomerDisplay_Setting(t *testing.T) {
	svc, m, _ := newService()
	am := &auditedMem{memStore: m}
	svc.Store = am
	var told int
	svc.Signals.Subscribe(app.SignalTerminal, func(any) { told++ })
	ctx := context.Background()

	v, err := svc.CustomerDisplay(ctx)
	require.NoError(t, err)
	require.Equal(t, settings.DisplayOff, v)

	require.NoError(t, svc.SaveCustomerDisplay(ctx, 7, settings.DisplayWindow))
	v, err = svc.CustomerDisplay(ctx)
	require.NoError(t, err)
	require.Equal(t, settings.DisplayWindow, v)
	require.Equal(t, 1, told)
	require.Len(t, am.audits, 1)
	require.Equal(t, int64(7), am.audits[0].StaffID)
	require.Equal(t, "off->window", am.audits[0].Detail)

	require.NoError(t, svc.SaveCustomerDisplay(ctx, 7, settings.DisplayWindow))
	require.Equal(t, 1, told, "the same value: nothing")
	require.Len(t, am.audits, 1)

	require.ErrorIs(t, svc.SaveCustomerDisplay(ctx, 7, "projector"), settings.ErrCustomerDisplay)
	svc.Permits = deny{}
	require.ErrorIs(t, svc.SaveCustomerDisplay(ctx, 8, settings.DisplayOff), app.ErrNoPermission)
	require.Len(t, am.audits, 1)
	require.Equal(t, 1, told)

	m.kv[settings.SettingCustomerDisplay] = "hologram"
	_, err = svc.CustomerDisplay(ctx)
	require.ErrorIs(t, err, settings.ErrCustomerDisplay, "an unknown stored value is an error, not off")
}
