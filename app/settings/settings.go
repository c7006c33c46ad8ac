// Package settings changes the store's and the terminal's details and the
// UI language, with the settings permission checked at the moment of the
// change, and tells open screens (SignalTerminal, SignalLanguage).
package settings

import (
	"context"

	"cashier/app"
)

// Store is what the Settings use cases need from storage.
type Store interface {
	CurrentStore(ctx context.Context) (app.StoreInfo, error)
	UpdateStore(ctx context.Context, s app.StoreInfo, by int64) error
	CurrentTerminal(ctx context.Context) (app.TerminalInfo, error)
	UpdateTerminal(ctx context.Context, t app.TerminalInfo, by int64) error
	GetSetting(ctx context.Context, key, def string) (string, error)
	SetSetting(ctx context.Context, key, value string) error
}

// Languages a person may choose; "system" follows the computer's locale.
var Languages = []string{"zh", "en", "system"}

// SettingLanguage is the setting key of the UI language.
const SettingLanguage = "language"

// Service applies the permission rule for changing store and terminal
// details: only people holding the settings permission (now) may.
type Service struct {
	Store   Store
	Permits app.Permits
	Signals *app.Signals
}

// Current loads the store and terminal details.
func (s Service) Current(ctx context.Context) (app.StoreInfo, app.TerminalInfo, error) {
	st, err := s.Store.CurrentStore(ctx)
	if err != nil {
		return st, app.TerminalInfo{}, err
	}
	t, err := s.Store.CurrentTerminal(ctx)
	return st, t, err
}

// Language is the UI language setting ("zh" when unset).
func (s Service) Language(ctx context.Context) (string, error) {
	return s.Store.GetSetting(ctx, SettingLanguage, "zh")
}

// Save validates and saves store and terminal details on behalf of staffID.
func (s Service) Save(ctx context.Context, staffID int64, info app.StoreInfo, t app.TerminalInfo) error {
	if _, err := s.Permits.Check(ctx, staffID, app.PermSettings); err != nil {
		return err
	}
	if err := s.Store.UpdateStore(ctx, info, staffID); err != nil {
		return err
	}
	if err := s.Store.UpdateTerminal(ctx, t, staffID); err != nil {
		return err
	}
	s.Signals.Emit(app.SignalTerminal, nil)
	return nil
}

// ErrLanguage is an unknown language setting.
var ErrLanguage = app.NewError("settings.bad_language")

// SaveLanguage stores the UI language; anyone may choose their language.
func (s Service) SaveLanguage(ctx context.Context, language string) error {
	ok := false
	for _, l := range Languages {
		ok = ok || l == language
	}
	if !ok {
		return ErrLanguage.With("Value", language)
	}
	if err := s.Store.SetSetting(ctx, SettingLanguage, language); err != nil {
		return err
	}
	s.Signals.Emit(app.SignalLanguage, language)
	return nil
}
