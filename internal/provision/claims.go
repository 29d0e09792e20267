package provision

import (
	"errors"
	"fmt"
	"strings"
)

// Claim is one (type, value) pair: an OIDC claim or a SAML attribute value. A multi-valued
// attribute is several claims with the same type.
type Claim struct {
	Type  string
	Value string
}

// Claim types with a fixed meaning.
const (
	// ClaimNameID is the type under which the SAML layer passes the assertion's NameID (the
	// WS-* name identifier, as the official server names it).
	ClaimNameID = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier"
	// NameIDFormatTransient is the SAML NameID format whose values change on every login.
	NameIDFormatTransient = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"
)

// Limits of the stored values (the official SsoUser.ExternalId and User.Email columns).
const (
	MaxExternalIDLen = 300
	MaxEmailLen      = 256
)

// ClaimConfig is the organization's claim configuration (the SSO configuration's additional
// claim types) plus castellan's email trust setting.
type ClaimConfig struct {
	AdditionalUserIDClaimTypes []string
	AdditionalEmailClaimTypes  []string
	AdditionalNameClaimTypes   []string
	// TrustIdPEmails declares that the organization's provider only ever sends addresses it has
	// verified (typically its own directory). It makes an email verified when the provider does
	// not say either way (all of SAML; OIDC without email_verified). An explicit
	// email_verified=false still wins. Off by default.
	TrustIdPEmails bool
}

// EmailStatement is what the provider said about one address: OIDC's email_verified next to an
// email claim in the same document (ID token or userinfo). SAML makes no such statements.
type EmailStatement struct {
	Email    string
	Verified bool
}

// Assertion is what the protocol layer hands over after it has verified the response.
type Assertion struct {
	Claims []Claim
	// NameIDFormat is the SAML format of the ClaimNameID claim; empty for OIDC.
	NameIDFormat string
	// EmailStatements are the provider's email_verified statements, in document order.
	EmailStatements []EmailStatement
}

// VerifiedBy says why an email counts as verified.
type VerifiedBy int

// Reasons an email counts as verified.
const (
	VerifiedByNone VerifiedBy = iota
	// VerifiedByProvider: the provider said email_verified=true for this very address.
	VerifiedByProvider
	// VerifiedByOrgTrust: the organization set TrustIdPEmails and the provider did not deny it.
	VerifiedByOrgTrust
	// VerifiedByClaimedDomain: the address's domain is claimed (verified) by the organization.
	VerifiedByClaimedDomain
)

// String names the reason for logs.
func (v VerifiedBy) String() string {
	switch v {
	case VerifiedByProvider:
		return "provider"
	case VerifiedByOrgTrust:
		return "org_trust"
	case VerifiedByClaimedDomain:
		return "claimed_domain"
	}
	return "none"
}

// Identity is the resolved external identity.
type Identity struct {
	ExternalID string
	// Email is lower-cased; empty when the provider sent no usable address.
	Email string
	Name  string
	// EmailVerified is true iff EmailVerifiedBy is not VerifiedByNone.
	EmailVerified   bool
	EmailVerifiedBy VerifiedBy
}

// DomainClaimed reports whether the organization has claimed (verified) a lower-cased domain.
// Domain claiming arrives with organization domains; until then callers pass nil.
type DomainClaimed func(domain string) bool

// Errors of Resolve.
var (
	ErrNoExternalID      = errors.New("no usable user id claim")
	ErrExternalIDTooLong = fmt.Errorf("user id claim longer than %d characters", MaxExternalIDLen)
)

// Resolve computes the identity from the verified claims, with the official precedence and
// castellan's deviations (doc.go). A missing email is not an error here: Decide refuses the
// paths that need one.
func Resolve(a Assertion, cfg ClaimConfig, claimed DomainClaimed) (Identity, error) {
	claims := usableClaims(a)
	idx := findExternalID(claims, cfg.AdditionalUserIDClaimTypes)
	if idx < 0 {
		return Identity{}, ErrNoExternalID
	}
	externalID := strings.TrimSpace(claims[idx].Value)
	if len(externalID) > MaxExternalIDLen {
		return Identity{}, ErrExternalIDTooLong
	}
	rest := append(claims[:idx:idx], claims[idx+1:]...)
	id := Identity{
		ExternalID: externalID,
		Email:      findEmail(rest, cfg.AdditionalEmailClaimTypes, externalID),
		Name:       findName(rest, cfg.AdditionalNameClaimTypes),
	}
	id.EmailVerifiedBy = verifyEmail(id.Email, a.EmailStatements, cfg.TrustIdPEmails, claimed)
	id.EmailVerified = id.EmailVerifiedBy != VerifiedByNone
	return id, nil
}

// usableClaims drops blank values and, when the NameID is transient, every NameID claim: a
// transient NameID is different on each login, so it can be neither a key nor an address.
func usableClaims(a Assertion) []Claim {
	transient := strings.TrimSpace(a.NameIDFormat) == NameIDFormatTransient
	out := make([]Claim, 0, len(a.Claims))
	for _, c := range a.Claims {
		if strings.TrimSpace(c.Value) == "" {
			continue
		}
		if transient && typeMatches(ClaimNameID, c.Type) {
			continue
		}
		out = append(out, c)
	}
	return out
}

// SplitClaimTypes parses the stored comma-separated claim type list: entries trimmed, blanks
// dropped, order kept.
func SplitClaimTypes(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if p := strings.TrimSpace(part); p != "" {
			out = append(out, p)
		}
	}
	return out
}
