package sso

import (
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/castellan-vault/castellan/internal/httpx"
	"github.com/castellan-vault/castellan/internal/oidcrp"
	"github.com/castellan-vault/castellan/internal/provision"
	"github.com/castellan-vault/castellan/internal/samlsp"
	"github.com/castellan-vault/castellan/internal/secret"
)

// ConfigType is the official SsoType: which protocol an organization signs in with.
type ConfigType int

// Configuration types (official values).
const (
	ConfigOIDC ConfigType = 1
	ConfigSAML ConfigType = 2
)

// Member decryption types (official MemberDecryptionType). castellan supports the master
// password for now.
const (
	DecryptMasterPassword = 0
	DecryptKeyConnector   = 1
	DecryptTrustedDevices = 2
)

// Data is an organization's SSO configuration: the official SsoConfigurationData (stored and sent
// camelCase, enums as numbers) and castellan's own settings. The OIDC client secret is not part of
// it: it is written through the request and kept sealed apart (Config.ClientSecret), and never sent
// back.
type Data struct {
	ConfigType           ConfigType `json:"configType"`
	MemberDecryptionType int        `json:"memberDecryptionType"`
	KeyConnectorEnabled  bool       `json:"keyConnectorEnabled"`
	KeyConnectorURL      string     `json:"keyConnectorUrl"`

	// OpenID Connect.
	Authority                     string `json:"authority"`
	ClientID                      string `json:"clientId"`
	MetadataAddress               string `json:"metadataAddress"`
	RedirectBehavior              int    `json:"redirectBehavior"`
	GetClaimsFromUserInfoEndpoint bool   `json:"getClaimsFromUserInfoEndpoint"`
	AdditionalScopes              string `json:"additionalScopes"`
	AdditionalUserIDClaimTypes    string `json:"additionalUserIdClaimTypes"`
	AdditionalEmailClaimTypes     string `json:"additionalEmailClaimTypes"`
	AdditionalNameClaimTypes      string `json:"additionalNameClaimTypes"`
	AcrValues                     string `json:"acrValues"`
	ExpectedReturnAcrValue        string `json:"expectedReturnAcrValue"`

	// SAML 2.0, with the official names (samlsp validates them).
	samlsp.Config

	// TrustIdPEmails is castellan's: the provider only emits addresses it has verified, so an email
	// it does not call unverified counts as verified (provision.ClaimConfig.TrustIdPEmails).
	TrustIdPEmails bool `json:"trustIdPEmails"`
	// RelinkChangedSubject is castellan's: a member whose provider presents a new subject for the
	// same verified email replaces the stale link (the official behaviour); off, it is refused
	// (provision.Org.RelinkChangedSubject).
	RelinkChangedSubject bool `json:"relinkChangedSubject"`
}

// Config is an organization's stored SSO configuration.
type Config struct {
	OrgID        string
	Enabled      bool
	Data         Data
	ClientSecret secret.String
	// Revision grows with every save; the relying parties key their provider caches by it.
	Revision     int64
	CreatedAt    time.Time
	RevisionDate time.Time
}

// OIDC returns the relying party's view of the configuration.
func (c *Config) OIDC() oidcrp.Config {
	d := c.Data
	return oidcrp.Config{
		OrgID: c.OrgID, Revision: fmt.Sprint(c.Revision), Authority: d.Authority, ClientID: d.ClientID,
		ClientSecret: c.ClientSecret, MetadataAddress: d.MetadataAddress,
		RedirectBehavior: oidcrp.RedirectBehavior(d.RedirectBehavior), GetClaimsFromUserInfo: d.GetClaimsFromUserInfoEndpoint,
		AdditionalScopes: oidcrp.SplitList(d.AdditionalScopes), AcrValues: strings.TrimSpace(d.AcrValues),
		ExpectedACR: strings.TrimSpace(d.ExpectedReturnAcrValue),
	}
}

// Claims returns the claim settings provisioning resolves the identity with.
func (c *Config) Claims() provision.ClaimConfig {
	d := c.Data
	return provision.ClaimConfig{
		AdditionalUserIDClaimTypes: provision.SplitClaimTypes(d.AdditionalUserIDClaimTypes),
		AdditionalEmailClaimTypes:  provision.SplitClaimTypes(d.AdditionalEmailClaimTypes),
		AdditionalNameClaimTypes:   provision.SplitClaimTypes(d.AdditionalNameClaimTypes),
		TrustIdPEmails:             d.TrustIdPEmails,
	}
}

// Limits of the configuration fields.
const (
	maxIdentifierLen = 50
	maxURLLen        = 2048
	maxFieldLen      = 1024
	maxSecretLen     = 4096
)

// validationErrors collects per-field messages for the official error body.
type validationErrors map[string][]string

// add records msg under the official key of a configuration field: its property path in the
// request, Data.Authority for the field authority.
func (v validationErrors) add(field, msg string) {
	key := "Data." + httpx.FieldName(field)
	v[key] = append(v[key], msg)
}

// normalize trims the text fields and applies the official request rules: keyConnectorEnabled
// true means memberDecryptionType 1.
func (d *Data) normalize() {
	for _, p := range []*string{&d.KeyConnectorURL, &d.Authority, &d.ClientID, &d.MetadataAddress,
		&d.AdditionalScopes, &d.AdditionalUserIDClaimTypes, &d.AdditionalEmailClaimTypes,
		&d.AdditionalNameClaimTypes, &d.AcrValues, &d.ExpectedReturnAcrValue} {
		*p = strings.TrimSpace(*p)
	}
	if d.KeyConnectorEnabled {
		d.MemberDecryptionType = DecryptKeyConnector
	}
	if d.ConfigType == ConfigSAML {
		d.Config.Normalize()
	}
}

