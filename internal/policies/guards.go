package policies

import (
	"context"

	"github.com/castellan-vault/castellan/internal/httpx"
)

// Member decryption types of an SSO configuration (official MemberDecryptionType).
const (
	decryptionKeyConnector   = 1
	decryptionTrustedDevices = 2
)

// guard refuses a policy change that would break what other settings rely on (behavior notes §5.3,
// §7.2-§7.4), each with a 400 that says what to change first:
//   - Require SSO and account recovery need Single organization on;
//   - Single organization stays on while either of them is on, while the organization has a
//     claimed domain, and while its SSO uses Key Connector;
//   - Require SSO stays on while the organization's SSO decrypts with Key Connector or trusted
//     devices;
//   - account recovery with automatic enrollment stays on while SSO uses trusted devices.
func (s *Service) guard(ctx context.Context, st Store, c change, cur *Policy) error {
	wasOn := cur != nil && cur.Enabled
	switch {
	case c.enabled && (c.typ == TypeRequireSSO || c.typ == TypeResetPassword):
		single, err := found(st.Get(ctx, c.orgID, TypeSingleOrg))
		if err != nil {
			return err
		}
		if single == nil || !single.Enabled {
			return httpx.BadRequest("Turn on the " + TypeSingleOrg.label() + " policy first: the " +
				c.typ.label() + " policy requires it.")
		}
	case !c.enabled && wasOn && c.typ == TypeSingleOrg:
		return s.guardSingleOrgOff(ctx, st, c.orgID)
	case !c.enabled && wasOn && c.typ == TypeRequireSSO:
		dt, err := s.ssoDecryption(ctx, c.orgID)
		if err != nil {
			return err
		}
		if dt == decryptionKeyConnector || dt == decryptionTrustedDevices {
			return httpx.BadRequest("The " + c.typ.label() + " policy cannot be turned off while the " +
				"organization's single sign-on decrypts vaults with Key Connector or trusted devices. " +
				"Change the member decryption option first.")
		}
	}
	if c.typ == TypeResetPassword && cur.autoEnroll() && !(c.enabled && autoEnrollIn(c)) {
		dt, err := s.ssoDecryption(ctx, c.orgID)
		if err != nil {
			return err
		}
		if dt == decryptionTrustedDevices {
			return httpx.BadRequest("The " + c.typ.label() + " policy and its automatic enrollment must stay " +
				"on while the organization's single sign-on decrypts vaults with trusted devices.")
		}
	}
	return nil
}

// autoEnrollIn reports whether the change's data turns automatic enrollment on.
func autoEnrollIn(c change) bool {
	p := Policy{Type: c.typ, Enabled: c.enabled, Data: c.data}
	return p.autoEnroll()
}

// guardSingleOrgOff refuses to turn Single organization off while something relies on it.
func (s *Service) guardSingleOrgOff(ctx context.Context, st Store, orgID string) error {
	for _, dep := range []Type{TypeRequireSSO, TypeResetPassword} {
		p, err := found(st.Get(ctx, orgID, dep))
		if err != nil {
			return err
		}
		if p != nil && p.Enabled {
			return httpx.BadRequest("Turn off the " + dep.label() + " policy first: it requires the " +
				TypeSingleOrg.label() + " policy.")
		}
	}
	if s.domains != nil {
		claimed, err := s.domains.HasClaimedDomain(ctx, orgID)
		if err != nil {
			return err
		}
		if claimed {
			return httpx.BadRequest("The " + TypeSingleOrg.label() + " policy cannot be turned off while the " +
				"organization has claimed domains. Remove the domains first.")
		}
	}
	dt, err := s.ssoDecryption(ctx, orgID)
	if err != nil {
		return err
	}
	if dt == decryptionKeyConnector {
		return httpx.BadRequest("The " + TypeSingleOrg.label() + " policy cannot be turned off while the " +
			"organization's single sign-on uses Key Connector.")
	}
	return nil
}
