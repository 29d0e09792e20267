package orgs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/castellan-vault/castellan/internal/storage"
)

// SQLStore implements Store on a castellan database (the tables of migration 00004). Member lists
// read the users table (migration 00002) for the name and address of each account, and deleting an
// organization or a collection removes the matching rows of the vault's tables (migration 00003),
// which have no foreign keys to organizations.
type SQLStore struct {
	queries
	db *storage.DB
}

// NewSQLStore returns the store on db.
func NewSQLStore(db *storage.DB) *SQLStore {
	return &SQLStore{queries: queries{q: db}, db: db}
}

// InTx runs fn in one transaction.
func (s *SQLStore) InTx(ctx context.Context, fn func(q Queries) error) error {
	return s.db.InTx(ctx, func(tx *storage.Tx) error { return fn(queries{q: tx}) })
}

// queries implements Queries on a database or a transaction.
type queries struct{ q storage.Querier }

const orgColumns = `id, name, COALESCE(business_name, ''), billing_email, COALESCE(identifier, ''),
	COALESCE(public_key, ''), COALESCE(private_key, ''), seats, enabled, created_at, revision_date`

func scanOrganization(r rowScanner) (Organization, error) {
	var o Organization
	var seats sql.NullInt64
	var created, revised int64
	err := r.Scan(&o.ID, &o.Name, &o.BusinessName, &o.BillingEmail, &o.Identifier, &o.PublicKey,
		&o.PrivateKey, &seats, &o.Enabled, &created, &revised)
	if err != nil {
		return Organization{}, err
	}
	if seats.Valid {
		n := int(seats.Int64)
		o.Seats = &n
	}
	o.CreatedAt, o.RevisionDate = storage.FromMillis(created), storage.FromMillis(revised)
	return o, nil
}

// CreateOrganization inserts o.
func (s queries) CreateOrganization(ctx context.Context, o Organization) error {
	_, err := s.q.ExecContext(ctx, `INSERT INTO organizations (id, name, business_name, billing_email,
		identifier, identifier_norm, public_key, private_key, seats, enabled, created_at, revision_date)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		o.ID, o.Name, nullable(o.BusinessName), o.BillingEmail, nullable(o.Identifier),
		nullable(strings.ToLower(o.Identifier)), nullable(o.PublicKey), nullable(o.PrivateKey),
		nullInt(o.Seats), o.Enabled, storage.Millis(o.CreatedAt), storage.Millis(o.RevisionDate))
	if err = storage.MapError(err); errors.Is(err, storage.ErrConflict) && o.Identifier != "" {
		return fmt.Errorf("insert organization: %w", ErrIdentifierTaken)
	} else if err != nil {
		return fmt.Errorf("insert organization: %w", err)
	}
	return nil
}

// Organization returns one organization.
func (s queries) Organization(ctx context.Context, id string) (Organization, error) {
	return s.orgWhere(ctx, `id = ?`, "", id)
}

// OrganizationByIdentifier finds an organization by SSO identifier, ignoring case.
func (s queries) OrganizationByIdentifier(ctx context.Context,
	identifier string) (Organization, error) {
	if identifier == "" {
		return Organization{}, fmt.Errorf("read organization: %w", storage.ErrNotFound)
	}
	return s.orgWhere(ctx, `identifier_norm = ?`, "", strings.ToLower(identifier))
}

// LockOrganization reads the organization and locks its row until the transaction ends. SQLite
// transactions begin IMMEDIATE and exclude each other already, so no lock clause is needed there.
func (s queries) LockOrganization(ctx context.Context, id string) (Organization, error) {
	suffix := ` FOR UPDATE`
	if s.q.Dialect() == storage.SQLite {
		suffix = ""
	}
	return s.orgWhere(ctx, `id = ?`, suffix, id)
}

func (s queries) orgWhere(ctx context.Context, where, suffix string,
	arg any) (Organization, error) {
	row := s.q.QueryRowContext(ctx,
		`SELECT `+orgColumns+` FROM organizations WHERE `+where+suffix, arg)
	o, err := scanOrganization(row)
	if err != nil {
		return Organization{}, fmt.Errorf("read organization: %w", storage.MapError(err))
	}
	return o, nil
}

// Organizations lists every organization.
func (s queries) Organizations(ctx context.Context) ([]Organization, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT `+orgColumns+` FROM organizations ORDER BY name, id`)
	if err != nil {
		return nil, fmt.Errorf("list organizations: %w", err)
	}
	return collect(rows, "list organizations", func(r rowScanner) (Organization, error) {
		return scanOrganization(r)
	})
}

// UpdateOrganization stores the editable fields.
func (s queries) UpdateOrganization(ctx context.Context, o Organization) error {
	return s.update(ctx, "update organization", "organizations", o.ID,
		`UPDATE organizations SET name = ?, business_name = ?, billing_email = ?, revision_date = ?
		WHERE id = ?`,
		o.Name, nullable(o.BusinessName), o.BillingEmail, storage.Millis(o.RevisionDate), o.ID)
}

