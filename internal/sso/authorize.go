package sso

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/castellan-vault/castellan/internal/oidcrp"
	"github.com/castellan-vault/castellan/internal/orgs"
)

// CallbackPath is where every organization's OIDC provider sends the browser back.
const CallbackPath = "/sso/oidc/callback"

// SignedOutPath is the signed-out callback of the providers.
const SignedOutPath = "/sso/oidc/signed-out"

// bindingCookiePrefix names the cookie that binds a flow to the browser that started it. The
// __Host- prefix makes browsers insist on Secure, Path=/ and no Domain, so no other host and no
// plain-HTTP page can set or read it. The rest of the name comes from the flow, so that two
// sign-ins in one browser do not overwrite each other's binding.
const bindingCookiePrefix = "__Host-castellan-sso-"

// Limits of the client's authorize parameters.
const (
	maxClientState = 1024
	maxParamLen    = 2048
)

// authRequest is a checked authorization request of an official client.
type authRequest struct {
	ClientID, RedirectURI, State, CodeChallenge string
	DomainHint, SSOToken                        string
}

// Authorize answers GET /identity/connect/authorize, where an official client (or castellan's
// own SSO page acting for it) starts a sign-in: it checks the client, its redirect URI, PKCE
// (S256 only), the state and the prevalidation token, records the flow in the database, binds it to
// the browser with a cookie and sends the browser to the organization's provider. Every refusal is
// an error page: a request whose client or redirect URI is wrong must never be redirected (RFC 6749
// §4.1.2.1), and the others are treated the same way for simplicity.
func (s *Service) Authorize(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	s.cleanup(ctx)
	req, err := s.parseAuthorize(r.URL.Query())
	if err == nil {
		err = s.authorize(ctx, w, r, req)
	}
	if err != nil {
		s.writeError(w, r, err)
	}
}

func (s *Service) authorize(ctx context.Context, w http.ResponseWriter, r *http.Request, req authRequest) error {
	o, c, err := s.signInTarget(ctx, req.DomainHint)
	if err != nil {
		return err
	}
	switch err := s.seal.checkSSOToken(req.SSOToken, o.ID, req.DomainHint, s.clock.Now()); {
	case errors.Is(err, errSSOTokenExpired):
		return refuse("sso_token_expired", "The sign-in took too long to start.", err)
	case err != nil:
		return refuse("sso_token_invalid", msgInvalidRequest, err)
	}
	switch c.Data.ConfigType {
	case ConfigOIDC:
		return s.startOIDC(ctx, w, r, req, o, c)
	case ConfigSAML:
		return s.startSAML(ctx, w, req, o, c) // saml.go
	}
	return refuse("protocol_unavailable", msgSSOUnavailable, fmt.Errorf("config type %d", c.Data.ConfigType))
}

// parseAuthorize checks the request's parameters. Parameters may not be repeated (RFC 6749 §3.1).
func (s *Service) parseAuthorize(q url.Values) (authRequest, error) {
	for k, v := range q {
		if len(v) != 1 || len(v[0]) > maxParamLen {
			return authRequest{}, refuse("param_repeated", msgInvalidRequest, fmt.Errorf("parameter %q", k))
		}
	}
	req := authRequest{ClientID: q.Get("client_id"), RedirectURI: q.Get("redirect_uri"), State: q.Get("state"),
		CodeChallenge: q.Get("code_challenge"), DomainHint: q.Get("domain_hint"), SSOToken: q.Get("ssoToken")}
	if !redirectAllowed(req.ClientID, req.RedirectURI, s.publicURL) {
		return authRequest{}, refuse("client_redirect", msgInvalidClient,
			fmt.Errorf("client %q with an unregistered redirect uri", clip(req.ClientID)))
	}
	switch {
	case q.Get("response_type") != "code":
		return authRequest{}, refuse("response_type", msgInvalidRequest, errors.New("response_type is not code"))
	case q.Has("response_mode") && q.Get("response_mode") != "query":
		return authRequest{}, refuse("response_mode", msgInvalidRequest, errors.New("response_mode is not query"))
	case q.Get("code_challenge_method") != "S256" || !validChallenge(req.CodeChallenge):
		return authRequest{}, refuse("pkce", msgInvalidRequest, errors.New("PKCE S256 challenge missing or malformed"))
	case req.State == "" || len(req.State) > maxClientState:
		return authRequest{}, refuse("state", msgInvalidRequest, errors.New("state missing or too long"))
	case !validScope(q.Get("scope")):
		return authRequest{}, refuse("scope", msgInvalidRequest, errors.New("scope is not api [offline_access]"))
	case req.DomainHint == "":
		return authRequest{}, refuse("domain_hint", msgSSOUnavailable, errors.New("no domain_hint"))
	case req.SSOToken == "":
		return authRequest{}, refuse("sso_token_missing", msgInvalidRequest, errors.New("no ssoToken"))
	}
	return req, nil
}

