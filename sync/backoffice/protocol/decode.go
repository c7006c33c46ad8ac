package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
)

// DecodeStrict decodes one JSON value into v, refusing unknown fields and anything
// after the value; refusals are *Error with status 400 naming the field.
func DecodeStrict(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			name = strings.Trim(name, `"`)
			e := errorf(http.StatusBadRequest, "unknown_field", "unknown field %q", name)
			e.Fields = []string{name}
			return e
		}
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			e := errorf(http.StatusBadRequest, "bad_json", "field %q: %s where %s is expected", te.Field, te.Value, te.Type)
			e.Fields = []string{te.Field}
			return e
		}
		return errorf(http.StatusBadRequest, "bad_json", "body is not valid JSON: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return errorf(http.StatusBadRequest, "bad_json", "body holds more than one JSON value")
	}
	return nil
}

// DecodeBatch decodes and validates a push body: strict JSON, at most MaxRecords,
// every record well formed (DecodeBatch does not know who is pushing: the server
// checks each record's terminal against the signed one).
func DecodeBatch(body []byte) (Batch, error) {
	if len(body) > MaxBodyBytes {
		return Batch{}, errorf(http.StatusRequestEntityTooLarge, "too_large", "body is %d bytes, at most %d", len(body), MaxBodyBytes)
	}
	var b Batch
	if err := DecodeStrict(body, &b); err != nil {
		return Batch{}, err
	}
	if b.Records == nil {
		e := errorf(http.StatusBadRequest, "missing_field", "field \"records\" is required")
		e.Fields = []string{"records"}
		return Batch{}, e
	}
	if len(b.Records) > MaxRecords {
		return Batch{}, errorf(http.StatusRequestEntityTooLarge, "too_many_records", "batch has %d records, at most %d", len(b.Records), MaxRecords)
	}
	for i := range b.Records {
		if err := b.Records[i].Validate(); err != nil {
			var e *Error
			if errors.As(err, &e) {
				e.Message = fmt.Sprintf("record %d: %s", i, e.Message)
			}
			return Batch{}, err
		}
	}
	return b, nil
}

// Validate checks one record's form: ids, a known topic, a version from 1, and a
// payload that is a JSON object within MaxPayloadBytes.
func (r *Record) Validate() error {
	bad := func(field, format string, a ...any) error {
		e := errorf(http.StatusBadRequest, "bad_record", "%s: "+format, append([]any{field}, a...)...)
		e.Fields = []string{field}
		return e
	}
	if !validID(r.Terminal) {
		return bad("terminal", "must be 1-%d printable characters", MaxIDLen)
	}
	if !slices.Contains(PushTopics, r.Topic) {
		e := errorf(http.StatusBadRequest, "unknown_topic", "topic %q is not one of %s", r.Topic, strings.Join(PushTopics, ", "))
		e.Fields = []string{"topic"}
		return e
	}
	if !validID(r.ID) {
		return bad("id", "must be 1-%d printable characters", MaxIDLen)
	}
	if r.Version < 1 {
		return bad("version", "%d is not a record version (from 1)", r.Version)
	}
	if len(r.Payload) > MaxPayloadBytes {
		e := errorf(http.StatusRequestEntityTooLarge, "payload_too_large", "record %s/%s payload is %d bytes, at most %d", r.Topic, r.ID, len(r.Payload), MaxPayloadBytes)
		e.Fields = []string{"payload"}
		return e
	}
	p := bytes.TrimSpace(r.Payload)
	if len(p) == 0 || p[0] != '{' || !json.Valid(p) {
		return bad("payload", "must be a JSON object")
	}
	return nil
}
