package policies

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/castellan-vault/castellan/internal/orgs"
	"github.com/castellan-vault/castellan/internal/storage"
)

// Store keeps policies (migration 00007) through a database or a transaction: On(tx) returns the
// same store inside a transaction that the organization queries share. A missing row is
// storage.ErrNotFound; a second row of one type in one organization is storage.ErrConflict. The
// lookups across organizations read the membership and organization tables of migration 00004.
type Store struct{ q storage.Querier }

// NewStore returns the store on q.
func NewStore(q storage.Querier) Store { return Store{q: q} }

// On returns the store running through q (typically a transaction).
func (Store) On(q storage.Querier) Store { return Store{q: q} }

const policyColumns = `p.id, p.organization_id, p.type, p.enabled, p.data, p.created_at, p.revision_date`

type rowScanner interface{ Scan(dest ...any) error }

func scanPolicy(r rowScanner, extra ...any) (Policy, error) {
	var p Policy
	var data sql.NullString
	var created, revised int64
	dest := append([]any{&p.ID, &p.OrganizationID, &p.Type, &p.Enabled, &data, &created, &revised}, extra...)
	if err := r.Scan(dest...); err != nil {
		return Policy{}, err
	}
	if data.Valid && data.String != "" {
		p.Data = json.RawMessage(data.String)
	}
	p.CreatedAt, p.RevisionDate = storage.FromMillis(created), storage.FromMillis(revised)
	return p, nil
}

// Get returns the organization's policy of type t.
func (s Store) Get(ctx context.Context, orgID string, t Type) (Policy, error) {
	row := s.q.QueryRowContext(ctx, `SELECT `+policyColumns+` FROM policies p
		WHERE p.organization_id = ? AND p.type = ?`, orgID, int(t))
	p, err := scanPolicy(row)
	if err != nil {
		return Policy{}, fmt.Errorf("read policy: %w", storage.MapError(err))
	}
	return p, nil
}

// List returns the organization's policies, by type.
func (s Store) List(ctx context.Context, orgID string) ([]Policy, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT `+policyColumns+` FROM policies p
		WHERE p.organization_id = ? ORDER BY p.type`, orgID)
	if err != nil {
		return nil, fmt.Errorf("list policies: %w", err)
	}
	return collect(rows, "list policies", func(r rowScanner) (Policy, error) { return scanPolicy(r) })
}

// Insert stores a new policy.
func (s Store) Insert(ctx context.Context, p Policy) error {
	_, err := s.q.ExecContext(ctx, `INSERT INTO policies (id, organization_id, type, enabled, data, created_at,
		revision_date) VALUES (?, ?, ?, ?, ?, ?, ?)`, p.ID, p.OrganizationID, int(p.Type), p.Enabled,
		nullData(p.Data), storage.Millis(p.CreatedAt), storage.Millis(p.RevisionDate))
	if err != nil {
		return fmt.Errorf("insert policy: %w", storage.MapError(err))
	}
	return nil
}

// Update stores p's enabled flag, data and revision date.
func (s Store) Update(ctx context.Context, p Policy) error {
	_, err := s.q.ExecContext(ctx, `UPDATE policies SET enabled = ?, data = ?, revision_date = ? WHERE id = ?`,
		p.Enabled, nullData(p.Data), storage.Millis(p.RevisionDate), p.ID)
	if err != nil {
		return fmt.Errorf("update policy: %w", storage.MapError(err))
	}
	return nil
}

// EnabledForUser returns, for policy type t, every enabled organization where it is enabled and
// userID holds a membership (whatever its status), with that membership.
func (s Store) EnabledForUser(ctx context.Context, userID string, t Type) ([]MemberPolicy, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT `+policyColumns+`, COALESCE(o.identifier, ''), ou.id, ou.status,
		ou.type FROM organization_users ou JOIN organizations o ON o.id = ou.organization_id
		JOIN policies p ON p.organization_id = o.id
		WHERE ou.user_id = ? AND o.enabled = ? AND p.type = ? AND p.enabled = ?
		ORDER BY o.id`, userID, true, int(t), true)
	if err != nil {
		return nil, fmt.Errorf("read policies of user: %w", err)
	}
	return collect(rows, "read policies of user", func(r rowScanner) (MemberPolicy, error) {
		var mp MemberPolicy
		p, err := scanPolicy(r, &mp.Identifier, &mp.MemberID, &mp.Status, &mp.Role)
		mp.Policy, mp.OrganizationID = p, p.OrganizationID
		return mp, err
	})
}

// OfConfirmedMember returns the policies of every enabled organization where userID is a
// confirmed member, for /api/sync: the clients apply them (password generator, vault timeout...).
func (s Store) OfConfirmedMember(ctx context.Context, userID string) ([]Policy, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT `+policyColumns+` FROM policies p
		JOIN organizations o ON o.id = p.organization_id
		JOIN organization_users ou ON ou.organization_id = o.id
		WHERE ou.user_id = ? AND ou.status = ? AND o.enabled = ? ORDER BY p.organization_id, p.type`,
		userID, int16(orgs.StatusConfirmed), true)
	if err != nil {
		return nil, fmt.Errorf("read policies for sync: %w", err)
	}
	return collect(rows, "read policies for sync", func(r rowScanner) (Policy, error) { return scanPolicy(r) })
}

// SingleOrgViolators returns the memberships of the organization that the Single organization
// policy would make revoke: Accepted or Confirmed, neither owner nor admin, not the account
// exceptUserID, whose account holds a membership of another organization that is past the
// invitation (accepted, confirmed or revoked).
func (s Store) SingleOrgViolators(ctx context.Context, orgID, exceptUserID string) ([]string, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT ou.id FROM organization_users ou
		WHERE ou.organization_id = ? AND ou.status IN (?, ?) AND ou.type NOT IN (?, ?) AND ou.user_id <> ?
		AND EXISTS (SELECT 1 FROM organization_users other WHERE other.user_id = ou.user_id
			AND other.organization_id <> ou.organization_id AND other.status <> ?)
		ORDER BY ou.id`, orgID, int16(orgs.StatusAccepted), int16(orgs.StatusConfirmed),
		int16(orgs.RoleOwner), int16(orgs.RoleAdmin), exceptUserID, int16(orgs.StatusInvited))
	if err != nil {
		return nil, fmt.Errorf("find single organization violators: %w", err)
	}
	return collect(rows, "find single organization violators", func(r rowScanner) (string, error) {
		var id string
		return id, r.Scan(&id)
	})
}

// collect scans every row with scan and closes rows.
func collect[T any](rows *sql.Rows, what string, scan func(rowScanner) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}

func nullData(d json.RawMessage) any {
	if len(d) == 0 || strings.TrimSpace(string(d)) == "null" {
		return nil
	}
	return string(d)
}
