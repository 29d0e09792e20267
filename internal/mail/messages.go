package mail

import (
	"fmt"
	netmail "net/mail"
	"strconv"
	"time"

	"github.com/castellan-vault/castellan/internal/secret"
)

// InviteData is what the organization invitation needs.
type InviteData struct {
	PublicURL          string // castellan's public origin, which serves the web vault
	OrganizationID     string
	OrganizationUserID string // the membership row the token is bound to
	OrganizationName   string
	Email              string // the invitee, also the message's recipient
	Token              secret.String
	// UserExists is sent as orgUserHasExistingUser: the client then offers to log in rather than to
	// create an account.
	UserExists bool
	// UsesSSO adds the "Finish account setup" link into the organization's SSO login. With
	// RequireSSO as well (the Require SSO policy is on), the Join link carries orgSsoIdentifier so
	// that the client goes straight to SSO.
	UsesSSO       bool
	RequireSSO    bool
	SSOIdentifier string
	ExpiresAt     time.Time // when the token expires; zero leaves it out of the text
}

// AcceptInviteURL is the Join link: the web vault's accept-organization route with the query the
// official clients read (bitwarden-behavior.md §3.1), in the official order.
func AcceptInviteURL(d InviteData) (string, error) {
	base, err := origin(d.PublicURL)
	if err != nil {
		return "", err
	}
	if d.OrganizationID == "" || d.OrganizationUserID == "" || d.Email == "" || d.Token.IsZero() {
		return "", fmt.Errorf("%w: invitation needs organization, membership, email and token",
			ErrMissingInput)
	}
	if d.UsesSSO && d.SSOIdentifier == "" {
		return "", fmt.Errorf("%w: an organization that uses SSO needs its SSO identifier", ErrMissingInput)
	}
	pairs := []string{
		"organizationId", d.OrganizationID,
		"organizationUserId", d.OrganizationUserID,
		"email", d.Email,
		"organizationName", d.OrganizationName,
		"token", d.Token.Reveal(),
		"initOrganization", "false",
		"orgUserHasExistingUser", strconv.FormatBool(d.UserExists),
	}
	if d.UsesSSO && d.RequireSSO {
		pairs = append(pairs, "orgSsoIdentifier", d.SSOIdentifier)
	}
	return hashRoute(base, "accept-organization", pairs...), nil
}

// SSOLoginURL is the web vault's SSO login page for an organization, with the email filled in:
// <publicURL>/#/sso?identifier=<identifier>&email=<email>.
func SSOLoginURL(publicURL, identifier, email string) (string, error) {
	base, err := origin(publicURL)
	if err != nil {
		return "", err
	}
	if identifier == "" {
		return "", fmt.Errorf("%w: SSO identifier", ErrMissingInput)
	}
	return hashRoute(base, "sso", "identifier", identifier, "email", email), nil
}

type inviteView struct {
	page
	OrganizationName, JoinURL, SSOURL, Expires string
}

// InviteMessage builds the invitation to d.Email.
func InviteMessage(d InviteData) (Message, error) {
	if d.OrganizationName == "" {
		return Message{}, fmt.Errorf("%w: organization name", ErrMissingInput)
	}
	join, err := AcceptInviteURL(d)
	if err != nil {
		return Message{}, err
	}
	v := inviteView{OrganizationName: d.OrganizationName, JoinURL: join, Expires: formatDay(d.ExpiresAt)}
	if d.UsesSSO {
		if v.SSOURL, err = SSOLoginURL(d.PublicURL, d.SSOIdentifier, d.Email); err != nil {
			return Message{}, err
		}
	}
	v.page = newPage("Join "+d.OrganizationName, d.PublicURL)
	return build(inviteTemplate, v.page, v, d.Email)
}

// ConfirmedData is what the "membership confirmed" notice needs.
type ConfirmedData struct {
	PublicURL        string
	OrganizationName string
	Email            string
}

type confirmedView struct {
	page
	OrganizationName, VaultURL string
}

// ConfirmedMessage tells a member that an administrator confirmed them, so the organization's
// items now reach their vault.
func ConfirmedMessage(d ConfirmedData) (Message, error) {
	base, err := origin(d.PublicURL)
	if err != nil {
		return Message{}, err
	}
	if d.OrganizationName == "" || d.Email == "" {
		return Message{}, fmt.Errorf("%w: organization name and email", ErrMissingInput)
	}
	v := confirmedView{OrganizationName: d.OrganizationName, VaultURL: base + "/#/vault"}
	v.page = newPage("You are now a member of "+d.OrganizationName, base)
	return build(confirmedTemplate, v.page, v, d.Email)
}

// DomainFailingData is what the warning to an organization's administrators about a claimed
// domain that still fails DNS verification needs.
type DomainFailingData struct {
	PublicURL        string
	OrganizationID   string
	OrganizationName string
	DomainName       string
	TXTRecord        string    // the value to publish, "bw=…"
	Checks           int       // failed automatic checks so far; 0 leaves it out
	RemovedOn        time.Time // when the unverified domain is deleted; zero leaves it out
	AdminEmails      []string  // one message goes to all of them
}

type domainFailingView struct {
	page
	OrganizationName, DomainName, TXTRecord, RemovedOn, SettingsURL string
	Checks                                                          int
}

// DomainSettingsURL is the admin console's domain verification page of an organization.
func DomainSettingsURL(publicURL, organizationID string) (string, error) {
	base, err := origin(publicURL)
	if err != nil {
		return "", err
	}
	return base + "/#/organizations/" + queryEscape(organizationID) + "/settings/domain-verification", nil
}

// DomainVerificationFailingMessage warns the administrators that a claimed domain is not verified.
func DomainVerificationFailingMessage(d DomainFailingData) (Message, error) {
	if d.OrganizationID == "" || d.DomainName == "" || d.TXTRecord == "" || len(d.AdminEmails) == 0 {
		return Message{}, fmt.Errorf("%w: organization, domain, TXT record and administrators",
			ErrMissingInput)
	}
	settings, err := DomainSettingsURL(d.PublicURL, d.OrganizationID)
	if err != nil {
		return Message{}, err
	}
	v := domainFailingView{
		OrganizationName: d.OrganizationName, DomainName: d.DomainName, TXTRecord: d.TXTRecord,
		RemovedOn: formatDay(d.RemovedOn), SettingsURL: settings, Checks: d.Checks,
	}
	v.page = newPage("Domain "+d.DomainName+" is not verified", d.PublicURL)
	return build(domainFailingTemplate, v.page, v, d.AdminEmails...)
}

// build renders a view into a message to the given recipients.
func build(t template, p page, view any, to ...string) (Message, error) {
	for _, addr := range to {
		if _, err := netmail.ParseAddress(addr); err != nil {
			return Message{}, fmt.Errorf("%w: a recipient is not a valid address", ErrInvalidMessage)
		}
	}
	text, html, err := t.render(view)
	if err != nil {
		return Message{}, err
	}
	return Message{To: to, Subject: oneLine(p.Subject), Text: text, HTML: html}, nil
}
