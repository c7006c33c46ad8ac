package backofficesync

import (
	"context"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"time"

	"cashier/sync/backoffice/client"
	"cashier/ui/i18n"
	"cashier/ui/products"
)

// ErrorText puts a sync or enrolment error into words a cashier can act
// on: the client's codes (client.Error) by what they mean for the
// terminal, a scan that is no enrolment QR, a time-out; anything else as
// i18n.Err does (an app refusal such as a missing permission).
func ErrorText(err error) string {
	if err == nil {
		return ""
	}
	if errors.Is(err, client.ErrBadEnrolQR) {
		return i18n.T("backofficesync.err.bad_qr")
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return i18n.T("backofficesync.err.timeout")
	}
	var ce *client.Error
	if !errors.As(err, &ce) {
		return i18n.Err(err)
	}
	switch ce.Code {
	case "network":
		return i18n.T("backofficesync.err.network")
	case "auth_clock":
		return i18n.T("backofficesync.err.clock")
	case "auth_signature", "auth_terminal", "auth_missing", "auth_replay", "auth_nonce", "auth_timestamp", "auth_foreign_record":
		return i18n.T("backofficesync.err.auth")
	case "enrol_refused":
		return i18n.T("backofficesync.err.enrol_refused")
	case "not_enrolled":
		return i18n.T("backofficesync.err.not_enrolled")
	case "bad_url":
		return i18n.T("backofficesync.err.url_bad")
	case "protocol_unsupported":
		return i18n.T("backofficesync.err.protocol")
	case "bad_answer":
		return i18n.T("backofficesync.err.server")
	}
	if ce.Status >= 500 || ce.Status == 429 {
		return i18n.T("backofficesync.err.server")
	}
	return i18n.T("backofficesync.err.refused", "Code", ce.Code)
}

// clientCode is one segment of client.Error's text: "network" or
// "401 auth_clock".
var clientCode = regexp.MustCompile(`^(?:([0-9]{3}) )?([a-z][a-z_]*)$`)

// knownCodes are the client's codes that can be told without a status.
var knownCodes = map[string]bool{"network": true, "bad_answer": true, "bad_url": true, "not_enrolled": true}

// StoredError turns an error kept as text (localdb.SyncState.LastError, the
// Error() of what the job returned) back into an error ErrorText can name:
// the client.Error its text holds ("network: …", "401 auth_clock: …", also
// behind a prefix such as "push: " or on the first line of joined errors),
// else the text as it is ("" is nil).
func StoredError(s string) error {
	if s == "" {
		return nil
	}
	for _, line := range strings.Split(s, "\n") {
		switch line {
		case context.DeadlineExceeded.Error():
			return context.DeadlineExceeded
		case client.ErrBadEnrolQR.Error():
			return client.ErrBadEnrolQR
		}
		parts := strings.Split(line, ": ")
		for i, part := range parts[:len(parts)-1] {
			m := clientCode.FindStringSubmatch(part)
			if m == nil || (m[1] == "" && !knownCodes[m[2]]) {
				continue
			}
			status, _ := strconv.Atoi(m[1])
			return &client.Error{Status: status, Code: m[2], Message: strings.Join(parts[i+1:], ": ")}
		}
	}
	return errors.New(s)
}

// TopicName names a kind of master data the pull brings.
func TopicName(topic string) string {
	switch topic {
	case "stores":
		return i18n.T("backofficesync.topic.stores")
	case "terminals":
		return i18n.T("backofficesync.topic.terminals")
	case "staff":
		return i18n.T("backofficesync.topic.staff")
	case "permissions":
		return i18n.T("backofficesync.topic.permissions")
	case "products":
		return i18n.T("backofficesync.topic.products")
	case "barcodes":
		return i18n.T("backofficesync.topic.barcodes")
	case "prices":
		return i18n.T("backofficesync.topic.prices")
	case "settings":
		return i18n.T("backofficesync.topic.settings")
	}
	return topic
}

// ProgressText says how far a sync has gone: "正在拉取商品 12,000 / 1,000,000"
// ("/ …" while the total is not known).
func ProgressText(p Progress) string {
	total := "…"
	if p.Total > 0 {
		total = products.Thousands(p.Total)
	}
	if p.Phase == PhasePull {
		what := TopicName(p.Topic)
		if p.Topic == "" {
			what = i18n.T("backofficesync.topic.master")
		}
		return i18n.T("backofficesync.progress.pull", "What", what, "Done", products.Thousands(p.Done), "Total", total)
	}
	return i18n.T("backofficesync.progress.push", "Done", products.Thousands(p.Done), "Total", total)
}

// When is a time as the page shows it; 从未 for none.
func When(t time.Time) string {
	if t.IsZero() {
		return i18n.T("backofficesync.never")
	}
	return t.Local().Format("2006-01-02 15:04:05")
}
