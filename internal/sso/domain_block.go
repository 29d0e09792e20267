package sso

import (
	"context"
	"fmt"

	"github.com/castellan-vault/castellan/internal/provision"
)

// DomainBlocker tells whether an organization claims an e-mail domain and lets accounts on it be
// created only through its own single sign-on (its BlockClaimedDomainAccountCreation policy, 19).
// The claimed-domain concern implements it.
type DomainBlocker interface {
	BlockedDomain(ctx context.Context, domain string) (bool, error)
}

// SetDomainBlock makes provisioning refuse to create accounts on domains that another organization
// claims and blocks. It is called once, while the application is being wired.
func (s *Service) SetDomainBlock(b DomainBlocker) { s.blocked = b }

// msgDomainBlocked explains the refusal on the error page.
const msgDomainBlocked = "Your e-mail address belongs to a domain that another organization has claimed, " +
	"and that organization does not allow accounts on it to be created elsewhere. Sign in through that " +
	"organization's single sign-on, or ask your administrator."

// refuseBlockedDomain refuses a sign-in that would create an account for email through organization
// orgID when another organization claims the address's domain and blocks account creation on it
// (behaviour reference §2.2). The organization that claims the domain may create accounts on it.
func (s *Service) refuseBlockedDomain(ctx context.Context, orgID, email string) error {
	domain := provision.EmailDomain(email)
	if s.blocked == nil || domain == "" || s.claimsDomain(ctx, orgID, domain) {
		return nil
	}
	blocked, err := s.blocked.BlockedDomain(ctx, domain)
	if err != nil {
		return fmt.Errorf("check the e-mail domain: %w", err)
	}
	if blocked {
		return refuse("claimed_domain_blocked", msgDomainBlocked, nil)
	}
	return nil
}

// claimsDomain reports whether organization orgID holds the claim on domain.
func (s *Service) claimsDomain(ctx context.Context, orgID, domain string) bool {
	claimed := s.claimedBy(ctx, orgID)
	return claimed != nil && domain != "" && claimed(domain)
}