// SetSeats sets the seat limit.
func (s queries) SetSeats(ctx context.Context, id string, seats *int, now time.Time) error {
	return s.update(ctx, "set seats", "organizations", id,
		`UPDATE organizations SET seats = ?, revision_date = ? WHERE id = ?`, nullInt(seats),
		storage.Millis(now), id)
}

// SetIdentifier sets the SSO identifier.
func (s queries) SetIdentifier(ctx context.Context, id, identifier string, now time.Time) error {
	err := s.update(ctx, "set identifier", "organizations", id,
		`UPDATE organizations SET identifier = ?, identifier_norm = ?, revision_date = ? WHERE id = ?`,
		nullable(identifier), nullable(strings.ToLower(identifier)), storage.Millis(now), id)
	if errors.Is(err, storage.ErrConflict) {
		return fmt.Errorf("set identifier: %w", ErrIdentifierTaken)
	}
	return err
}

// DeleteOrganization deletes the organization, its items, its claimed domains (migration 00005 has
// no foreign key to cascade, and a stale claim would keep every other organization from the
// domain) and (by cascade) everything else of it.
func (s queries) DeleteOrganization(ctx context.Context, id string) error {
	if _, err := s.q.ExecContext(ctx,
		`DELETE FROM ciphers WHERE organization_id = ?`, id); err != nil {
		return fmt.Errorf("delete organization items: %w", err)
	}
	if _, err := s.q.ExecContext(ctx,
		`DELETE FROM domains WHERE organization_id = ?`, id); err != nil {
		return fmt.Errorf("delete organization domains: %w", err)
	}
	res, err := s.q.ExecContext(ctx, `DELETE FROM organizations WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("delete organization: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("delete organization: %w", storage.ErrNotFound)
	}
	return nil
}

// BumpMemberRevisions moves the account revision date of the organization's members.
func (s queries) BumpMemberRevisions(ctx context.Context, orgID string, memberIDs []string,
	now time.Time) error {
	q := `UPDATE users SET account_revision_date = ? WHERE id IN (SELECT user_id FROM organization_users
		WHERE organization_id = ? AND user_id IS NOT NULL`
	args := []any{storage.Millis(now), orgID}
	if memberIDs != nil {
		if len(memberIDs) == 0 {
			return nil
		}
		for _, chunk := range chunks(memberIDs, maxInArgs) {
			in, ids := inList(chunk)
			all := append(append([]any{}, args...), ids...)
			if _, err := s.q.ExecContext(ctx, q+` AND id IN (`+in+`))`, all...); err != nil {
				return fmt.Errorf("bump member revisions: %w", err)
			}
		}
		return nil
	}
	if _, err := s.q.ExecContext(ctx, q+`)`, args...); err != nil {
		return fmt.Errorf("bump member revisions: %w", err)
	}
	return nil
}

// update runs an UPDATE of the row id of table; no such row is ErrNotFound. MySQL counts only rows
// whose values changed, so a zero count is checked against the row's existence.
func (s queries) update(ctx context.Context, what, table, id, q string, args ...any) error {
	res, err := s.q.ExecContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("%s: %w", what, storage.MapError(err))
	}
	if n, _ := res.RowsAffected(); n > 0 {
		return nil
	}
	var one int
	err = s.q.QueryRowContext(ctx, `SELECT 1 FROM `+table+` WHERE id = ?`, id).Scan(&one)
	if err != nil {
		return fmt.Errorf("%s: %w", what, storage.MapError(err))
	}
	return nil
}

type rowScanner interface{ Scan(dest ...any) error }

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

// insertBatch is how many rows one INSERT carries; maxInArgs how many ids one IN list holds. Both
// stay far below every engine's parameter limit.
const (
	insertBatch = 200
	maxInArgs   = 500
)

// insertRows inserts rows into table in multi-row statements.
func insertRows(ctx context.Context, q storage.Querier, table string,
	cols []string, rows [][]any) error {
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
	for _, batch := range chunks(rows, insertBatch) {
		values := strings.TrimSuffix(strings.Repeat(one+", ", len(batch)), ", ")
		args := make([]any, 0, len(batch)*len(cols))
		for _, r := range batch {
			args = append(args, r...)
		}
		stmt := `INSERT INTO ` + table + ` (` + strings.Join(cols, ", ") + `) VALUES ` + values
		_, err := q.ExecContext(ctx, stmt, args...)
		if err != nil {
			return fmt.Errorf("insert into %s: %w", table, storage.MapError(err))
		}
	}
	return nil
}

// chunks splits s into slices of at most n.
func chunks[T any](s []T, n int) [][]T {
	var out [][]T
	for start := 0; start < len(s); start += n {
		out = append(out, s[start:min(start+n, len(s))])
	}
	return out
}

// inList returns "?, ?, ..." and the arguments for an IN clause.
func inList(ids []string) (string, []any) {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	return strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", "), args
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nullInt(n *int) any {
	if n == nil {
		return nil
	}
	return *n
}
