package sso

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/castellan-vault/castellan/internal/storage"
)

// Store keeps SSO configurations, links, flows, codes and replayed message ids (migration 00006)
// through a database or a transaction: On(tx) returns the same store inside a transaction that
// other concerns' writes share. Missing rows are storage.ErrNotFound; unique-key collisions
// storage.ErrConflict.
type Store struct{ q storage.Querier }

// NewStore returns the store on q.
func NewStore(q storage.Querier) Store { return Store{q: q} }

// On returns the store running through q (typically a transaction).
func (Store) On(q storage.Querier) Store { return Store{q: q} }

// Config returns the organization's stored configuration with its client secret still sealed (the
// service opens it); "" when it has none.
func (s Store) Config(ctx context.Context, orgID string) (*Config, string, error) {
	var (
		c                   Config
		data                string
		sealed              sql.NullString
		created, revisionMs int64
	)
	err := s.q.QueryRowContext(ctx, `SELECT organization_id, enabled, data, sealed_secret, revision,
		created_at, revision_date FROM sso_configs WHERE organization_id = ?`, orgID).
		Scan(&c.OrgID, &c.Enabled, &data, &sealed, &c.Revision, &created, &revisionMs)
	if err != nil {
		return nil, "", fmt.Errorf("read sso config: %w", storage.MapError(err))
	}
	if err := json.Unmarshal([]byte(data), &c.Data); err != nil {
		return nil, "", fmt.Errorf("read sso config: decode data: %w", err)
	}
	c.CreatedAt, c.RevisionDate = storage.FromMillis(created), storage.FromMillis(revisionMs)
	return &c, sealed.String, nil
}

