// Package settings changes the store's and the terminal's details and the
// UI language, with the settings permission checked at the moment of the
// change, and tells open screens (SignalTerminal, SignalLanguage).
package settings

import (
	"context"
	"errors"

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

// The language setting's values.
const (
	LanguageChinese = "zh"
	LanguageEnglish = "en"
	// LanguageSystem follows the computer's locale (ui/i18n.Resolve: a
	// Chinese locale, or one that names no language, gives Chinese; any
	// other gives English).
	LanguageSystem = "system"
	// DefaultLanguage is the language of a data folder whose setting is
	// unset (or empty): Chinese, whatever the computer's locale. Following
	// the locale is a choice a person makes (LanguageSystem), never the
	// default.
	DefaultLanguage = LanguageChinese
)

// Languages a person may choose, in the order Settings lists them. This is
// the one list: the Settings screen and `pos config` offer these.
var Languages = []string{LanguageChinese, LanguageEnglish, LanguageSystem}

// SettingLanguage is the setting key of the UI language: one of Languages;
// unset or empty means DefaultLanguage.
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

// Language is the UI language setting, one of Languages: DefaultLanguage
// (Chinese) when unset or empty.
func (s Service) Language(ctx context.Context) (string, error) {
	l, err := s.Store.GetSetting(ctx, SettingLanguage, "")
	if err != nil {
		return "", err
	}
	if l == "" {
		l = DefaultLanguage
	}
	return l, nil
}

// Save saves store and terminal details on behalf of staffID. Both are
// validated before either is written: an invalid terminal leaves the store
// untouched too.
func (s Service) Save(ctx context.Context, staffID int64, info app.StoreInfo, t app.TerminalInfo) error {
	if _, err := s.Permits.Check(ctx, staffID, app.PermSettings); err != nil {
		return err
	}
	if err := errors.Join(info.Validate(), t.Validate()); err != nil {
		return err
	}
	// Two writes: a failure of the second (storage, not validation) can
	// still leave the first saved; one transaction needs a port that
	// writes both.
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
// Open screens are told (SignalLanguage) only when the stored value
// changes: saving the same language again rebuilds nothing.
func (s Service) SaveLanguage(ctx context.Context, language string) error {
	ok := false
	for _, l := range Languages {
		ok = ok || l == language
	}
	if !ok {
		return ErrLanguage.With("Value", language)
	}
	old, err := s.Store.GetSetting(ctx, SettingLanguage, "")
	if err != nil {
		return err
	}
	if old == language {
		return nil
	}
	if err := s.Store.SetSetting(ctx, SettingLanguage, language); err != nil {
		return err
	}
	s.Signals.Emit(app.SignalLanguage, language)
	return nil
}
