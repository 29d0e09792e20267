package accounts

import (
	"context"
	"fmt"
	"time"

	"github.com/castellan-vault/castellan/internal/bwcrypto"
	"github.com/castellan-vault/castellan/internal/httpx"
)

// ProfileResponse is the user's profile as /api/accounts/profile and /api/sync ("profile") send it.
// The clients read these names case-insensitively; castellan writes camelCase like the official
// server, except inside AccountKeys, whose names the clients match exactly.
type ProfileResponse struct {
	ID                      string       `json:"id"`
	Name                    *string      `json:"name"`
	Email                   string       `json:"email"`
	EmailVerified           bool         `json:"emailVerified"`
	Premium                 bool         `json:"premium"`
	PremiumFromOrganization bool         `json:"premiumFromOrganization"`
	Culture                 string       `json:"culture"`
	TwoFactorEnabled        bool         `json:"twoFactorEnabled"`
	Key                     *string      `json:"key"`
	PrivateKey              *string      `json:"privateKey"`
	AccountKeys             *AccountKeys `json:"accountKeys"`
	SecurityStamp           string       `json:"securityStamp"`
	ForcePasswordReset      bool         `json:"forcePasswordReset"`
	UsesKeyConnector        bool         `json:"usesKeyConnector"`
	AvatarColor             *string      `json:"avatarColor"`
	CreationDate            time.Time    `json:"creationDate"`
	// VerifyDevices is off: new-device e-mail verification needs mail, and the CLI can only answer
	// it interactively.
	VerifyDevices bool `json:"verifyDevices"`
	// Organizations lists confirmed memberships (ProfileOrganization objects, issue 4).
	Organizations         []any  `json:"organizations"`
	Providers             []any  `json:"providers"`
	ProviderOrganizations []any  `json:"providerOrganizations"`
	Object                string `json:"object"`
}

// AccountKeys is the account's key material in the shape of "AccountKeys" (token response) and
// "accountKeys" (profile). The clients match the inner names exactly, so they are fixed here. castellan
// has V1 accounts only: SignatureKeyPair and SecurityState are always null.
type AccountKeys struct {
	PublicKeyEncryptionKeyPair PublicKeyEncryptionKeyPair `json:"publicKeyEncryptionKeyPair"`
	SignatureKeyPair           any                        `json:"signatureKeyPair"`
	SecurityState              any                        `json:"securityState"`
	Object                     string                     `json:"object"`
}

// PublicKeyEncryptionKeyPair is the user's RSA key pair: the public key and the private key wrapped
// by the user key.
type PublicKeyEncryptionKeyPair struct {
	WrappedPrivateKey string  `json:"wrappedPrivateKey"`
	PublicKey         string  `json:"publicKey"`
	SignedPublicKey   *string `json:"signedPublicKey"`
	Object            string  `json:"object"`
}

// Keys returns the user's AccountKeys, or nil when the user has no key pair yet.
func (u *User) Keys() *AccountKeys {
	if u.PrivateKey == "" || u.PublicKey == "" {
		return nil
	}
	return &AccountKeys{
		PublicKeyEncryptionKeyPair: PublicKeyEncryptionKeyPair{
			WrappedPrivateKey: u.PrivateKey, PublicKey: u.PublicKey, Object: "publicKeyEncryptionKeyPair",
		},
		Object: "privateKeys",
	}
}

// UserDecryptionResponse is "userDecryption" of /api/sync: what a client needs to unlock the vault.
// Sync overwrites the client's stored unlock data with it.
type UserDecryptionResponse struct {
	// MasterPasswordUnlock is nil for a user without a master password.
	MasterPasswordUnlock *MasterPasswordUnlockResponse `json:"masterPasswordUnlock"`
}

// MasterPasswordUnlockResponse is how to turn the master password into the user key: the KDF, its
// salt (the normalised e-mail address, exactly as the client must use it) and the wrapped user key.
// The wrapped key is sent under both names the clients know.
type MasterPasswordUnlockResponse struct {
	Kdf                       KDFResponse `json:"kdf"`
	MasterKeyEncryptedUserKey string      `json:"masterKeyEncryptedUserKey"`
	MasterKeyWrappedUserKey   string      `json:"masterKeyWrappedUserKey"`
	Salt                      string      `json:"salt"`
}

// KDFResponse is a KDF as the unlock data spells it. Memory and Parallelism are null for PBKDF2.
type KDFResponse struct {
	KdfType     int  `json:"kdfType"`
	Iterations  int  `json:"iterations"`
	Memory      *int `json:"memory"`
	Parallelism *int `json:"parallelism"`
}

