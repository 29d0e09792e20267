package orgs

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/castellan-vault/castellan/internal/storage"
)

const memberColumns = `ou.id, ou.organization_id, COALESCE(ou.user_id, ''), COALESCE(ou.email, ''),
	COALESCE(ou.akey, ''), COALESCE(ou.reset_password_key, ''), ou.status, ou.status_before_revoke, ou.type,
	COALESCE(ou.external_id, ''), ou.permissions, ou.access_secrets_manager, ou.revocation_reason,
	ou.created_at, ou.revision_date`

var memberInsertColumns = []string{"id", "organization_id", "user_id", "email",
	"akey", "reset_password_key",
	"status", "status_before_revoke", "type", "external_id", "permissions", "access_secrets_manager",
	"revocation_reason", "created_at", "revision_date"}

// memberScan holds what scanning a member row needs; extra destinations follow the member's.
type memberScan struct {
	m                Member
	before, reason   sql.NullInt16
	perms            sql.NullString
	created, revised int64
}

func (ms *memberScan) dest() []any {
	m := &ms.m
	return []any{&m.ID, &m.OrganizationID, &m.UserID, &m.Email, &m.Key,
		&m.ResetPasswordKey, &m.Status,
		&ms.before, &m.Type, &m.ExternalID, &ms.perms, &m.AccessSecretsManager, &ms.reason, &ms.created,
		&ms.revised}
}

func (ms *memberScan) finish() (Member, error) {
	m := ms.m
	if ms.before.Valid {
		st := Status(ms.before.Int16)
		m.StatusBeforeRevoke = &st
	}
	if ms.reason.Valid {
		r := RevocationReason(ms.reason.Int16)
		m.RevocationReason = &r
	}
	if ms.perms.Valid && ms.perms.String != "" {
		if err := json.Unmarshal([]byte(ms.perms.String), &m.Permissions); err != nil {
			return Member{}, fmt.Errorf("read member permissions: %w", err)
		}
	}
	m.CreatedAt, m.RevisionDate = storage.FromMillis(ms.created), storage.FromMillis(ms.revised)
	return m, nil
}

func scanMember(r rowScanner) (Member, error) {
	var ms memberScan
	if err := r.Scan(ms.dest()...); err != nil {
		return Member{}, err
	}
	return ms.finish()
}

// memberRow is the column values of m, in memberInsertColumns order.
func memberRow(m Member) ([]any, error) {
	var perms any
	if m.Type == RoleCustom {
		b, err := json.Marshal(m.Permissions)
		if err != nil {
			return nil, fmt.Errorf("encode permissions: %w", err)
		}
		perms = string(b)
	}
	var before, reason any
	if m.StatusBeforeRevoke != nil {
		before = int16(*m.StatusBeforeRevoke)
	}
	if m.RevocationReason != nil {
		reason = int16(*m.RevocationReason)
	}
	return []any{m.ID, m.OrganizationID, nullable(m.UserID), nullable(m.Email), nullable(m.Key),
		nullable(m.ResetPasswordKey), int16(m.Status), before, int16(m.Type), nullable(m.ExternalID), perms,
		m.AccessSecretsManager, reason, storage.Millis(m.CreatedAt), storage.Millis(m.RevisionDate)}, nil
}

// InsertMembers inserts memberships.
func (s queries) InsertMembers(ctx context.Context, ms []Member) error {
	rows := make([][]any, len(ms))
	for i, m := range ms {
		r, err := memberRow(m)
		if err != nil {
			return err
		}
		rows[i] = r
	}
	if err := insertRows(ctx, s.q, "organization_users", memberInsertColumns, rows); err != nil {
		return fmt.Errorf("insert members: %w", err)
	}
	return nil
}

// Member returns one membership of the organization.
func (s queries) Member(ctx context.Context, orgID, id string) (Member, error) {
	return s.memberWhere(ctx, `ou.organization_id = ? AND ou.id = ?`, orgID, id)
}

// MemberByID returns a membership of any organization.
func (s queries) MemberByID(ctx context.Context, id string) (Member, error) {
	return s.memberWhere(ctx, `ou.id = ?`, id)
}

// MemberByUser returns a user's membership in the organization.
func (s queries) MemberByUser(ctx context.Context, orgID, userID string) (Member, error) {
	return s.memberWhere(ctx, `ou.organization_id = ? AND ou.user_id = ?`, orgID, userID)
}

// MemberByEmail returns the membership invited as email that no account is bound to yet.
func (s queries) MemberByEmail(ctx context.Context, orgID, email string) (Member, error) {
	return s.memberWhere(ctx, `ou.organization_id = ? AND ou.email = ?`, orgID, email)
}

