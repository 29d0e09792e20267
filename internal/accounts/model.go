package accounts

import (
	"time"

	"github.com/castellan-vault/castellan/internal/bwcrypto"
)

// User is an account as stored. String fields that hold client-encrypted values (Key, PrivateKey)
// are opaque EncStrings: the server checks their form, never their content.
type User struct {
	ID            string // lower-case GUID
	Email         string // trimmed and lower-cased; also the KDF salt
	Name          string
	EmailVerified bool
	// PasswordHash is the server's hash of the client's master password hash (see password.go), or
	// "" for a user without a master password (created through SSO, not set yet).
	PasswordHash string
	Hint         string
	KDF          bwcrypto.KDF
	// Key is the user key wrapped by the stretched master key ("2." EncString), or "".
	Key string
	// PublicKey is the base64 DER SubjectPublicKeyInfo of the user's RSA key, or "".
	PublicKey string
	// PrivateKey is the PKCS#8 private key wrapped by the user key ("2." EncString), or "".
	PrivateKey string
	// SecurityStamp changes whenever the user's credentials change; access and refresh tokens carry
	// the stamp they were issued under and die when it changes.
	SecurityStamp string
	// APIKey is the client secret of the user's API key (client_id "user.<id>").
	APIKey              string
	Culture             string
	AvatarColor         string
	Premium             bool
	ForcePasswordReset  bool
	CreatedAt           time.Time
	RevisionDate        time.Time // the user row itself changed
	AccountRevisionDate time.Time // anything in the user's vault changed; clients poll it
}

// HasMasterPassword reports whether the user can log in with a master password.
func (u *User) HasMasterPassword() bool { return u.PasswordHash != "" }

// Device is a client installation a user logged in from.
type Device struct {
	ID         string // server-side GUID
	UserID     string
	Identifier string // the client's own device identifier (deviceIdentifier)
	Type       int    // Bitwarden device type (25 = Linux CLI, 9 = web vault, ...)
	Name       string
	CreatedAt  time.Time
	LastSeenAt time.Time
}
