package master

import (
	"slices"
	"strconv"
	"strings"

	"cashier/app"
	"cashier/app/settings"
)

// The settings a back office may set. Everything else a terminal keeps is
// its own: device ports and wiring (printer, drawer, speaker, scanner,
// cabinet locks, the customer display) differ per counter and a wrong one
// sent from afar stops the till printing or opening; the payment
// channels' keys and certificates never travel over sync, so a copy of the
// back office's database gives nobody the shops' money; the data folder,
// the terminal's identity (store_id, terminal_id), the demo mark, the UI
// language (the person at the counter chooses it) and the jobs'
// schedules are the terminal's own state.
const (
	// SettingReceiptFooter is the line printed under every receipt
	// (store.receipt_footer), at most 120 characters.
	SettingReceiptFooter = "receipt.footer"
	// SettingPaymentMode is how the counter charges: default,
	// total_nondiscount or consume_deposit (store.payment_mode).
	SettingPaymentMode = "payment.mode"
	// SettingDiscountFloor is the lowest percent of the list price a
	// discount may bring a line or order to, 0–100 (store.discount_floor_pct).
	SettingDiscountFloor = "discount.floor_pct"
	// SettingScaleLayout is what the store's label scales print: none,
	// price13, weight13 or gs1price (store.scale_layout).
	SettingScaleLayout = "scale.layout"
	// SettingVarianceThreshold is the shift handover's variance threshold
	// in yuan, "50.00", 0–10,000.00 (setting shift.variance_threshold).
	SettingVarianceThreshold = "shift.variance_threshold"
)

// settings maps each key a back office may set to its check.
var allowed = map[string]func(string) error{
	SettingReceiptFooter: func(v string) error {
		return app.CheckText(app.Msg("field.receipt_footer"), v, false, 120)
	},
	SettingPaymentMode: func(v string) error {
		if !app.PaymentMode(v).Known() {
			return ErrValue.With("Field", SettingPaymentMode, "Value", v)
		}
		return nil
	},
	SettingDiscountFloor: func(v string) error {
		n, err := strconv.Atoi(v)
		if err != nil {
			return ErrValue.With("Field", SettingDiscountFloor, "Value", v)
		}
		return app.CheckDiscountFloor(n)
	},
	SettingScaleLayout: func(v string) error {
		if !slices.Contains(app.ScaleLayouts, v) {
			return ErrValue.With("Field", SettingScaleLayout, "Value", v)
		}
		return nil
	},
	SettingVarianceThreshold: func(v string) error {
		if _, err := app.ParseMoneyWith(v, app.MoneyRules{AllowZero: true, Ceiling: settings.MaxVarianceThreshold}); err != nil {
			return ErrValue.With("Field", SettingVarianceThreshold, "Value", v)
		}
		return nil
	},
}

// Settings lists the keys a back office may set, sorted.
func Settings() []string {
	keys := make([]string, 0, len(allowed))
	for k := range allowed {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// CheckSetting checks a value for key, and that key is one a back office
// may set.
func CheckSetting(key, value string) error {
	check, ok := allowed[key]
	if !ok {
		return ErrSetting.With("Key", key)
	}
	if strings.TrimSpace(value) != value && key != SettingReceiptFooter {
		return ErrValue.With("Field", key, "Value", value)
	}
	return check(value)
}
