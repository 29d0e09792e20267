package oidcrp

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"

	"github.com/castellan-vault/castellan/internal/secret"
)

// RedirectBehavior is how the browser is sent to the provider's authorization endpoint, with the
// official numeric values (ASP.NET's OpenIdConnectRedirectBehavior).
type RedirectBehavior int

// Redirect behaviours.
const (
	// RedirectGet sends a 302 to the authorization URL.
	RedirectGet RedirectBehavior = 0
	// RedirectFormPost serves an auto-submitting HTML form that POSTs the request, for providers
	// or request sizes where a long URL is a problem.
	RedirectFormPost RedirectBehavior = 1
)

// Config is one organization's OpenID Connect configuration (the OIDC fields of the official
// SSO configuration).
type Config struct {
	// OrgID and Revision identify the configuration version; together with the addresses they
	// key the provider cache, so saving a new configuration starts a new discovery.
	OrgID    string
	Revision string
	// Authority is the provider's issuer URL; discovery is at Authority/.well-known/openid-configuration.
	Authority    string
	ClientID     string
	ClientSecret secret.String
	// MetadataAddress, when set, is the discovery document's address instead. The issuer named
	// in that document is then the one ID tokens must carry (it may differ from Authority, as
	// with Azure AD B2C).
	MetadataAddress       string
	RedirectBehavior      RedirectBehavior
	GetClaimsFromUserInfo bool
	// AdditionalScopes are requested next to openid, email and profile.
	AdditionalScopes []string
	// AcrValues is sent as acr_values (space-separated) when not empty.
	AcrValues string
	// ExpectedACR, when set, must equal the ID token's acr claim exactly.
	ExpectedACR string
}

var errConfig = errors.New("invalid oidc configuration")

// Validate checks the configuration. Its error names the field, never a value.
func (c Config) Validate() error {
	if err := checkProviderURL(c.Authority); err != nil {
		return newError(KindConfig, fmt.Errorf("%w: authority: %w", errConfig, err))
	}
	if c.MetadataAddress != "" {
		if err := checkProviderURL(c.MetadataAddress); err != nil {
			return newError(KindConfig, fmt.Errorf("%w: metadata address: %w", errConfig, err))
		}
	}
	switch {
	case strings.TrimSpace(c.ClientID) == "":
		return errorf(KindConfig, "%w: client id is empty", errConfig)
	case c.ClientSecret.IsZero():
		return errorf(KindConfig, "%w: client secret is empty", errConfig)
	case c.RedirectBehavior != RedirectGet && c.RedirectBehavior != RedirectFormPost:
		return errorf(KindConfig, "%w: unknown redirect behavior %d", errConfig, c.RedirectBehavior)
	}
	for _, s := range c.AdditionalScopes {
		if s == "" || strings.ContainsFunc(s, isSpaceOrControl) {
			return errorf(KindConfig, "%w: additional scope is blank or contains spaces", errConfig)
		}
	}
	return nil
}

func isSpaceOrControl(r rune) bool { return r <= ' ' || r == 0x7f }

// checkProviderURL accepts absolute https URLs, and http only for loopback hosts (development
// and test providers), without credentials or fragment.
func checkProviderURL(raw string) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil || raw == "":
		return errors.New("not a URL")
	case u.User != nil || u.Fragment != "" || u.Host == "":
		return errors.New("must be an absolute URL without credentials or fragment")
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && isLoopback(u.Hostname()):
		return nil
	}
	return errors.New("must use https")
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Scopes returns openid, email and profile followed by the additional scopes, without duplicates.
func (c Config) Scopes() []string {
	out := []string{"openid", "email", "profile"}
	for _, s := range c.AdditionalScopes {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// SplitList parses a stored comma-separated list (the official AdditionalScopes format): entries
// trimmed, blanks dropped.
func SplitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if p := strings.TrimSpace(part); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func (c Config) cacheKey() string {
	return strings.Join([]string{c.OrgID, c.Revision, c.Authority, c.MetadataAddress}, "\x00")
}
