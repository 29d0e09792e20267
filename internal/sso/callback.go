package sso

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"

	"github.com/castellan-vault/castellan/internal/oidcrp"
	"github.com/castellan-vault/castellan/internal/orgs"
	"github.com/castellan-vault/castellan/internal/provision"
	"github.com/castellan-vault/castellan/internal/secret"
	"github.com/castellan-vault/castellan/internal/storage"
)

// maxProviderState bounds the state a callback may carry (oidcrp makes 43 characters).
const maxProviderState = 512

// OIDCCallback answers GET /sso/oidc/callback, where an organization's OpenID provider sends the
// browser back. In order: the flow named by the state exists and has not expired; the browser
// presents the cookie that binds it (compared in constant time); the flow is consumed (one use);
// then oidcrp checks the answer (iss, the code exchange with PKCE, the ID token's signature,
// issuer, audience, expiry and nonce, userinfo's subject, the ACR) and provisioning decides.
func (s *Service) OIDCCallback(w http.ResponseWriter, r *http.Request) {
	if err := s.oidcCallback(w, r); err != nil {
		s.writeError(w, r, err)
	}
}

func (s *Service) oidcCallback(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	q := r.URL.Query()
	f, err := s.takeFlow(ctx, w, r, q.Get("state"), ConfigOIDC)
	if err != nil {
		return err
	}
	raw, err := s.seal.open(purposeFlow+f.ID, f.ProviderData)
	if err != nil {
		return err
	}
	var d oidcFlowData
	if err := json.Unmarshal(raw, &d); err != nil {
		return fmt.Errorf("decode flow: %w", err)
	}
	o, c, err := s.flowTarget(ctx, f)
	if err != nil {
		return err
	}
	flow := oidcrp.Flow{OrgID: f.OrgID, State: secret.String(d.State), Nonce: secret.String(d.Nonce),
		CodeVerifier: secret.String(d.CodeVerifier), RedirectURI: d.RedirectURI, ExpiresAt: d.ExpiresAt}
	res, err := s.rp.Finish(ctx, c.OIDC(), flow, q)
	if err != nil {
		return providerRefusal(err)
	}
	return s.Complete(ctx, w, r, f, o, c, res.Assertion())
}

