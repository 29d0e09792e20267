package orgs

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/castellan-vault/castellan/internal/storage"
)

var eventColumns = []string{"id", "type", "organization_id", "acting_user_id", "user_id",
	"organization_user_id",
	"group_id", "collection_id", "cipher_id", "policy_id", "device_type", "ip_address", "system_user",
	"created_at"}

// AddEvents appends events.
func (s queries) AddEvents(ctx context.Context, events []Event) error {
	rows := make([][]any, len(events))
	for i, e := range events {
		rows[i] = []any{e.ID, int(e.Type), nullable(e.OrganizationID), nullable(e.ActingUserID),
			nullable(e.UserID),
			nullable(e.MemberID), nullable(e.GroupID), nullable(e.CollectionID), nullable(e.CipherID),
			nullable(e.PolicyID), nullInt(e.DeviceType), nullable(e.IPAddress), nullInt(e.SystemUser),
			storage.Millis(e.Date)}
	}
	if err := insertRows(ctx, s.q, "audit_events", eventColumns, rows); err != nil {
		return fmt.Errorf("add events: %w", err)
	}
	return nil
}

// Events lists a page of the organization's events, newest first.
func (s queries) Events(ctx context.Context, orgID string, start, end time.Time, after EventCursor,
	limit int) ([]Event, error) {
	q := `SELECT id, type, COALESCE(organization_id, ''), COALESCE(acting_user_id, ''), COALESCE(user_id, ''),
		COALESCE(organization_user_id, ''), COALESCE(group_id, ''), COALESCE(collection_id, ''),
		COALESCE(cipher_id, ''), COALESCE(policy_id, ''), device_type, COALESCE(ip_address, ''), system_user,
		created_at FROM audit_events WHERE organization_id = ? AND created_at >= ? AND created_at < ?`
	args := []any{orgID, storage.Millis(start), storage.Millis(end)}
	if after.ID != "" {
		at := storage.Millis(after.Date)
		q += ` AND (created_at < ? OR (created_at = ? AND id < ?))`
		args = append(args, at, at, after.ID)
	}
	q += ` ORDER BY created_at DESC, id DESC LIMIT ?`
	args = append(args, limit)
	rows, err := s.q.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	return collect(rows, "list events", scanEvent)
}

func scanEvent(r rowScanner) (Event, error) {
	var e Event
	var device, system sql.NullInt64
	var date int64
	err := r.Scan(&e.ID, &e.Type, &e.OrganizationID, &e.ActingUserID, &e.UserID,
		&e.MemberID, &e.GroupID,
		&e.CollectionID, &e.CipherID, &e.PolicyID, &device, &e.IPAddress, &system, &date)
	if err != nil {
		return Event{}, err
	}
	if device.Valid {
		n := int(device.Int64)
		e.DeviceType = &n
	}
	if system.Valid {
		n := int(system.Int64)
		e.SystemUser = &n
	}
	e.Date = storage.FromMillis(date)
	return e, nil
}

// CipherOrganizations reads the organization of items (the vault's ciphers table).
func (s queries) CipherOrganizations(ctx context.Context, ids []string) (map[string]string, error) {
	out := map[string]string{}
	for _, chunk := range chunks(ids, maxInArgs) {
		in, args := inList(chunk)
		rows, err := s.q.QueryContext(ctx, `SELECT id, organization_id FROM ciphers
			WHERE organization_id IS NOT NULL AND id IN (`+in+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("read item organizations: %w", err)
		}
		pairs, err := collect(rows, "read item organizations",
			func(r rowScanner) ([2]string, error) {
				var p [2]string
				return p, r.Scan(&p[0], &p[1])
			})
		if err != nil {
			return nil, err
		}
		for _, p := range pairs {
			out[p[0]] = p[1]
		}
	}
	return out, nil
}