func (s queries) memberWhere(ctx context.Context, where string, args ...any) (Member, error) {
	row := s.q.QueryRowContext(ctx,
		`SELECT `+memberColumns+` FROM organization_users ou WHERE `+where, args...)
	m, err := scanMember(row)
	if err != nil {
		return Member{}, fmt.Errorf("read member: %w", storage.MapError(err))
	}
	return m, nil
}

// Members returns the memberships of the organization among ids, in the order of ids.
func (s queries) Members(ctx context.Context, orgID string, ids []string) ([]Member, error) {
	byID := make(map[string]Member, len(ids))
	for _, chunk := range chunks(ids, maxInArgs) {
		in, args := inList(chunk)
		rows, err := s.q.QueryContext(ctx, `SELECT `+memberColumns+` FROM organization_users ou
			WHERE ou.organization_id = ? AND ou.id IN (`+in+`)`, append([]any{orgID}, args...)...)
		if err != nil {
			return nil, fmt.Errorf("read members: %w", err)
		}
		ms, err := collect(rows, "read members", scanMember)
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			byID[m.ID] = m
		}
	}
	out := make([]Member, 0, len(byID))
	for _, id := range ids {
		if m, ok := byID[id]; ok {
			out = append(out, m)
			delete(byID, id) // an id listed twice is returned once
		}
	}
	return out, nil
}

// MembershipsOfUser lists a user's memberships.
func (s queries) MembershipsOfUser(ctx context.Context, userID string) ([]Member, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT `+memberColumns+` FROM organization_users ou
		WHERE ou.user_id = ? ORDER BY ou.created_at, ou.id`, userID)
	if err != nil {
		return nil, fmt.Errorf("list memberships: %w", err)
	}
	return collect(rows, "list memberships", scanMember)
}

// PresentEmails returns the addresses among emails that the organization already has.
func (s queries) PresentEmails(ctx context.Context, orgID string,
	emails []string) (map[string]bool, error) {
	out := map[string]bool{}
	for _, chunk := range chunks(emails, maxInArgs) {
		in, args := inList(chunk)
		q := `SELECT ou.email FROM organization_users ou
			WHERE ou.organization_id = ? AND ou.email IN (` + in + `)
			UNION SELECT u.email FROM organization_users ou JOIN users u ON u.id = ou.user_id
			WHERE ou.organization_id = ? AND u.email IN (` + in + `)`
		all := append(append(append([]any{orgID}, args...), orgID), args...)
		rows, err := s.q.QueryContext(ctx, q, all...)
		if err != nil {
			return nil, fmt.Errorf("find present emails: %w", err)
		}
		found, err := collect(rows, "find present emails", func(r rowScanner) (string, error) {
			var e string
			return e, r.Scan(&e)
		})
		if err != nil {
			return nil, err
		}
		for _, e := range found {
			out[e] = true
		}
	}
	return out, nil
}

// PresentUsers returns the addresses among emails that accounts have.
func (s queries) PresentUsers(ctx context.Context, emails []string) (map[string]bool, error) {
	out := map[string]bool{}
	for _, chunk := range chunks(emails, maxInArgs) {
		in, args := inList(chunk)
		rows, err := s.q.QueryContext(ctx,
			`SELECT email FROM users WHERE email IN (`+in+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("find accounts: %w", err)
		}
		found, err := collect(rows, "find accounts", func(r rowScanner) (string, error) {
			var e string
			return e, r.Scan(&e)
		})
		if err != nil {
			return nil, err
		}
		for _, e := range found {
			out[e] = true
		}
	}
	return out, nil
}

// UpdateMember stores the mutable fields of m.
func (s queries) UpdateMember(ctx context.Context, m Member) error {
	r, err := memberRow(m)
	if err != nil {
		return err
	}
	// r follows memberInsertColumns: id and organization_id first, created_at second to last.
	sets := make([]string, 0, len(memberInsertColumns))
	args := make([]any, 0, len(r))
	for i, col := range memberInsertColumns {
		if col == "id" || col == "organization_id" || col == "created_at" {
			continue
		}
		sets = append(sets, col+" = ?")
		args = append(args, r[i])
	}
	args = append(args, m.ID, m.OrganizationID)
	return s.update(ctx, "update member", "organization_users", m.ID,
		`UPDATE organization_users SET `+strings.Join(sets, ", ")+
			` WHERE id = ? AND organization_id = ?`, args...)
}

// DeleteMembers deletes memberships; their group and collection links go by cascade.
func (s queries) DeleteMembers(ctx context.Context, orgID string, ids []string) error {
	for _, chunk := range chunks(ids, maxInArgs) {
		in, args := inList(chunk)
		_, err := s.q.ExecContext(ctx,
			`DELETE FROM organization_users WHERE organization_id = ? AND id IN (`+in+`)`,
			append([]any{orgID}, args...)...)
		if err != nil {
			return fmt.Errorf("delete members: %w", err)
		}
	}
	return nil
}

// OccupiedSeats counts the memberships that hold a seat.
func (s queries) OccupiedSeats(ctx context.Context, orgID string) (int, error) {
	var n int
	err := s.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM organization_users WHERE organization_id = ?
		AND status IN (?, ?, ?)`, orgID, int16(StatusInvited), int16(StatusAccepted),
		int16(StatusConfirmed)).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count seats: %w", err)
	}
	return n, nil
}