// validScope accepts the scopes the official clients ask for: api, and offline_access.
func validScope(scope string) bool {
	fields := strings.Fields(scope)
	if !slices.Contains(fields, "api") {
		return false
	}
	for _, f := range fields {
		if f != "api" && f != "offline_access" {
			return false
		}
	}
	return true
}

// oidcFlowData is the OIDC part of a flow, sealed in Flow.ProviderData. Its values are the
// relying party's secrets: they are written in the clear only inside the seal.
type oidcFlowData struct {
	State        string    `json:"s"`
	Nonce        string    `json:"n"`
	CodeVerifier string    `json:"v"`
	RedirectURI  string    `json:"r"`
	ExpiresAt    time.Time `json:"x"`
}

// startOIDC starts the sign-in at the organization's OpenID provider (discovery, state, nonce and
// PKCE are oidcrp's), records the flow and the browser binding, and sends the browser on.
func (s *Service) startOIDC(ctx context.Context, w http.ResponseWriter, r *http.Request, req authRequest,
	o orgs.Organization, c *Config) error {
	a, err := s.rp.Start(ctx, c.OIDC(), s.CallbackURL())
	if err != nil {
		return providerRefusal(err)
	}
	fl := a.Flow
	data, err := json.Marshal(oidcFlowData{State: fl.State.Reveal(), Nonce: fl.Nonce.Reveal(),
		CodeVerifier: fl.CodeVerifier.Reveal(), RedirectURI: fl.RedirectURI, ExpiresAt: fl.ExpiresAt})
	if err != nil {
		return fmt.Errorf("encode flow: %w", err)
	}
	id := hashHex(fl.State.Reveal())
	sealed, err := s.seal.seal(purposeFlow+id, data)
	if err != nil {
		return err
	}
	binding, err := randomToken(s.rand)
	if err != nil {
		return err
	}
	now := s.clock.Now()
	err = s.store.InsertFlow(ctx, Flow{ID: id, OrgID: o.ID, ConfigType: ConfigOIDC, BindingHash: hashHex(binding),
		ClientID: req.ClientID, RedirectURI: req.RedirectURI, ClientState: req.State, CodeChallenge: req.CodeChallenge,
		ProviderData: sealed, CreatedAt: now, ExpiresAt: fl.ExpiresAt})
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: bindingCookieName(id), Value: binding, Path: "/",
		Expires: fl.ExpiresAt, MaxAge: int(fl.ExpiresAt.Sub(now) / time.Second), Secure: true, HttpOnly: true,
		SameSite: http.SameSiteLaxMode})
	s.log.InfoContext(ctx, "sso sign-in started", "org_id", o.ID, "client_id", req.ClientID)
	return s.sendToProvider(w, r, a)
}

// sendToProvider writes the redirect or, for RedirectFormPost, the auto-posting form page, whose
// one inline script runs under a fresh nonce.
func (s *Service) sendToProvider(w http.ResponseWriter, r *http.Request, a *oidcrp.Authorization) error {
	nonce := ""
	if a.Form != nil {
		var err error
		if nonce, err = randomToken(s.rand); err != nil {
			return err
		}
		w.Header().Set("Content-Security-Policy", "default-src 'none'; script-src 'nonce-"+nonce+"'; "+
			"form-action "+formOrigin(a.Form.Action)+"; frame-ancestors 'none'; base-uri 'none'")
	}
	return a.Write(w, r, nonce)
}

// formOrigin is the origin of a form's action, for the page's form-action policy.
func formOrigin(action string) string {
	u, err := url.Parse(action)
	if err != nil || u.Host == "" {
		return "'none'"
	}
	return u.Scheme + "://" + u.Host
}

func bindingCookieName(flowID string) string { return bindingCookiePrefix + flowID[:16] }

// providerRefusal turns a relying-party error into an error page: its public message, 502 when the
// provider cannot be reached, 500 for castellan's own failures, 400 otherwise.
func providerRefusal(err error) error {
	var e *oidcrp.Error
	if !errors.As(err, &e) {
		return err
	}
	status := http.StatusBadRequest
	switch e.Kind {
	case oidcrp.KindDiscovery:
		status = http.StatusBadGateway
	case oidcrp.KindInternal:
		status = http.StatusInternalServerError
	}
	return &refusal{status: status, message: e.Public(), reason: "oidc_" + kindName(e.Kind), cause: err}
}

// clip shortens text taken from a request before it goes to the log.
func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}
