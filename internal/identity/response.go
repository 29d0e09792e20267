package identity

import (
	"github.com/castellan-vault/castellan/internal/accounts"
	"github.com/castellan-vault/castellan/internal/bwcrypto"
)

// tokenResponse is a successful login (official-cli.md §4.3). The OAuth fields are snake_case; the
// Bitwarden fields are PascalCase as the official server writes them. AccountKeys keeps its exact
// camelCase inner names (accounts.AccountKeys).
type tokenResponse struct {
	AccessToken           string                `json:"access_token"`
	ExpiresIn             int                   `json:"expires_in"`
	TokenType             string                `json:"token_type"`
	RefreshToken          string                `json:"refresh_token,omitempty"`
	Scope                 string                `json:"scope"`
	Key                   string                `json:"Key,omitempty"`
	PrivateKey            *string               `json:"PrivateKey"`
	AccountKeys           *accounts.AccountKeys `json:"AccountKeys,omitempty"`
	Kdf                   int                   `json:"Kdf"`
	KdfIterations         int                   `json:"KdfIterations"`
	KdfMemory             *int                  `json:"KdfMemory"`
	KdfParallelism        *int                  `json:"KdfParallelism"`
	ForcePasswordReset    bool                  `json:"ForcePasswordReset"`
	ResetMasterPassword   bool                  `json:"ResetMasterPassword"`
	APIUseKeyConnector    bool                  `json:"ApiUseKeyConnector"`
	MasterPasswordPolicy  masterPasswordPolicy  `json:"MasterPasswordPolicy"`
	UserDecryptionOptions userDecryptionOptions `json:"UserDecryptionOptions"`
	// TwoFactorToken is sent after a two-factor login with "remember" (not implemented yet).
	TwoFactorToken string `json:"TwoFactorToken,omitempty"`
}

// refreshResponse answers the refresh_token grant; the clients keep everything else from the login.
type refreshResponse struct {
	AccessToken  string `json:"access_token"`
	ExpiresIn    int    `json:"expires_in"`
	TokenType    string `json:"token_type"`
	RefreshToken string `json:"refresh_token"`
	Scope        string `json:"scope"`
}

// masterPasswordPolicy is the organizations' master password policy of a login. castellan sends the
// bare object on purpose, while it has no route to change a master password (POST
// /api/accounts/password): the clients' password login evaluates the password against this object
// when it says EnforceOnLogin, or whenever the web vault logs in from an organization invitation
// (it then combines this object with the invited organization's policy), and a weak password then
// forces a password change (the CLI logs the user out and sends them to the web vault). Filling it
// in would lock such users out; members still receive the policies in sync.
type masterPasswordPolicy struct {
	Object string `json:"Object"`
}

// userDecryptionOptions tells the client how it may unlock. TrustedDeviceOption and
// KeyConnectorOption (exact PascalCase names: the clients test them literally) come with SSO.
type userDecryptionOptions struct {
	HasMasterPassword    bool                  `json:"HasMasterPassword"`
	MasterPasswordUnlock *masterPasswordUnlock `json:"MasterPasswordUnlock"`
	Object               string                `json:"Object"`
}

type masterPasswordUnlock struct {
	Kdf                       kdfObject `json:"Kdf"`
	MasterKeyEncryptedUserKey string    `json:"MasterKeyEncryptedUserKey"`
	MasterKeyWrappedUserKey   string    `json:"MasterKeyWrappedUserKey"`
	Salt                      string    `json:"Salt"`
}

type kdfObject struct {
	KdfType     int  `json:"KdfType"`
	Iterations  int  `json:"Iterations"`
	Memory      *int `json:"Memory"`
	Parallelism *int `json:"Parallelism"`
}

// loginResponse fills the Bitwarden part of a token response from the user.
func loginResponse(u *accounts.User) tokenResponse {
	k := accounts.NewKDFResponse(u.KDF)
	r := tokenResponse{
		Key: u.Key, AccountKeys: u.Keys(), Kdf: k.KdfType, KdfIterations: k.Iterations,
		KdfMemory: k.Memory, KdfParallelism: k.Parallelism, ForcePasswordReset: u.ForcePasswordReset,
		ResetMasterPassword:   !u.HasMasterPassword(),
		MasterPasswordPolicy:  masterPasswordPolicy{Object: "masterPasswordPolicy"},
		UserDecryptionOptions: userDecryptionOptions{HasMasterPassword: u.HasMasterPassword(), Object: "userDecryptionOptions"},
	}
	if u.PrivateKey != "" {
		r.PrivateKey = &u.PrivateKey
	}
	if u.HasMasterPassword() && u.Key != "" {
		r.UserDecryptionOptions.MasterPasswordUnlock = &masterPasswordUnlock{
			Kdf:                       kdfObject{KdfType: k.KdfType, Iterations: k.Iterations, Memory: k.Memory, Parallelism: k.Parallelism},
			MasterKeyEncryptedUserKey: u.Key, MasterKeyWrappedUserKey: u.Key,
			Salt: bwcrypto.NormalizeSalt(u.Email),
		}
	}
	return r
}
