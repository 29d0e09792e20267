package policies

import "context"

// SSORequired tells the token endpoint whether userID must sign in through single sign-on rather
// than with the master password (Require SSO, behavior notes §7.2): the account is an Accepted or
// Confirmed member of an enabled organization that has the policy on, and is not exempt there
// (owners and admins are, unless Config.EnforceSSOForAll; custom members are not). identifier is
// the SSO identifier of the organization that requires it when exactly one does, so that the
// client can start that organization's sign-in; "" otherwise.
//
// The token endpoint asks only for the password grant: single sign-on itself (authorization_code)
// and the personal API key (client_credentials) pass, as on the official server.
func (s *Service) SSORequired(ctx context.Context, userID string) (required bool, identifier string, err error) {
	list, err := s.store.EnabledForUser(ctx, userID, TypeRequireSSO)
	if err != nil {
		return false, "", err
	}
	var binding []MemberPolicy
	for _, mp := range list {
		if active(mp.Status) && (s.cfg.EnforceSSOForAll || !exemptRole(mp.Role)) {
			binding = append(binding, mp)
		}
	}
	switch len(binding) {
	case 0:
		return false, "", nil
	case 1:
		return true, binding[0].Identifier, nil
	}
	return true, "", nil
}
