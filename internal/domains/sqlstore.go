package domains

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/castellan-vault/castellan/internal/storage"
)

// SQLStore implements [Store] on a castellan database, identically on every engine.
type SQLStore struct{ DB *storage.DB }

var _ Store = SQLStore{}

const domainColumns = `id, organization_id, domain_name, txt, created_at, verified_at,
	last_checked_at, next_run_at, failing_since, job_run_count, state, revision`

// Create inserts a new domain.
func (s SQLStore) Create(ctx context.Context, d Domain) error {
	err := s.DB.InTx(ctx, func(tx *storage.Tx) error {
		if err := refuseTaken(ctx, tx, d.OrganizationID, d.Name); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO domains (`+domainColumns+`, verified_name)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			d.ID, d.OrganizationID, d.Name, d.TXT, storage.Millis(d.CreatedAt),
			nullMillis(d.VerifiedAt), nullMillis(d.LastCheckedAt), nullMillis(d.NextRunAt),
			nullMillis(d.FailingSince),
			d.JobRunCount, string(d.State), d.Revision, claimName(d))
		return storage.MapError(err)
	})
	switch {
	case errors.Is(err, ErrDuplicate), errors.Is(err, ErrClaimedElsewhere):
		return err
	case errors.Is(err, storage.ErrConflict):
		// A concurrent Create of the same organization and name won the unique key.
		return ErrDuplicate
	case err != nil:
		return fmt.Errorf("create domain: %w", err)
	}
	return nil
}

// refuseTaken tells ErrDuplicate and ErrClaimedElsewhere apart before the insert, so the caller
// gets the precise reason; the unique keys still decide any race.
func refuseTaken(ctx context.Context, q storage.Querier, orgID, name string) error {
	var n int
	err := q.QueryRowContext(ctx,
		`SELECT COUNT(*) FROM domains WHERE organization_id = ? AND domain_name = ?`,
		orgID, name).Scan(&n)
	if err != nil {
		return fmt.Errorf("look for the domain in the organization: %w", err)
	}
	if n > 0 {
		return ErrDuplicate
	}
	var owner string
	err = q.QueryRowContext(ctx,
		`SELECT organization_id FROM domains WHERE verified_name = ?`, name).Scan(&owner)
	switch err = storage.MapError(err); {
	case errors.Is(err, storage.ErrNotFound):
		return nil
	case err != nil:
		return fmt.Errorf("look for a claim on the domain: %w", err)
	case owner != orgID:
		return ErrClaimedElsewhere
	}
	return nil
}

// Get returns one domain of an organization.
func (s SQLStore) Get(ctx context.Context, orgID, id string) (Domain, error) {
	row := s.DB.QueryRowContext(ctx,
		`SELECT `+domainColumns+` FROM domains WHERE organization_id = ? AND id = ?`, orgID, id)
	d, err := scanDomain(row)
	if err != nil {
		return Domain{}, fmt.Errorf("read domain: %w", err)
	}
	return d, nil
}

// List returns an organization's domains ordered by name.
func (s SQLStore) List(ctx context.Context, orgID string) ([]Domain, error) {
	return s.query(ctx, "list domains",
		`SELECT `+domainColumns+` FROM domains WHERE organization_id = ?
		ORDER BY domain_name, id`, orgID)
}

// FindClaimed returns the domain holding the claim on name.
func (s SQLStore) FindClaimed(ctx context.Context, name string) (Domain, error) {
	d, err := scanDomain(s.DB.QueryRowContext(ctx,
		`SELECT `+domainColumns+` FROM domains WHERE verified_name = ?`, name))
	if err != nil {
		return Domain{}, fmt.Errorf("find the claim on a domain: %w", err)
	}
	return d, nil
}

// Due returns the domains whose next automatic check is due.
func (s SQLStore) Due(ctx context.Context, now time.Time, limit int) ([]Domain, error) {
	return s.query(ctx, "list due domains", `SELECT `+domainColumns+` FROM domains
		WHERE next_run_at IS NOT NULL AND next_run_at <= ? ORDER BY next_run_at, id LIMIT ?`,
		storage.Millis(now), limit)
}

