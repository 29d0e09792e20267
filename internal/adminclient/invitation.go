package adminclient

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/castellan-vault/castellan/internal/bwcrypto"
)

// InviteLink is what the Join link of an organization invitation carries.
type InviteLink struct {
	OrganizationID   string `json:"organizationId"`
	MemberID         string `json:"organizationUserId"`
	Email            string `json:"email"`
	OrganizationName string `json:"organizationName"`
	Token            string `json:"-"`
	// ExistingUser is orgUserHasExistingUser: the address had an account when it was invited.
	ExistingUser bool `json:"orgUserHasExistingUser"`
	// SSOIdentifier is orgSsoIdentifier, set when the organization requires single sign-on.
	SSOIdentifier string `json:"orgSsoIdentifier,omitempty"`
}

// ParseInviteLink reads the Join link of an invitation e-mail
// (<server>/#/accept-organization?organizationId=..&organizationUserId=..&email=..&token=..), or
// its bare query.
func ParseInviteLink(link string) (InviteLink, error) {
	q, err := linkQuery(link, "accept-organization")
	if err != nil {
		return InviteLink{}, fmt.Errorf("invitation link: %w", err)
	}
	inv := InviteLink{OrganizationID: q.Get("organizationId"), MemberID: q.Get("organizationUserId"),
		Email: strings.TrimSpace(q.Get("email")), OrganizationName: q.Get("organizationName"),
		Token: q.Get("token"), ExistingUser: q.Get("orgUserHasExistingUser") == "true",
		SSOIdentifier: q.Get("orgSsoIdentifier")}
	if inv.OrganizationID == "" || inv.MemberID == "" || inv.Email == "" || inv.Token == "" {
		return InviteLink{}, errors.New("invitation link: it lacks organizationId, organizationUserId, email " +
			"or token; copy the whole Join link from the e-mail")
	}
	if q.Get("initOrganization") == "true" {
		return InviteLink{}, errors.New("invitation link: it asks to set up a new organization, " +
			"which castellan does not support")
	}
	return inv, nil
}

// Accepted is the outcome of AcceptInvitation.
type Accepted struct {
	OrganizationID   string `json:"organizationId"`
	OrganizationName string `json:"organizationName"`
	MemberID         string `json:"memberId"`
	// RecoveryEnrolled is true when the organization's account recovery policy enrolled the account
	// automatically: its user key went to the server encrypted to the organization's public key.
	RecoveryEnrolled bool `json:"accountRecoveryEnrolled"`
	// PolicyWarnings list the organization's master password rules the password does not meet.
	PolicyWarnings []string `json:"masterPasswordPolicyWarnings,omitempty"`
}

// AcceptInvitation accepts an invitation as the logged-in account, as the web vault does: it reads
// the organization's policies with the invitation's token, enrols in account recovery when the
// organization requires it (the user key encrypted to the organization's public key, sent with the
// acceptance), then posts the acceptance. password is the master password, checked against the
// organization's master password rules only to warn.
func (c *Client) AcceptInvitation(ctx context.Context, inv InviteLink, password string) (Accepted, error) {
	if err := c.requireLogin(); err != nil {
		return Accepted{}, err
	}
	if !strings.EqualFold(inv.Email, c.Email()) {
		return Accepted{}, fmt.Errorf("accept invitation: it is for %s, but you are logged in as %s",
			inv.Email, c.Email())
	}
	out := Accepted{OrganizationID: inv.OrganizationID, OrganizationName: inv.OrganizationName,
		MemberID: inv.MemberID}
	// A token the server does not take makes this list empty; the acceptance then gets the server's
	// own message (expired or invalid).
	policies, _ := c.InvitationPolicies(ctx, inv)
	body := map[string]string{"token": inv.Token}
	for _, p := range policies {
		switch {
		case p.Type == PolicyResetPassword && p.Enabled && p.Data["autoEnrollEnabled"] == true:
			key, err := c.recoveryKey(ctx, inv.OrganizationID)
			if err != nil {
				return Accepted{}, err
			}
			body["resetPasswordKey"], out.RecoveryEnrolled = key, true
		case p.Type == PolicyMasterPassword && p.Enabled:
			out.PolicyWarnings = masterPasswordShortfalls(p.Data, password)
		}
	}
	if err := c.call(ctx, http.MethodPost, orgPath(inv.OrganizationID, "users", inv.MemberID, "accept"), body,
		nil); err != nil {
		return Accepted{}, fmt.Errorf("accept invitation: %w", err)
	}
	c.profile = nil
	return out, nil
}

// InvitationPolicies reads the enabled policies of the organization an invitation is for
// (GET .../policies/token, which needs no login: the token stands in for it).
func (c *Client) InvitationPolicies(ctx context.Context, inv InviteLink) ([]Policy, error) {
	q := url.Values{"email": {inv.Email}, "token": {inv.Token}, "organizationUserId": {inv.MemberID}}
	ps, err := getList[Policy](ctx, c, orgPath(inv.OrganizationID, "policies", "token")+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("read the organization's policies: %w", err)
	}
	return ps, nil
}

// recoveryKey encrypts the account's user key to the organization's public key, for account
// recovery ("4."), as the web vault does when it accepts with automatic enrolment.
func (c *Client) recoveryKey(ctx context.Context, orgID string) (string, error) {
	var k struct {
		PublicKey string `json:"publicKey"`
	}
	if err := c.call(ctx, http.MethodGet, orgPath(orgID, "public-key"), nil, &k); err != nil {
		return "", fmt.Errorf("accept invitation: read the organization's public key for account recovery: %w",
			err)
	}
	key, err := bwcrypto.ShareKey(c.rand, c.account.UserKey, k.PublicKey)
	if err != nil {
		return "", fmt.Errorf("accept invitation: encrypt the account recovery key: %w", err)
	}
	return key, nil
}

// masterPasswordShortfalls lists the rules of a master password policy that password breaks. The
// strength score (minComplexity, zxcvbn in the clients) is not computed here.
func masterPasswordShortfalls(data map[string]any, password string) []string {
	var out []string
	if n, ok := data["minLength"].(float64); ok && utf8.RuneCountInString(password) < int(n) {
		out = append(out, fmt.Sprintf("at least %d characters", int(n)))
	}
	classes := []struct {
		key, text string
		has       func(rune) bool
	}{
		{"requireUpper", "an upper-case letter", unicode.IsUpper},
		{"requireLower", "a lower-case letter", unicode.IsLower},
		{"requireNumbers", "a digit", unicode.IsDigit},
		{"requireSpecial", "one of !@#$%^&*", func(r rune) bool { return strings.ContainsRune("!@#$%^&*", r) }},
	}
	for _, cl := range classes {
		if data[cl.key] == true && strings.IndexFunc(password, cl.has) < 0 {
			out = append(out, cl.text)
		}
	}
	return out
}