// PutConfig stores c (with its secret already sealed in sealedSecret, "" for none), replacing the
// organization's configuration if it has one. c.Revision must be the new revision.
func (s Store) PutConfig(ctx context.Context, c *Config, sealedSecret string) error {
	data, err := json.Marshal(c.Data)
	if err != nil {
		return fmt.Errorf("store sso config: encode data: %w", err)
	}
	res, err := s.q.ExecContext(ctx, `UPDATE sso_configs SET enabled = ?, config_type = ?, data = ?,
		sealed_secret = ?, revision = ?, revision_date = ? WHERE organization_id = ?`,
		c.Enabled, int(c.Data.ConfigType), string(data), nullString(sealedSecret), c.Revision,
		storage.Millis(c.RevisionDate), c.OrgID)
	if err != nil {
		return fmt.Errorf("store sso config: %w", storage.MapError(err))
	}
	if n, _ := res.RowsAffected(); n > 0 {
		return nil
	}
	_, err = s.q.ExecContext(ctx, `INSERT INTO sso_configs (organization_id, enabled, config_type, data,
		sealed_secret, revision, created_at, revision_date) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		c.OrgID, c.Enabled, int(c.Data.ConfigType), string(data), nullString(sealedSecret), c.Revision,
		storage.Millis(c.CreatedAt), storage.Millis(c.RevisionDate))
	if err != nil {
		return fmt.Errorf("store sso config: %w", storage.MapError(err))
	}
	return nil
}

// Link is an SSO link: the organization's provider's stable id for a person, bound to an account.
type Link struct {
	OrgID      string
	ExternalID string
	UserID     string
	CreatedAt  time.Time
}

// LinkByExternalID returns the organization's link for an external id.
func (s Store) LinkByExternalID(ctx context.Context, orgID, externalID string) (*Link, error) {
	return s.linkWhere(ctx, `organization_id = ? AND external_id = ?`, orgID, externalID)
}

// LinkOfUser returns the account's link in the organization.
func (s Store) LinkOfUser(ctx context.Context, orgID, userID string) (*Link, error) {
	return s.linkWhere(ctx, `organization_id = ? AND user_id = ?`, orgID, userID)
}

func (s Store) linkWhere(ctx context.Context, where string, args ...any) (*Link, error) {
	var l Link
	var created int64
	err := s.q.QueryRowContext(ctx, `SELECT organization_id, external_id, user_id, created_at FROM sso_links
		WHERE `+where, args...).Scan(&l.OrgID, &l.ExternalID, &l.UserID, &created)
	if err != nil {
		return nil, fmt.Errorf("read sso link: %w", storage.MapError(err))
	}
	l.CreatedAt = storage.FromMillis(created)
	return &l, nil
}

// InsertLink stores l; a second link for the external id or the account is storage.ErrConflict.
func (s Store) InsertLink(ctx context.Context, l Link) error {
	_, err := s.q.ExecContext(ctx, `INSERT INTO sso_links (organization_id, external_id, user_id, created_at)
		VALUES (?, ?, ?, ?)`, l.OrgID, l.ExternalID, l.UserID, storage.Millis(l.CreatedAt))
	if err != nil {
		return fmt.Errorf("insert sso link: %w", storage.MapError(err))
	}
	return nil
}

// DeleteLinkOfUser removes the account's link in the organization, if any.
func (s Store) DeleteLinkOfUser(ctx context.Context, orgID, userID string) error {
	_, err := s.q.ExecContext(ctx, `DELETE FROM sso_links WHERE organization_id = ? AND user_id = ?`, orgID, userID)
	if err != nil {
		return fmt.Errorf("delete sso link: %w", err)
	}
	return nil
}

// Flow is a sign-in under way (see the sso_flows table in migration 00006).
type Flow struct {
	// ID is the SHA-256 (hex) of what the provider sends back: the OIDC state, the SAML RelayState.
	ID         string
	OrgID      string
	ConfigType ConfigType
	// BindingHash is the SHA-256 (hex) of the browser-binding cookie.
	BindingHash   string
	ClientID      string
	RedirectURI   string
	ClientState   string
	CodeChallenge string
	// ProviderData is the protocol's own flow state, sealed for this flow.
	ProviderData string
	CreatedAt    time.Time
	ExpiresAt    time.Time
}

// InsertFlow stores a new flow.
func (s Store) InsertFlow(ctx context.Context, f Flow) error {
	_, err := s.q.ExecContext(ctx, `INSERT INTO sso_flows (id, organization_id, config_type, binding_hash,
		client_id, redirect_uri, client_state, code_challenge, provider_data, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, f.ID, f.OrgID, int(f.ConfigType), f.BindingHash,
		f.ClientID, f.RedirectURI, f.ClientState, f.CodeChallenge, f.ProviderData,
		storage.Millis(f.CreatedAt), storage.Millis(f.ExpiresAt))
	if err != nil {
		return fmt.Errorf("insert sso flow: %w", storage.MapError(err))
	}
	return nil
}

// Flow returns the flow with that id.
func (s Store) Flow(ctx context.Context, id string) (*Flow, error) {
	var f Flow
	var typ int
	var created, expires int64
	err := s.q.QueryRowContext(ctx, `SELECT id, organization_id, config_type, binding_hash, client_id,
		redirect_uri, client_state, code_challenge, provider_data, created_at, expires_at
		FROM sso_flows WHERE id = ?`, id).Scan(&f.ID, &f.OrgID, &typ, &f.BindingHash, &f.ClientID,
		&f.RedirectURI, &f.ClientState, &f.CodeChallenge, &f.ProviderData, &created, &expires)
	if err != nil {
		return nil, fmt.Errorf("read sso flow: %w", storage.MapError(err))
	}
	f.ConfigType = ConfigType(typ)
	f.CreatedAt, f.ExpiresAt = storage.FromMillis(created), storage.FromMillis(expires)
	return &f, nil
}

// ErrConsumed means a flow or code was taken by another request first (a replay or a race).
var ErrConsumed = errors.New("already used")

// ConsumeFlow deletes the flow; exactly one caller succeeds, the others get ErrConsumed.
func (s Store) ConsumeFlow(ctx context.Context, id string) error {
	return s.consume(ctx, `DELETE FROM sso_flows WHERE id = ?`, id)
}

func (s Store) consume(ctx context.Context, q, id string) error {
	res, err := s.q.ExecContext(ctx, q, id)
	if err != nil {
		return fmt.Errorf("consume: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("consume: %w", err)
	}
	if n != 1 {
		return ErrConsumed
	}
	return nil
}

// Code is an authorization code issued to an official client.
type Code struct {
	Hash          string
	UserID        string
	OrgID         string
	ClientID      string
	RedirectURI   string
	CodeChallenge string
	CreatedAt     time.Time
	ExpiresAt     time.Time
}

// InsertCode stores a new code.
func (s Store) InsertCode(ctx context.Context, c Code) error {
	_, err := s.q.ExecContext(ctx, `INSERT INTO sso_codes (code_hash, user_id, organization_id, client_id,
		redirect_uri, code_challenge, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		c.Hash, c.UserID, c.OrgID, c.ClientID, c.RedirectURI, c.CodeChallenge,
		storage.Millis(c.CreatedAt), storage.Millis(c.ExpiresAt))
	if err != nil {
		return fmt.Errorf("insert sso code: %w", storage.MapError(err))
	}
	return nil
}

// TakeCode reads and deletes the code with that hash: it is redeemed at most once, whatever the
// outcome. A code taken by a concurrent request is ErrConsumed, an unknown one storage.ErrNotFound.
func (s Store) TakeCode(ctx context.Context, hash string) (*Code, error) {
	var c Code
	var created, expires int64
	err := s.q.QueryRowContext(ctx, `SELECT code_hash, user_id, organization_id, client_id, redirect_uri,
		code_challenge, created_at, expires_at FROM sso_codes WHERE code_hash = ?`, hash).
		Scan(&c.Hash, &c.UserID, &c.OrgID, &c.ClientID, &c.RedirectURI, &c.CodeChallenge, &created, &expires)
	if err != nil {
		return nil, fmt.Errorf("read sso code: %w", storage.MapError(err))
	}
	if err := s.consume(ctx, `DELETE FROM sso_codes WHERE code_hash = ?`, hash); err != nil {
		return nil, err
	}
	c.CreatedAt, c.ExpiresAt = storage.FromMillis(created), storage.FromMillis(expires)
	return &c, nil
}

// DeleteExpired removes flows, codes and replay records whose time has passed.
func (s Store) DeleteExpired(ctx context.Context, now time.Time) error {
	for _, table := range []string{"sso_flows", "sso_codes", "sso_replay"} {
		if _, err := s.q.ExecContext(ctx, `DELETE FROM `+table+` WHERE expires_at < ?`, storage.Millis(now)); err != nil {
			return fmt.Errorf("delete expired %s: %w", table, err)
		}
	}
	return nil
}

// Seen records a provider's message id (SAML assertion or logout request) for the organization
// until expires and reports whether it was recorded already and is still live. Recording and
// checking are one atomic insert, so two processes never both accept the same id.
func (s Store) Seen(ctx context.Context, orgID, messageID string, expires, now time.Time) (bool, error) {
	h := hashHex(messageID)
	if _, err := s.q.ExecContext(ctx, `DELETE FROM sso_replay WHERE organization_id = ? AND message_hash = ?
		AND expires_at < ?`, orgID, h, storage.Millis(now)); err != nil {
		return false, fmt.Errorf("check replay: %w", err)
	}
	_, err := s.q.ExecContext(ctx, `INSERT INTO sso_replay (organization_id, message_hash, expires_at)
		VALUES (?, ?, ?)`, orgID, h, storage.Millis(expires))
	switch err = storage.MapError(err); {
	case err == nil:
		return false, nil
	case errors.Is(err, storage.ErrConflict):
		return true, nil
	}
	return false, fmt.Errorf("check replay: %w", err)
}

func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }
