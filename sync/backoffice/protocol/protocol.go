// Package protocol is the terminal ↔ back-office sync protocol (docs/sync.md): the
// request signature, the record and master-data types, their strict decoding and the
// size limits. It holds no storage and no transport beyond net/http types, so the
// terminal's client and the server share one definition of what is valid.
package protocol

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Headers every signed request carries.
const (
	HeaderTerminal  = "X-Pos-Terminal"
	HeaderTimestamp = "X-Pos-Timestamp"
	HeaderNonce     = "X-Pos-Nonce"
	HeaderSignature = "X-Pos-Signature"
	HeaderProtocol  = "X-Pos-Protocol"
)

// Version is the protocol major version this code speaks.
const Version = 1

// Supported lists the major versions a server answers; a terminal sending another
// gets 426 with this list, so it can tell "update me" from "bad request".
var Supported = []int{Version}

// Limits. A batch is one transaction on the server: bounding it bounds the time a
// writer holds the database and the memory a request can take.
const (
	// Window is how far a request's timestamp may be from the server's clock.
	Window = 5 * time.Minute
	// MaxBodyBytes bounds a request body; larger is refused with 413.
	MaxBodyBytes = 4 << 20
	// MaxRecords bounds the records of one push; more is refused with 413.
	MaxRecords = 1000
	// MaxPayloadBytes bounds one record's payload.
	MaxPayloadBytes = 256 << 10
	// MaxIDLen bounds ids, topics and terminal ids.
	MaxIDLen = 128
	// MaxPull bounds the items of one pull page.
	MaxPull = 1000
)

// PushTopics are the record kinds a terminal pushes. "takings" is the summary
// engine's journal (one row per settled money movement), so the chain's figures are
// the terminals' own figures, not a second reading of orders.
var PushTopics = []string{"orders", "order_lines", "tenders", "refunds", "deposits", "deposit_ops", "shifts", "audit", "takings"}

// MasterTopics are the kinds of master data a terminal pulls.
var MasterTopics = []string{"stores", "terminals", "staff", "permissions", "products", "barcodes", "prices", "settings"}

// Record is one business record pushed by a terminal. (Terminal, Topic, ID) is its
// stable identity; Version grows with every change the terminal makes to it, and the
// server keeps the highest version it has seen.
type Record struct {
	Terminal string          `json:"terminal"`
	Topic    string          `json:"topic"`
	ID       string          `json:"id"`
	Version  int64           `json:"version"`
	Payload  json.RawMessage `json:"payload"`
}

// Batch is the body of POST /v1/push.
type Batch struct {
	Records []Record `json:"records"`
}

// PushResult is the answer to a push: every record of the batch is durably held
// (Applied were new or newer; Unchanged were already held at that version or a newer one).
type PushResult struct {
	Accepted  int `json:"accepted"`
	Applied   int `json:"applied"`
	Unchanged int `json:"unchanged"`
}

// MasterItem is one master-data row in a pull page.
type MasterItem struct {
	Cursor  int64           `json:"cursor"`
	ID      string          `json:"id"`
	Deleted bool            `json:"deleted,omitempty"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// PullPage is the answer to GET /v1/pull: items after the asked cursor in cursor
// order; Next is the cursor to ask for next time; More says another page is waiting.
type PullPage struct {
	Topic string       `json:"topic"`
	Items []MasterItem `json:"items"`
	Next  int64        `json:"next"`
	More  bool         `json:"more"`
}

// EnrolRequest is the body of POST /v1/enrol (unsigned: the terminal has no secret yet;
// the one-time code is the credential).
type EnrolRequest struct {
	Code string `json:"code"`
	Name string `json:"name,omitempty"`
}

// Enrolment is what a terminal keeps after enrolling. Secret is base64 (std) of 32
// random bytes; it is shown once and never again.
type Enrolment struct {
	Terminal string `json:"terminal"`
	Store    string `json:"store"`
	Secret   string `json:"secret"`
}

// EnrolQR is what the enrolment QR holds: the back office's address as terminals
// reach it and the one-time code, for the terminal to scan in Settings → 后台同步.
type EnrolQR struct {
	V    int    `json:"v"`
	URL  string `json:"url"`
	Code string `json:"code"`
}

// Health is the answer to GET /v1/health.
type Health struct {
	Status    string `json:"status"`
	Protocols []int  `json:"protocols"`
}

// Error is the JSON body of every refusal, and the error Verify and the decoders
// return. Code is stable for programs; Message is for logs, not for people at the counter.
type Error struct {
	Status    int      `json:"-"`
	Code      string   `json:"code"`
	Message   string   `json:"message"`
	Fields    []string `json:"fields,omitempty"`
	Supported []int    `json:"supported,omitempty"`
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func errorf(status int, code, format string, a ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, a...)}
}

// CheckProtocol reads X-Pos-Protocol: missing or unreadable → 400, a major version
// this side does not speak → 426 with the supported list. "1" and "1.x" are version 1.
func CheckProtocol(h http.Header) *Error {
	v := strings.TrimSpace(h.Get(HeaderProtocol))
	if v == "" {
		e := errorf(http.StatusBadRequest, "protocol_missing", "header %s is required", HeaderProtocol)
		e.Supported = Supported
		return e
	}
	major, _, _ := strings.Cut(v, ".")
	n, err := strconv.Atoi(major)
	if err != nil || n < 0 {
		e := errorf(http.StatusBadRequest, "protocol_invalid", "header %s %q is not a version", HeaderProtocol, v)
		e.Supported = Supported
		return e
	}
	for _, s := range Supported {
		if s == n {
			return nil
		}
	}
	e := errorf(http.StatusUpgradeRequired, "protocol_unsupported", "protocol version %d is not supported", n)
	e.Supported = Supported
	return e
}
