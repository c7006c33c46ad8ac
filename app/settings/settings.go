package app

import (
	"context"
	"errors"
)

// SettingsStore is what the Settings workspace needs from storage.
type SettingsStore interface {
	CurrentStore(ctx context.Context) (StoreInfo, error)
	UpdateStore(ctx context.Context, s StoreInfo, by int64) error
	CurrentTerminal(ctx context.Context) (TerminalInfo, error)
	UpdateTerminal(ctx context.Context, t TerminalInfo, by int64) error
	GetSetting(ctx context.Context, key, def string) (string, error)
	SetSetting(ctx context.Context, key, value string) error
}

// ErrNoPermission is returned when the acting person lacks a permission.
var ErrNoPermission = errors.New("没有权限 / permission denied")

// Settings applies the permission rule for changing store and terminal
// details: only people holding the settings permission may.
type Settings struct{ Store SettingsStore }

// SaveStore validates and saves store details on behalf of by.
func (s Settings) SaveStore(ctx context.Context, by Staff, info StoreInfo) error {
	if !by.Has(PermSettings) {
		return ErrNoPermission
	}
	return s.Store.UpdateStore(ctx, info, by.ID)
}

// SaveTerminal validates and saves terminal details on behalf of by.
func (s Settings) SaveTerminal(ctx context.Context, by Staff, t TerminalInfo) error {
	if !by.Has(PermSettings) {
		return ErrNoPermission
	}
	return s.Store.UpdateTerminal(ctx, t, by.ID)
}

// SaveLanguage stores the UI language; anyone may choose their language.
func (s Settings) SaveLanguage(ctx context.Context, language string) error {
	switch language {
	case "zh", "en", "system":
	default:
		return ErrInvalidField
	}
	return s.Store.SetSetting(ctx, "language", language)
}
