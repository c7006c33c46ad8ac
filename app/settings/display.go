package settings

import (
	"context"

	"cashier/app"
)

// SettingCustomerDisplay is the setting key of this terminal's customer
// display (顾客屏): one of CustomerDisplays; unset means DisplayOff. It is
// the terminal's own (the data folder is one till), like its devices.
const SettingCustomerDisplay = "customer_display"

// The customer display's values.
const (
	DisplayOff = "off"
	// DisplayWindow: a second window, for a second screen facing the
	// customer.
	DisplayWindow = "window"
)

// CustomerDisplays are the values a person may choose, in the order
// Settings offers them.
var CustomerDisplays = []string{DisplayOff, DisplayWindow}

// ErrCustomerDisplay is an unknown customer display setting (Value).
var ErrCustomerDisplay = app.NewError("settings.bad_customer_display")

// CustomerDisplay is this terminal's customer display setting: DisplayOff
// when unset. A stored value it does not know is an error, not a silent
// "off".
func (s Service) CustomerDisplay(ctx context.Context) (string, error) {
	v, err := s.Store.GetSetting(ctx, SettingCustomerDisplay, "")
	if err != nil {
		return "", err
	}
	if v == "" {
		return DisplayOff, nil
	}
	if !knownDisplay(v) {
		return "", ErrCustomerDisplay.With("Value", v)
	}
	return v, nil
}

// SaveCustomerDisplay turns the customer display on or off for staffID,
// who needs the settings permission now: it is the terminal's equipment.
// The change is audited with the old and new values, and open screens are
// told (SignalTerminal): the window opens or closes without a restart.
// Saving the same value writes nothing.
func (s Service) SaveCustomerDisplay(ctx context.Context, staffID int64, value string) error {
	if _, err := s.Permits.Check(ctx, staffID, app.PermSettings); err != nil {
		return err
	}
	if !knownDisplay(value) {
		return ErrCustomerDisplay.With("Value", value)
	}
	old, err := s.Store.GetSetting(ctx, SettingCustomerDisplay, "")
	if err != nil {
		return err
	}
	if old == "" {
		old = DisplayOff
	}
	if old == value {
		return nil
	}
	w, ok := s.Store.(AuditedSetter)
	if !ok {
		return ErrNotAudited
	}
	if err := w.SetSettingAudited(ctx, SettingCustomerDisplay, value, app.AuditEntry{StaffID: staffID,
		Action: "settings", Subject: SettingCustomerDisplay, Detail: old + "->" + value}); err != nil {
		return err
	}
	s.Signals.Emit(app.SignalTerminal, nil)
	return nil
}

func knownDisplay(v string) bool {
	for _, d := range CustomerDisplays {
		if v == d {
			return true
		}
	}
	return false
}
