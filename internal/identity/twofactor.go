package identity

// Two-factor login is not implemented yet. This file keeps the wire shapes in one place so that the
// password grant can grow the check without guessing them (official-cli.md §4.3).
//
// When a user has two-factor providers and the request carries no valid twoFactorToken and
// twoFactorProvider, the password grant answers 400 with twoFactorRequired. The clients recognise it
// by a non-empty TwoFactorProviders2 object; with --method/--code the CLI repeats the request with
// twoFactorToken, twoFactorProvider and twoFactorRemember. After a "remember" login the token
// response carries TwoFactorToken.

// twoFactorRequired is the 400 body that asks for a second factor.
type twoFactorRequired struct {
	Error                string                `json:"error"`             // "invalid_grant"
	ErrorDescription     string                `json:"error_description"` // "Two factor required."
	TwoFactorProviders   []string              `json:"TwoFactorProviders"`
	TwoFactorProviders2  map[string]any        `json:"TwoFactorProviders2"` // provider type -> data or null
	MasterPasswordPolicy *masterPasswordPolicy `json:"MasterPasswordPolicy,omitempty"`
}

// Two-factor provider types, numbered as on the wire.
const (
	twoFactorAuthenticator = 0
	twoFactorEmail         = 1
)