// ConfirmedOwners counts the confirmed owners, leaving out except.
func (s queries) ConfirmedOwners(ctx context.Context, orgID string, except []string) (int, error) {
	q := `SELECT COUNT(*) FROM organization_users WHERE organization_id = ? AND type = ? AND status = ?`
	args := []any{orgID, int16(RoleOwner), int16(StatusConfirmed)}
	if len(except) > 0 {
		in, ids := inList(except)
		q += ` AND id NOT IN (` + in + `)`
		args = append(args, ids...)
	}
	var n int
	if err := s.q.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count owners: %w", err)
	}
	return n, nil
}

const memberDetailsQuery = `SELECT ` + memberColumns + `, u.id, u.email, u.name, u.avatar_color, u.public_key,
	CASE WHEN u.master_password_hash IS NULL THEN 0 ELSE 1 END
	FROM organization_users ou LEFT JOIN users u ON u.id = ou.user_id WHERE ou.organization_id = ?`

func scanMemberDetails(r rowScanner) (MemberDetails, error) {
	var ms memberScan
	var uid, email, name, avatar, pub sql.NullString
	var hasPassword bool
	if err := r.Scan(append(ms.dest(), &uid, &email, &name, &avatar, &pub,
		&hasPassword)...); err != nil {
		return MemberDetails{}, err
	}
	m, err := ms.finish()
	if err != nil {
		return MemberDetails{}, err
	}
	d := MemberDetails{Member: m}
	if uid.Valid {
		d.User = &MemberUser{Email: email.String, Name: name.String, AvatarColor: avatar.String,
			PublicKey: pub.String, HasMasterPassword: hasPassword}
	}
	return d, nil
}

// MemberDetails returns one membership with its account.
func (s queries) MemberDetails(ctx context.Context, orgID, id string) (MemberDetails, error) {
	d, err := scanMemberDetails(s.q.QueryRowContext(ctx,
		memberDetailsQuery+` AND ou.id = ?`, orgID, id))
	if err != nil {
		return MemberDetails{}, fmt.Errorf("read member: %w", storage.MapError(err))
	}
	return d, nil
}

// ListMembers lists the organization's memberships with their accounts.
func (s queries) ListMembers(ctx context.Context, orgID string) ([]MemberDetails, error) {
	rows, err := s.q.QueryContext(ctx, memberDetailsQuery+` ORDER BY ou.created_at, ou.id`, orgID)
	if err != nil {
		return nil, fmt.Errorf("list members: %w", err)
	}
	return collect(rows, "list members", scanMemberDetails)
}

// MemberCollections returns collection grants of the organization's memberships.
func (s queries) MemberCollections(ctx context.Context, orgID,
	memberID string) (map[string][]Access, error) {
	q := `SELECT cu.organization_user_id, cu.collection_id, cu.read_only, cu.hide_passwords, cu.manage
		FROM collection_users cu JOIN organization_users ou ON ou.id = cu.organization_user_id
		WHERE ou.organization_id = ?`
	return s.grants(ctx, q, orgID, "ou.id", memberID, "cu.organization_user_id, cu.collection_id")
}