// NewKDFResponse spells k for the unlock data.
func NewKDFResponse(k bwcrypto.KDF) KDFResponse {
	r := KDFResponse{KdfType: int(k.Kind), Iterations: k.Iterations}
	if k.Kind == bwcrypto.KDFArgon2id {
		mem, par := k.MemoryMiB, k.Parallelism
		r.Memory, r.Parallelism = &mem, &par
	}
	return r
}

// Decryption returns the user's unlock data for sync.
func (u *User) Decryption() UserDecryptionResponse {
	if !u.HasMasterPassword() || u.Key == "" {
		return UserDecryptionResponse{}
	}
	return UserDecryptionResponse{MasterPasswordUnlock: &MasterPasswordUnlockResponse{
		Kdf: NewKDFResponse(u.KDF), MasterKeyEncryptedUserKey: u.Key, MasterKeyWrappedUserKey: u.Key,
		Salt: bwcrypto.NormalizeSalt(u.Email),
	}}
}

// SyncProfile builds the "profile" and "userDecryption" parts of /api/sync for a user. The vault
// concern calls it; a missing user is an error wrapping storage.ErrNotFound.
func (s *Service) SyncProfile(ctx context.Context, userID string) (ProfileResponse, UserDecryptionResponse, error) {
	u, err := s.store.UserByID(ctx, userID)
	if err != nil {
		return ProfileResponse{}, UserDecryptionResponse{}, err
	}
	p, err := s.profile(ctx, u)
	if err != nil {
		return ProfileResponse{}, UserDecryptionResponse{}, err
	}
	return p, u.Decryption(), nil
}

// profile renders a user's profile, with the organization memberships when that hook is set.
func (s *Service) profile(ctx context.Context, u *User) (ProfileResponse, error) {
	orgs := []any{}
	if s.ProfileOrganizations != nil {
		list, err := s.ProfileOrganizations(ctx, u.ID)
		if err != nil {
			return ProfileResponse{}, fmt.Errorf("list profile organizations: %w", err)
		}
		orgs = append(orgs, list...)
	}
	return ProfileResponse{
		ID: u.ID, Name: optional(u.Name), Email: u.Email, EmailVerified: u.EmailVerified,
		Premium: u.Premium, Culture: u.Culture, Key: optional(u.Key), PrivateKey: optional(u.PrivateKey),
		AccountKeys: u.Keys(), SecurityStamp: u.SecurityStamp, ForcePasswordReset: u.ForcePasswordReset,
		AvatarColor: optional(u.AvatarColor), CreationDate: u.CreatedAt,
		Organizations: orgs, Providers: []any{}, ProviderOrganizations: []any{}, Object: "profile",
	}, nil
}

// ProfileUpdate is the body of PUT /api/accounts/profile.
type ProfileUpdate struct {
	Name               *string `json:"name"`
	MasterPasswordHint *string `json:"masterPasswordHint"`
	Culture            *string `json:"culture"`
}

// UpdateProfile changes the name, hint and culture; a field left out keeps its value.
func (s *Service) UpdateProfile(ctx context.Context, userID string, p ProfileUpdate) (ProfileResponse, error) {
	u, err := s.store.UserByID(ctx, userID)
	if err != nil {
		return ProfileResponse{}, err
	}
	if p.Name != nil {
		u.Name = *p.Name
	}
	if p.MasterPasswordHint != nil {
		u.Hint = *p.MasterPasswordHint
	}
	if p.Culture != nil {
		u.Culture = *p.Culture
	}
	switch {
	case httpx.TextLen(u.Name) > maxNameLen:
		return ProfileResponse{}, httpx.Invalid("Name", fmt.Sprintf("The Name field must be at most %d characters.", maxNameLen))
	case httpx.TextLen(u.Hint) > maxHintLen:
		return ProfileResponse{}, httpx.Invalid("MasterPasswordHint",
			fmt.Sprintf("The MasterPasswordHint field must be at most %d characters.", maxHintLen))
	case u.Culture == "" || len(u.Culture) > 32:
		return ProfileResponse{}, httpx.Invalid("Culture", "The Culture field is not a valid culture name.")
	}
	now := s.clock.Now()
	if err := s.store.UpdateProfile(ctx, userID, u.Name, u.Hint, u.Culture, now); err != nil {
		return ProfileResponse{}, err
	}
	u.RevisionDate = now
	return s.profile(ctx, u)
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