// takeFlow finds the flow of a provider's answer by the value the provider echoed (OIDC state,
// SAML RelayState), checks its protocol, its expiry and the browser binding, and consumes it. A
// flow presented by another browser is left in place for its own browser; a flow already consumed
// is refused.
func (s *Service) takeFlow(ctx context.Context, w http.ResponseWriter, r *http.Request, echoed string,
	typ ConfigType) (*Flow, error) {
	if echoed == "" || len(echoed) > maxProviderState {
		return nil, refuse("state_missing", msgFlowGone, nil)
	}
	f, err := s.store.Flow(ctx, hashHex(echoed))
	if errors.Is(err, storage.ErrNotFound) {
		return nil, refuse("flow_unknown", msgFlowGone, nil)
	}
	if err != nil {
		return nil, err
	}
	switch {
	case f.ConfigType != typ:
		return nil, refuse("flow_protocol", msgFlowGone, fmt.Errorf("flow of type %d", f.ConfigType))
	case !s.clock.Now().Before(f.ExpiresAt):
		return nil, refuse("flow_expired", msgFlowGone, nil)
	case !bound(r, f):
		return nil, refuse("flow_other_browser", msgFlowGone, errors.New("binding cookie missing or wrong"))
	}
	if err := s.store.ConsumeFlow(ctx, f.ID); errors.Is(err, ErrConsumed) {
		return nil, refuse("flow_replayed", msgFlowGone, err)
	} else if err != nil {
		return nil, err
	}
	http.SetCookie(w, &http.Cookie{Name: bindingCookieName(f.ID), Value: "", Path: "/", MaxAge: -1,
		Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	return f, nil
}

// bound reports whether the request carries the cookie whose hash the flow recorded.
func bound(r *http.Request, f *Flow) bool {
	c, err := r.Cookie(bindingCookieName(f.ID))
	if err != nil || c.Value == "" || len(c.Value) > 128 {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(hashHex(c.Value)), []byte(f.BindingHash)) == 1
}

// flowTarget reloads the flow's organization and configuration: both must still allow sign-ins.
func (s *Service) flowTarget(ctx context.Context, f *Flow) (orgs.Organization, *Config, error) {
	o, err := orgs.QueriesOn(s.db).Organization(ctx, f.OrgID)
	if errors.Is(err, storage.ErrNotFound) {
		return orgs.Organization{}, nil, refuse("org_gone", msgSSOUnavailable, nil)
	}
	if err != nil {
		return orgs.Organization{}, nil, err
	}
	c, err := s.activeConfig(ctx, s.store, o)
	if err != nil {
		return orgs.Organization{}, nil, err
	}
	if c.Data.ConfigType != f.ConfigType {
		return orgs.Organization{}, nil, refuse("config_changed", msgSSOUnavailable, nil)
	}
	return o, c, nil
}

// Complete finishes a sign-in whose provider answer was verified (OIDC here; SAML's assertion
// consumer calls it the same way): it resolves the identity, runs provisioning in one transaction
// and sends the browser to the client with an authorization code, to the vault's login page with
// one of the two official error codes, or to an error page.
func (s *Service) Complete(ctx context.Context, w http.ResponseWriter, r *http.Request, f *Flow,
	o orgs.Organization, c *Config, a provision.Assertion) error {
	id, err := provision.Resolve(a, c.Claims(), s.claimedBy(ctx, o.ID))
	if err != nil {
		return refuse("no_external_id", "The identity provider's answer does not identify a user "+
			"with a usable, stable user id.", err)
	}
	res, err := s.provision(ctx, f, id)
	if err != nil {
		return err
	}
	d := res.decision
	s.log.InfoContext(ctx, "sso decision", "org_id", o.ID, "outcome", d.Outcome.String(),
		"reason", string(d.Reason), "verified_by", id.EmailVerifiedBy.String())
	if d.Outcome == provision.Refuse {
		if d.Reason.RedirectsToLogin() {
			http.Redirect(w, r, s.loginRedirect(id.Email, o, d.Reason), http.StatusFound)
			return nil
		}
		return refuse(string(d.Reason), reasonMessage(d.Reason), nil)
	}
	if f.ClientID == "" { // an IdP-initiated SAML sign-in: no client waits for a code (saml.go)
		return s.unsolicitedSignedIn(w, o)
	}
	return s.sendToClient(w, r, f, res.code)
}

// loginRedirect is where the two recoverable refusals send the browser: the vault's login page
// with the official query, which says what to do next.
func (s *Service) loginRedirect(email string, o orgs.Organization, reason provision.Reason) string {
	q := url.Values{"email": {email}, "organizationId": {o.ID}, "organizationName": {o.Name},
		"error": {string(reason)}}
	return s.publicURL + "/#/login?" + q.Encode()
}

// sendToClient sends the browser to the client's redirect URI with the code, the client's state
// unchanged and the issuer (RFC 9207).
func (s *Service) sendToClient(w http.ResponseWriter, r *http.Request, f *Flow, code string) error {
	u, err := url.Parse(f.RedirectURI)
	if err != nil {
		return fmt.Errorf("parse redirect uri: %w", err)
	}
	q := u.Query()
	q.Set("code", code)
	q.Set("state", f.ClientState)
	q.Set("iss", s.issuer)
	u.RawQuery = q.Encode()
	target := u.String()
	if !nativeRedirect(target) {
		http.Redirect(w, r, target, http.StatusFound)
		return nil
	}
	render(w, http.StatusOK, "redirect.html", page{Title: "Signed in", LinkText: "Open the app",
		Message: "You are signed in. Return to your Bitwarden app.", AppLink: template.URL(target)})
	return nil
}

// claimedBy returns the check that a domain is claimed (verified) by the organization.
func (s *Service) claimedBy(ctx context.Context, orgID string) provision.DomainClaimed {
	if s.domains == nil {
		return nil
	}
	return func(domain string) bool {
		d, err := s.domains.FindClaimed(ctx, domain)
		if err != nil && !errors.Is(err, storage.ErrNotFound) {
			s.log.WarnContext(ctx, "claimed domain lookup failed", "org_id", orgID, "err", err)
		}
		return err == nil && d.OrganizationID == orgID
	}
}

// reasonMessages explain provisioning's refusals to the person signing in.
var reasonMessages = map[provision.Reason]string{
	provision.ReasonOrgDisabled:  "This organization is disabled.",
	provision.ReasonSSODisabled:  msgSSOUnavailable,
	provision.ReasonEmailMissing: "Your identity provider did not send an email address, which is needed to set up your account.",
	provision.ReasonEmailNotVerified: "Your identity provider did not confirm that your email address is verified, " +
		"so it cannot be used to find or create your account. Ask your administrator.",
	provision.ReasonAccountEmailNotVerified: "An account with your email address exists but has not proven that it " +
		"owns the address. Log in with your master password and verify your email first.",
	provision.ReasonKeyConnectorUser: "You were removed from the organization that manages single sign-on " +
		"for your account. Contact your administrator.",
	provision.ReasonRevoked:            "Your access to this organization has been revoked.",
	provision.ReasonUnknownState:       "Your membership in this organization is not in a state that allows signing in.",
	provision.ReasonMembershipNotFound: "You are not a member of this organization. Contact your administrator.",
	provision.ReasonNoSeats:            "This organization has no free seats. Contact your administrator.",
	provision.ReasonSubjectChanged: "Your identity provider now identifies you differently than at your last " +
		"sign-in. Your administrator must reset your single sign-on link.",
	provision.ReasonExternalIDMissing: "The identity provider's answer does not identify a user.",
}

func reasonMessage(r provision.Reason) string {
	if m, ok := reasonMessages[r]; ok {
		return m
	}
	return msgServerError
}

// kindNames name the relying party's refusals for the log.
var kindNames = map[oidcrp.Kind]string{
	oidcrp.KindInternal: "internal", oidcrp.KindConfig: "config", oidcrp.KindDiscovery: "discovery",
	oidcrp.KindState: "state", oidcrp.KindIssuerParam: "iss_param", oidcrp.KindProviderError: "provider_error",
	oidcrp.KindMissingCode: "missing_code", oidcrp.KindTokenExchange: "token_exchange",
	oidcrp.KindMissingIDToken: "missing_id_token", oidcrp.KindSignature: "signature", oidcrp.KindIssuer: "issuer",
	oidcrp.KindAudience: "audience", oidcrp.KindExpired: "expired", oidcrp.KindNonce: "nonce",
	oidcrp.KindAccessTokenHash: "at_hash", oidcrp.KindNoSubject: "no_subject", oidcrp.KindUserInfo: "userinfo",
	oidcrp.KindUserInfoSubject: "userinfo_subject", oidcrp.KindACR: "acr",
}

func kindName(k oidcrp.Kind) string {
	if n, ok := kindNames[k]; ok {
		return n
	}
	return "unknown"
}