// validate checks a configuration about to be saved; secret is the client secret it will have.
func (d *Data) validate(enabled bool, secret string) validationErrors {
	v := validationErrors{}
	switch d.MemberDecryptionType {
	case DecryptMasterPassword:
	case DecryptKeyConnector, DecryptTrustedDevices:
		v.add("memberDecryptionType", "castellan supports master password decryption only for now.")
	default:
		v.add("memberDecryptionType", "The member decryption type must be 0, 1 or 2.")
	}
	switch d.ConfigType {
	case ConfigOIDC:
		d.validateOIDC(v, secret)
	case ConfigSAML:
		for field, msgs := range d.Config.Validate() {
			for _, m := range msgs {
				v.add(field, m)
			}
		}
	default:
		if enabled {
			v.add("configType", "The configuration type must be 1 (OpenID Connect) or 2 (SAML 2.0).")
		}
	}
	return v
}

func (d *Data) validateOIDC(v validationErrors, secret string) {
	if msg := providerURLProblem(d.Authority); msg != "" {
		v.add("authority", "The authority "+msg)
	}
	if d.MetadataAddress != "" {
		if msg := providerURLProblem(d.MetadataAddress); msg != "" {
			v.add("metadataAddress", "The metadata address "+msg)
		}
	}
	switch {
	case d.ClientID == "":
		v.add("clientId", "The client ID is required.")
	case httpx.TextLen(d.ClientID) > maxFieldLen || strings.ContainsFunc(d.ClientID, unicode.IsControl):
		v.add("clientId", "The client ID is too long or holds control characters.")
	}
	switch {
	case secret == "":
		v.add("clientSecret", "The client secret is required.")
	case httpx.TextLen(secret) > maxSecretLen:
		v.add("clientSecret", "The client secret is too long.")
	}
	if d.RedirectBehavior != int(oidcrp.RedirectGet) && d.RedirectBehavior != int(oidcrp.RedirectFormPost) {
		v.add("redirectBehavior", "The redirect behavior must be 0 (redirect) or 1 (form post).")
	}
	for field, val := range map[string]string{"additionalUserIdClaimTypes": d.AdditionalUserIDClaimTypes,
		"additionalEmailClaimTypes": d.AdditionalEmailClaimTypes, "additionalNameClaimTypes": d.AdditionalNameClaimTypes,
		"acrValues": d.AcrValues, "expectedReturnAcrValue": d.ExpectedReturnAcrValue,
		"additionalScopes": d.AdditionalScopes} {
		if httpx.TextLen(val) > maxFieldLen || strings.ContainsFunc(val, unicode.IsControl) {
			v.add(field, "The value is too long or holds control characters.")
		}
	}
	for _, s := range oidcrp.SplitList(d.AdditionalScopes) {
		if !isScopeToken(s) {
			v.add("additionalScopes", "Scopes are separated by commas; each is printable ASCII without spaces, "+
				"double quotes or backslashes (RFC 6749 section 3.3).")
			break
		}
	}
	// acr_values is a space-separated list (OpenID Connect Core 3.1.2.1); the expected value is one
	// of them, compared with the ID token's acr claim.
	for _, s := range strings.Fields(d.AcrValues) {
		if !isScopeToken(s) {
			v.add("acrValues", "ACR values are separated by spaces; each is printable ASCII without double "+
				"quotes or backslashes.")
			break
		}
	}
	if e := d.ExpectedReturnAcrValue; e != "" && !isScopeToken(e) {
		v.add("expectedReturnAcrValue", "The expected ACR value is one value of printable ASCII without spaces, "+
			"double quotes or backslashes.")
	}
}

// isScopeToken reports whether s is an RFC 6749 scope-token (section 3.3): one or more of %x21,
// %x23-5B and %x5D-7E, that is printable ASCII without space, double quote and backslash. A scope
// travels in the authorization request to the provider and is shown back to administrators.
func isScopeToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// providerURLProblem accepts an absolute https URL without credentials or fragment, and http only
// for a loopback host (development and test providers). It returns what is wrong, or "".
func providerURLProblem(raw string) string {
	if raw == "" {
		return "is required."
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil || httpx.TextLen(raw) > maxURLLen:
		return "is not a URL."
	case u.User != nil || u.Fragment != "" || u.Host == "":
		return "must be an absolute URL without credentials or fragment."
	case u.Scheme == "https":
		return ""
	case u.Scheme == "http" && isLoopback(u.Hostname()):
		return ""
	}
	return "must use https."
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// checkIdentifier checks an SSO identifier: at most 50 characters, no spaces or control characters
// (it travels in URLs and in the clients' state), required when SSO is enabled.
func checkIdentifier(id string, enabled bool) string {
	switch {
	case id == "" && enabled:
		return "The SSO identifier is required to enable single sign-on."
	case httpx.TextLen(id) > maxIdentifierLen:
		return fmt.Sprintf("The SSO identifier must be at most %d characters.", maxIdentifierLen)
	case strings.ContainsFunc(id, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }):
		return "The SSO identifier must not hold spaces or control characters."
	}
	return ""
}

// checkNewIdentifier is checkIdentifier for an identifier an administrator sets: it also keeps to
// letters, digits, '-', '_' and '.', not first, so that the identifier stays one plain segment in
// the URLs and query strings that carry it (no "?", "/", "%" or "..").
func checkNewIdentifier(id string, enabled bool) string {
	if msg := checkIdentifier(id, enabled); msg != "" {
		return msg
	}
	for i, r := range id {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' ||
			r == '.' && i > 0
		if !ok {
			return "The SSO identifier may hold only letters (a-z, A-Z), digits, '-', '_' and '.', " +
				"and must not start with '.'."
		}
	}
	return ""
}