// grants runs a query whose rows are (owner id, access id, read_only, hide_passwords, manage),
// narrowed to one owner when only is not "", and groups the grants by owner.
func (s queries) grants(ctx context.Context, q, orgID, onlyCol, only,
	order string) (map[string][]Access, error) {
	args := []any{orgID}
	if only != "" {
		q += ` AND ` + onlyCol + ` = ?`
		args = append(args, only)
	}
	rows, err := s.q.QueryContext(ctx, q+` ORDER BY `+order, args...)
	if err != nil {
		return nil, fmt.Errorf("read grants: %w", err)
	}
	type row struct {
		owner string
		a     Access
	}
	list, err := collect(rows, "read grants", func(r rowScanner) (row, error) {
		var x row
		return x, r.Scan(&x.owner, &x.a.ID, &x.a.ReadOnly, &x.a.HidePasswords, &x.a.Manage)
	})
	if err != nil {
		return nil, err
	}
	out := map[string][]Access{}
	for _, x := range list {
		out[x.owner] = append(out[x.owner], x.a)
	}
	return out, nil
}

// SetMemberCollections replaces a membership's collection grants.
func (s queries) SetMemberCollections(ctx context.Context, memberID string, grants []Access) error {
	if _, err := s.q.ExecContext(ctx, `DELETE FROM collection_users WHERE organization_user_id = ?`,
		memberID); err != nil {
		return fmt.Errorf("clear member collections: %w", err)
	}
	rows := make([][]any, len(grants))
	for i, g := range grants {
		rows[i] = []any{g.ID, memberID, g.ReadOnly, g.HidePasswords, g.Manage}
	}
	return insertRows(ctx, s.q, "collection_users", collectionUserColumns, rows)
}

// AddMemberLinks inserts the grants and group links of new memberships.
func (s queries) AddMemberLinks(ctx context.Context, memberIDs []string, grants []Access,
	groupIDs []string) error {
	var cu, gu [][]any
	for _, m := range memberIDs {
		for _, g := range grants {
			cu = append(cu, []any{g.ID, m, g.ReadOnly, g.HidePasswords, g.Manage})
		}
		for _, g := range groupIDs {
			gu = append(gu, []any{g, m})
		}
	}
	if err := insertRows(ctx, s.q, "collection_users", collectionUserColumns, cu); err != nil {
		return err
	}
	return insertRows(ctx, s.q, "group_users", []string{"group_id", "organization_user_id"}, gu)
}

var collectionUserColumns = []string{"collection_id", "organization_user_id", "read_only",
	"hide_passwords", "manage"}

// MemberGroups returns the groups of the organization's memberships.
func (s queries) MemberGroups(ctx context.Context, orgID,
	memberID string) (map[string][]string, error) {
	q := `SELECT gu.organization_user_id, gu.group_id FROM group_users gu
		JOIN organization_users ou ON ou.id = gu.organization_user_id WHERE ou.organization_id = ?`
	args := []any{orgID}
	if memberID != "" {
		q += ` AND ou.id = ?`
		args = append(args, memberID)
	}
	rows, err := s.q.QueryContext(ctx, q+` ORDER BY gu.organization_user_id, gu.group_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("read member groups: %w", err)
	}
	pairs, err := collect(rows, "read member groups", func(r rowScanner) ([2]string, error) {
		var p [2]string
		return p, r.Scan(&p[0], &p[1])
	})
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for _, p := range pairs {
		out[p[0]] = append(out[p[0]], p[1])
	}
	return out, nil
}

// SetMemberGroups replaces the groups of a membership.
func (s queries) SetMemberGroups(ctx context.Context, memberID string, groupIDs []string) error {
	if _, err := s.q.ExecContext(ctx, `DELETE FROM group_users WHERE organization_user_id = ?`,
		memberID); err != nil {
		return fmt.Errorf("clear member groups: %w", err)
	}
	rows := make([][]any, len(groupIDs))
	for i, g := range groupIDs {
		rows[i] = []any{g, memberID}
	}
	return insertRows(ctx, s.q, "group_users", []string{"group_id", "organization_user_id"}, rows)
}

// DeleteUser deletes an account; the foreign keys of migrations 00002 to 00006 cascade.
func (s queries) DeleteUser(ctx context.Context, userID string) error {
	res, err := s.q.ExecContext(ctx, `DELETE FROM users WHERE id = ?`, userID)
	if err != nil {
		return fmt.Errorf("delete user: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("delete user: %w", storage.ErrNotFound)
	}
	return nil
}

// MarkEmailVerified records that a user proved their address by redeeming an emailed invitation.
// The column belongs to the accounts concern; the update runs in the acceptance's transaction.
func (s queries) MarkEmailVerified(ctx context.Context, userID string, now time.Time) error {
	_, err := s.q.ExecContext(ctx,
		`UPDATE users SET email_verified = ?, revision_date = ? WHERE id = ?`,
		true, storage.Millis(now), userID)
	if err != nil {
		return fmt.Errorf("mark email verified: %w", err)
	}
	return nil
}
