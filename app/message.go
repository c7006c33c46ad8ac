package app

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Message is something to tell a person, as a code and its parameters. The
// code is a translation key of assets/translations (zh.json, en.json); the
// UI and the CLI turn it into words, so no sentence lives in app. Args are
// the template's parameters ({{.Amount}} ...); Money, times and durations
// are formatted by the translator.
type Message struct {
	Code string
	Args map[string]any
}

// Msg makes a Message from a code and key/value pairs. Codes are literal
// strings at the call site: a test checks every code used in the source has
// a translation in both languages, and every translation is used.
func Msg(code string, kv ...any) Message {
	return Message{Code: code, Args: args(kv)}
}

// IsZero reports an empty message.
func (m Message) IsZero() bool { return m.Code == "" }

// String is for logs: the code and its parameters, in a stable order.
func (m Message) String() string {
	if len(m.Args) == 0 {
		return m.Code
	}
	keys := make([]string, 0, len(m.Args))
	for k := range m.Args {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(m.Code)
	for _, k := range keys {
		fmt.Fprintf(&b, " %s=%v", k, m.Args[k])
	}
	return b.String()
}

func args(kv []any) map[string]any {
	if len(kv) == 0 {
		return nil
	}
	m := make(map[string]any, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		m[fmt.Sprint(kv[i])] = kv[i+1]
	}
	return m
}

// Error is an error the UI and the CLI can put into words: a Message,
// optionally wrapping a cause (kept for logs and errors.Is/As). Two Errors
// match with errors.Is when their codes are equal, so a sentinel made with
// NewError matches every error built from it with With.
type Error struct {
	Message
	parent *Error // a more general error this one is a case of
	cause  error
}

// NewError makes a sentinel error with a literal code.
func NewError(code string) *Error { return &Error{Message: Message{Code: code}} }

// Sub makes a more specific sentinel that still matches e with errors.Is
// (ErrNotPaymentCode.Sub("paycode.digits") is an ErrNotPaymentCode).
func (e *Error) Sub(code string) *Error { return &Error{Message: Message{Code: code}, parent: e} }

// With returns a copy of e carrying parameters.
func (e *Error) With(kv ...any) *Error {
	c := *e
	c.Args = args(kv)
	return &c
}

// Wrap returns a copy of e with a cause, for logs and errors.As.
func (e *Error) Wrap(cause error) *Error {
	c := *e
	c.cause = cause
	return &c
}

func (e *Error) Error() string {
	if e.cause != nil {
		return e.Message.String() + ": " + e.cause.Error()
	}
	return e.Message.String()
}

func (e *Error) Unwrap() error { return e.cause }

// Is matches by code, this error's or a more general one's it is a case of.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	if !ok {
		return false
	}
	for x := e; x != nil; x = x.parent {
		if x.Code == t.Code {
			return true
		}
	}
	return false
}

// AsMessage finds the first Message-bearing error in err's chain.
func AsMessage(err error) (Message, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e.Message, true
	}
	return Message{}, false
}