func (s SQLStore) query(ctx context.Context, what, q string, args ...any) ([]Domain, error) {
	rows, err := s.DB.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	var out []Domain
	for rows.Next() {
		d, err := scanDomain(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}

// Update writes d's mutable fields if nobody changed the row since d was read.
func (s SQLStore) Update(ctx context.Context, d Domain) (Domain, error) {
	res, err := s.DB.ExecContext(ctx, `UPDATE domains SET verified_at = ?, verified_name = ?,
		last_checked_at = ?, next_run_at = ?, failing_since = ?, job_run_count = ?, state = ?,
		revision = revision + 1 WHERE id = ? AND revision = ?`,
		nullMillis(d.VerifiedAt), claimName(d), nullMillis(d.LastCheckedAt),
		nullMillis(d.NextRunAt), nullMillis(d.FailingSince), d.JobRunCount, string(d.State),
		d.ID, d.Revision)
	if err = storage.MapError(err); errors.Is(err, storage.ErrConflict) {
		return Domain{}, ErrClaimedElsewhere // the only unique key an update can hit
	} else if err != nil {
		return Domain{}, fmt.Errorf("update domain: %w", err)
	}
	if err := s.matched(ctx, res, d.ID); err != nil {
		return Domain{}, err
	}
	d.Revision++
	return d, nil
}

// Delete removes one domain of an organization.
func (s SQLStore) Delete(ctx context.Context, orgID, id string) error {
	res, err := s.DB.ExecContext(ctx,
		`DELETE FROM domains WHERE organization_id = ? AND id = ?`, orgID, id)
	if err != nil {
		return fmt.Errorf("delete domain: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("delete domain: %w", err)
	} else if n == 0 {
		return fmt.Errorf("delete domain: %w", storage.ErrNotFound)
	}
	return nil
}

// DeleteAt removes a domain if it is still at revision.
func (s SQLStore) DeleteAt(ctx context.Context, id string, revision int64) error {
	res, err := s.DB.ExecContext(ctx,
		`DELETE FROM domains WHERE id = ? AND revision = ?`, id, revision)
	if err != nil {
		return fmt.Errorf("delete domain: %w", err)
	}
	return s.matched(ctx, res, id)
}

// matched turns "no row changed" into ErrStale or storage.ErrNotFound.
func (s SQLStore) matched(ctx context.Context, res sql.Result, id string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("write domain: %w", err)
	}
	if n > 0 {
		return nil
	}
	var one int
	err = s.DB.QueryRowContext(ctx, `SELECT 1 FROM domains WHERE id = ?`, id).Scan(&one)
	if err = storage.MapError(err); err != nil {
		return fmt.Errorf("write domain: %w", err)
	}
	return ErrStale
}

type scanner interface{ Scan(dest ...any) error }

func scanDomain(r scanner) (Domain, error) {
	var d Domain
	var created int64
	var verified, checked, next, failing sql.NullInt64
	var state string
	err := r.Scan(&d.ID, &d.OrganizationID, &d.Name, &d.TXT, &created, &verified, &checked, &next,
		&failing, &d.JobRunCount, &state, &d.Revision)
	if err != nil {
		return Domain{}, storage.MapError(err)
	}
	d.CreatedAt = storage.FromMillis(created)
	d.VerifiedAt, d.LastCheckedAt = fromNull(verified), fromNull(checked)
	d.NextRunAt, d.FailingSince = fromNull(next), fromNull(failing)
	d.State = State(state)
	return d, nil
}

// claimName is what goes in verified_name: the name while the domain holds the claim.
func claimName(d Domain) any {
	if d.State.Claimed() {
		return d.Name
	}
	return nil
}

func nullMillis(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return storage.Millis(t)
}

func fromNull(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return storage.FromMillis(v.Int64)
}
