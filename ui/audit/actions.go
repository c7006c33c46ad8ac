package audit

import "cashier/ui/i18n"

// actions names every audit action code the app writes, in the order the
// action filter offers them. A code not listed (a newer app's, a test's)
// shows as it is.
var actions = []struct{ code, key string }{
	{"login", i18n.Key("audit.action.login")},
	{"login_failed", i18n.Key("audit.action.login_failed")},
	{"login_refused", i18n.Key("audit.action.login_refused")},
	{"lockout", i18n.Key("audit.action.lockout")},
	{"override", i18n.Key("audit.action.override")},
	{"override_refused", i18n.Key("audit.action.override_refused")},
	{"drawer_open", i18n.Key("audit.action.drawer_open")},
	{"cart_void_line", i18n.Key("audit.action.cart_void_line")},
	{"cart_discount", i18n.Key("audit.action.cart_discount")},
	{"order_hold", i18n.Key("audit.action.order_hold")},
	{"order_resume", i18n.Key("audit.action.order_resume")},
	{"order_hold_drop", i18n.Key("audit.action.order_hold_drop")},
	{"void", i18n.Key("audit.action.void")},
	{"refund", i18n.Key("audit.action.refund")},
	{"void_refund", i18n.Key("audit.action.void_refund")},
	{"receipt_reprint", i18n.Key("audit.action.receipt_reprint")},
	{"deposit_consume", i18n.Key("audit.action.deposit_consume")},
	{"deposit_release", i18n.Key("audit.action.deposit_release")},
	{"reconcile_explain", i18n.Key("audit.action.reconcile_explain")},
	{"cabinet_open", i18n.Key("audit.action.cabinet_open")},
	{"cabinet_open_refused", i18n.Key("audit.action.cabinet_open_refused")},
	{"clock_on", i18n.Key("audit.action.clock_on")},
	{"clock_off", i18n.Key("audit.action.clock_off")},
	{"handover_countersign", i18n.Key("audit.action.handover_countersign")},
	{"shift_report_reprint", i18n.Key("audit.action.shift_report_reprint")},
	{"settings", i18n.Key("audit.action.settings")},
	{"staff_add", i18n.Key("audit.action.staff_add")},
	{"staff_edit", i18n.Key("audit.action.staff_edit")},
	{"role_change", i18n.Key("audit.action.role_change")},
	{"permission_grant", i18n.Key("audit.action.permission_grant")},
	{"permission_revoke", i18n.Key("audit.action.permission_revoke")},
	{"staff_disable", i18n.Key("audit.action.staff_disable")},
	{"staff_enable", i18n.Key("audit.action.staff_enable")},
	{"pin_reset", i18n.Key("audit.action.pin_reset")},
	{"pin_change", i18n.Key("audit.action.pin_change")},
	{"product_add", i18n.Key("audit.action.product_add")},
	{"product_change", i18n.Key("audit.action.product_change")},
	{"product_disable", i18n.Key("audit.action.product_disable")},
	{"product_enable", i18n.Key("audit.action.product_enable")},
	{"product_import", i18n.Key("audit.action.product_import")},
	{"init", i18n.Key("audit.action.init")},
	{"seed", i18n.Key("audit.action.seed")},
	{"audit_sealed", i18n.Key("audit.action.audit_sealed")},
	{"audit_resealed", i18n.Key("audit.action.audit_resealed")},
	{"audit_key_changed", i18n.Key("audit.action.audit_key_changed")},
	{"db_upgrade", i18n.Key("audit.action.db_upgrade")},
	{"backoffice_enrol", i18n.Key("audit.action.backoffice_enrol")},
	{"sync_quarantine", i18n.Key("audit.action.sync_quarantine")},
}

// ActionName is an action code in words; an unknown code as it is.
func ActionName(code string) string {
	for _, a := range actions {
		if a.code == code {
			return i18n.T(a.key)
		}
	}
	return code
}

// ActionCodes lists the known action codes, in the filter's order.
func ActionCodes() []string {
	out := make([]string, len(actions))
	for i, a := range actions {
		out[i] = a.code
	}
	return out
}
