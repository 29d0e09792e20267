package accounts

import (
	"context"
	"fmt"
	"strings"

	"github.com/castellan-vault/castellan/internal/httpx"
)

// DomainBlocker tells whether accounts may be created on an e-mail domain only through single
// sign-on: the domain is claimed by an organization whose BlockClaimedDomainAccountCreation policy
// (19) is on (behaviour reference §6.4). The claimed-domain concern implements it.
type DomainBlocker interface {
	BlockedDomain(ctx context.Context, domain string) (bool, error)
}

// msgDomainBlocked refuses a registration on a blocked domain.
const msgDomainBlocked = "An organization has claimed the domain of this e-mail address and does not allow " +
	"accounts with it to be created here. Log in with your organization's single sign-on instead."

// checkDomainBlock refuses email when the DomainBlock hook says its domain is blocked. It runs for
// every registration with a master password, invited or not; accounts that single sign-on creates
// do not come through here.
func (s *Service) checkDomainBlock(ctx context.Context, email string) error {
	if s.DomainBlock == nil {
		return nil
	}
	i := strings.LastIndexByte(email, '@')
	if i < 0 {
		return nil // not an address; the address checks refuse it
	}
	blocked, err := s.DomainBlock.BlockedDomain(ctx, email[i+1:])
	if err != nil {
		return fmt.Errorf("check the e-mail domain: %w", err)
	}
	if blocked {
		s.log.InfoContext(ctx, "registration refused", "reason", "claimed_domain_blocked")
		return httpx.Invalid("Email", msgDomainBlocked)
	}
	return nil
}
