// Package settings changes the store's and the terminal's details, the
// shift handover's variance threshold and the UI language, with the
// settings permission checked at the moment of the change, and tells open
// screens (SignalTerminal, SignalLanguage).
package settings

import (
	"context"
	"errors"
	"fmt"

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
	return s.save(ctx, staffID, info, t)
}

// SaveAll saves the store and terminal details and the handover's
// variance threshold as one action: one permission check (a manager's
// one-shot override covers the whole save) and everything validated
// before anything is written.
func (s Service) SaveAll(ctx context.Context, staffID int64, info app.StoreInfo, t app.TerminalInfo, threshold app.Money) error {
	if _, err := s.Permits.Check(ctx, staffID, app.PermSettings); err != nil {
		return err
	}
	if threshold < 0 || threshold > MaxVarianceThreshold {
		return ErrThreshold.With("Value", threshold.String(), "Max", MaxVarianceThreshold)
	}
	if err := s.save(ctx, staffID, info, t); err != nil {
		return err
	}
	return s.saveThreshold(ctx, staffID, threshold)
}

func (s Service) save(ctx context.Context, staffID int64, info app.StoreInfo, t app.TerminalInfo) error {
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

// SettingVarianceThreshold is the setting key of the shift handover's
// variance threshold, in yuan ("50.00"): a count that differs from what
// the drawer should hold by more than this, either way, needs a manager's
// countersign. Unset means DefaultVarianceThreshold.
const SettingVarianceThreshold = "shift.variance_threshold"

// The threshold's default and bound (10,000.00 yuan: a threshold above it
// would let any count through).
const (
	DefaultVarianceThreshold app.Money = 5000
	MaxVarianceThreshold     app.Money = 1_000_000
)

// ErrThreshold is a threshold outside 0..MaxVarianceThreshold, or a stored
// value that is not an amount (Value).
var ErrThreshold = app.NewError("settings.bad_threshold")

// AuditedSetter writes a setting and its audit line in one transaction
// (localdb does). Settings that decide who must approve what are saved
// through it, so the log shows who changed them.
type AuditedSetter interface {
	SetSettingAudited(ctx context.Context, key, value string, e app.AuditEntry) error
}

// ErrNotAudited: the store cannot write an audited setting (a program
// error: every real store can).
var ErrNotAudited = app.NewError("settings.not_audited")

// VarianceThreshold is the shift handover's variance threshold. A stored
// value that is not an amount in range is an error, never a silent
// default: a wrong threshold decides who must countersign.
func (s Service) VarianceThreshold(ctx context.Context) (app.Money, error) {
	v, err := s.Store.GetSetting(ctx, SettingVarianceThreshold, "")
	if err != nil {
		return 0, err
	}
	if v == "" {
		return DefaultVarianceThreshold, nil
	}
	m, err := app.ParseMoneyWith(v, app.MoneyRules{AllowZero: true, Ceiling: MaxVarianceThreshold})
	if err != nil {
		return 0, ErrThreshold.With("Value", v, "Max", MaxVarianceThreshold).Wrap(err)
	}
	return m, nil
}

// SaveVarianceThreshold stores the threshold for staffID, who needs the
// settings permission now; the change is audited with the old and new
// values. Saving the same value writes nothing.
func (s Service) SaveVarianceThreshold(ctx context.Context, staffID int64, m app.Money) error {
	if _, err := s.Permits.Check(ctx, staffID, app.PermSettings); err != nil {
		return err
	}
	return s.saveThreshold(ctx, staffID, m)
}

func (s Service) saveThreshold(ctx context.Context, staffID int64, m app.Money) error {
	if m < 0 || m > MaxVarianceThreshold {
		return ErrThreshold.With("Value", m.String(), "Max", MaxVarianceThreshold)
	}
	old, err := s.Store.GetSetting(ctx, SettingVarianceThreshold, "")
	if err != nil {
		return err
	}
	if old == m.String() || (old == "" && m == DefaultVarianceThreshold) {
		return nil
	}
	w, ok := s.Store.(AuditedSetter)
	if !ok {
		return ErrNotAudited
	}
	if old == "" {
		old = DefaultVarianceThreshold.String()
	}
	if err := w.SetSettingAudited(ctx, SettingVarianceThreshold, m.String(), app.AuditEntry{StaffID: staffID,
		Action: "settings", Subject: SettingVarianceThreshold, Detail: old + "->" + m.String()}); err != nil {
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
	// Audited with the change where the store can (localdb does); who
	// chose it is not known here: anyone may choose the language.
	if w, ok := s.Store.(AuditedSetter); ok {
		err = w.SetSettingAudited(ctx, SettingLanguage, language, app.AuditEntry{Action: "settings",
			Subject: SettingLanguage, Detail: fmt.Sprintf("%q -> %q", old, language)})
	} else {
		err = s.Store.SetSetting(ctx, SettingLanguage, language)
	}
	if err != nil {
		return err
	}
	s.Signals.Emit(app.SignalLanguage, language)
	return nil
}
