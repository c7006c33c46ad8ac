package server

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"

	"cashier/sync/backoffice/protocol"
)

// MasterReader reads one master-data row as published (both stores
// implement it): pos backoffice publish price finds a code's product by it.
type MasterReader interface {
	// MasterItem returns the row (topic, id); false when there is none.
	MasterItem(ctx context.Context, topic, id string) (protocol.MasterItem, bool, error)
}

func (s *sqlStore) MasterItem(ctx context.Context, topic, id string) (protocol.MasterItem, bool, error) {
	var it protocol.MasterItem
	var payload string
	err := s.db.QueryRowContext(ctx, s.d.q(`SELECT cursor, id, deleted, payload FROM master WHERE topic = ? AND id = ?`), topic, id).
		Scan(&it.Cursor, &it.ID, &it.Deleted, &payload)
	if errors.Is(err, sql.ErrNoRows) {
		return it, false, nil
	}
	if err != nil {
		return it, false, err
	}
	if !it.Deleted {
		it.Payload = json.RawMessage(payload)
	}
	return it, true, nil
}

var _ MasterReader = (*sqlStore)(nil)
