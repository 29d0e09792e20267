package sso

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/castellan-vault/castellan/internal/accounts"
	"github.com/castellan-vault/castellan/internal/orgs"
	"github.com/castellan-vault/castellan/internal/provision"
	"github.com/castellan-vault/castellan/internal/samlsp"
	"github.com/castellan-vault/castellan/internal/storage"
)

// SAML 2.0 sign-in (doc.go, "SAML"): Authorize sends an AuthnRequest (startSAML), the assertion
// consumer verifies the answer with internal/samlsp and hands it to Complete, the metadata route
// serves the SP metadata, and the single logout route answers the IdP's LogoutRequests.

// samlFlowLifetime is how long a started SAML sign-in may take at the IdP (as for OIDC).
const samlFlowLifetime = 10 * time.Minute

// samlPathPrefix is where the per-organization SAML endpoints live (samlsp.NewEndpoints).
const samlPathPrefix = samlsp.PathPrefix + "/{orgId}"

// Messages of the SAML pages.
const (
	msgRedirectBinding = "Your identity provider sent its answer with the HTTP-Redirect binding, which SAML " +
		"does not allow for sign-in answers. Ask your administrator to have the identity provider send its " +
		"answers to this service with HTTP-POST."
	msgArtifactBinding = "Your identity provider used the SAML artifact binding, which is not supported. " +
		"Ask your administrator to have the identity provider send its answers with HTTP-POST."
	msgACSDirect = "This address receives sign-in answers from identity providers; it cannot be opened directly."
	msgSignedOut = "You have been signed out of your organization's identity provider. Your Bitwarden apps " +
		"keep their own sessions: lock or log out there as well."
)

// samlState is the service's SAML state in this process: built service providers, by
// organization, keyed by the configuration and key revisions they were built from; and the
// replay sweep's schedule and lease holder.
type samlState struct {
	mu         sync.Mutex
	sps        map[string]cachedSP
	lastSweep  time.Time
	holderOnce sync.Once
	holder     string
}

type cachedSP struct {
	configRevision, keysRevision int64
	sp                           *samlsp.ServiceProvider
}

// sweepHolder names this process for the replay sweep's lease.
func (s *Service) sweepHolder() string {
	s.saml.holderOnce.Do(func() { s.saml.holder = "sso-" + s.newID() })
	return s.saml.holder
}

// samlSP returns the organization's service provider for configuration c, built from its stored
// keys (generated now if it has none yet). Service providers are immutable; one is rebuilt when
// the configuration's or the keys' revision changes, so every process follows a rotation at its
// next request.
func (s *Service) samlSP(ctx context.Context, orgID string, c *Config) (*samlsp.ServiceProvider, error) {
	k, err := s.store.SAMLKeys(ctx, orgID)
	if errors.Is(err, storage.ErrNotFound) {
		_, k, err = s.ensureSAMLKeys(ctx, s.store, orgID)
	}
	if err != nil {
		return nil, err
	}
	s.saml.mu.Lock()
	hit, ok := s.saml.sps[orgID]
	s.saml.mu.Unlock()
	if ok && hit.configRevision == c.Revision && hit.keysRevision == k.Revision {
		return hit.sp, nil
	}
	ks, err := s.openSAMLKeys(k)
	if err != nil {
		return nil, err
	}
	ep, err := samlsp.NewEndpoints(s.publicURL, orgID, c.Data.SpUniqueEntityID)
	if err != nil {
		return nil, fmt.Errorf("saml endpoints: %w", err)
	}
	sp, err := samlsp.New(c.Data.Config, *ks, ep, samlsp.Options{
		ReplayCache: replayCache{store: s.store, orgID: orgID, clock: s.clock}})
	if err != nil {
		return nil, fmt.Errorf("build saml service provider: %w", err)
	}
	s.saml.mu.Lock()
	if s.saml.sps == nil {
		s.saml.sps = map[string]cachedSP{}
	}
	s.saml.sps[orgID] = cachedSP{configRevision: c.Revision, keysRevision: k.Revision, sp: sp}
	s.saml.mu.Unlock()
	return sp, nil
}

// samlFlowData is the SAML part of a flow, sealed in Flow.ProviderData: the ID of the AuthnRequest
// the IdP must answer.
type samlFlowData struct {
	RequestID string    `json:"q"`
	ExpiresAt time.Time `json:"x"`
}

// startSAML sends the browser to the organization's IdP with an AuthnRequest on the configured
// binding, after recording the flow under the hash of a fresh RelayState with the request ID
// sealed in it, and binding it to this browser with a cookie. The cookie is SameSite=None: the
// IdP's answer arrives as a cross-site POST, on which browsers withhold Lax cookies. It is still
// __Host-, Secure and HttpOnly, and it only proves that the answer reached the browser that
// started the sign-in; it grants nothing by itself.
func (s *Service) startSAML(ctx context.Context, w http.ResponseWriter, req authRequest, o orgs.Organization,
	c *Config) error {
	sp, err := s.samlSP(ctx, o.ID, c)
	if err != nil {
		return err
	}
	relay, err := randomToken(s.rand)
	if err != nil {
		return err
	}
	nonce, err := randomToken(s.rand)
	if err != nil {
		return err
	}
	now := s.clock.Now()
	ar, err := sp.MakeAuthnRequest(s.rand, now, relay, nonce)
	if err != nil {
		return fmt.Errorf("make authn request: %w", err)
	}
	if err := s.recordSAMLFlow(ctx, w, req, o.ID, relay, ar.ID, now); err != nil {
		return err
	}
	s.log.InfoContext(ctx, "sso sign-in started", "org_id", o.ID, "client_id", req.ClientID, "protocol", "saml",
		"binding", int(ar.Binding))
	if ar.RedirectURL != "" {
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Location", ar.RedirectURL)
		w.WriteHeader(http.StatusFound)
		return nil
	}
	writeAutoPost(w, ar.PostForm, "'nonce-"+nonce+"'", c.Data.IdpSingleSignOnServiceURL)
	return nil
}

// recordSAMLFlow stores the flow and sets its binding cookie.
func (s *Service) recordSAMLFlow(ctx context.Context, w http.ResponseWriter, req authRequest, orgID, relay,
	requestID string, now time.Time) error {
	expires := now.Add(samlFlowLifetime)
	data, err := json.Marshal(samlFlowData{RequestID: requestID, ExpiresAt: expires})
	if err != nil {
		return fmt.Errorf("encode flow: %w", err)
	}
	id := hashHex(relay)
	sealed, err := s.seal.seal(purposeFlow+id, data)
	if err != nil {
		return err
	}
	binding, err := randomToken(s.rand)
	if err != nil {
		return err
	}
	err = s.store.InsertFlow(ctx, Flow{ID: id, OrgID: orgID, ConfigType: ConfigSAML, BindingHash: hashHex(binding),
		ClientID: req.ClientID, RedirectURI: req.RedirectURI, ClientState: req.State, CodeChallenge: req.CodeChallenge,
		ProviderData: sealed, CreatedAt: now, ExpiresAt: expires})
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: bindingCookieName(id), Value: binding, Path: "/", Expires: expires,
		MaxAge: int(samlFlowLifetime / time.Second), Secure: true, HttpOnly: true, SameSite: http.SameSiteNoneMode})
	return nil
}

// scriptRE finds the one inline script of crewjam's auto-posting forms.
var scriptRE = regexp.MustCompile(`(?s)<script[^>]*>(.*?)</script>`)

// writeAutoPost serves an auto-posting SAML form (crewjam's HTML fragment) as a page whose only
// script is allowed by scriptSource (a nonce) or, when that is empty, by the hash of its text, and
// which may only post to the origin of action.
func writeAutoPost(w http.ResponseWriter, form []byte, scriptSource, action string) {
	if scriptSource == "" {
		if m := scriptRE.FindSubmatch(form); m != nil {
			sum := sha256.Sum256(m[1])
			scriptSource = "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
		} else {
			scriptSource = "'none'"
		}
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", "default-src 'none'; script-src "+scriptSource+"; form-action "+
		formOrigin(action)+"; frame-ancestors 'none'; base-uri 'none'")
	w.WriteHeader(http.StatusOK)
	_, _ = fmt.Fprintf(w, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"+
		"<title>Signing in · castellan</title></head><body>%s</body></html>\n", form)
}

// samlOrgID reads the {orgId} of a SAML route: a lower-case GUID, or nothing is served.
func samlOrgID(r *http.Request) (string, error) {
	id := strings.ToLower(r.PathValue("orgId"))
	if !accounts.IsGUID(id) {
		return "", &refusal{status: http.StatusNotFound, message: msgSSOUnavailable, reason: "saml_org_malformed"}
	}
	return id, nil
}

// samlTarget loads the organization and its configuration for a SAML message: the organization
// enabled, the configuration enabled, valid and SAML.
func (s *Service) samlTarget(ctx context.Context, orgID string) (orgs.Organization, *Config, error) {
	o, err := orgs.QueriesOn(s.db).Organization(ctx, orgID)
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
	if c.Data.ConfigType != ConfigSAML {
		return orgs.Organization{}, nil, refuse("saml_not_configured", msgSSOUnavailable, nil)
	}
	return o, c, nil
}

// samlRefusal turns a samlsp error into an error page with its public message; anything else is
// returned as is (a server error).
func samlRefusal(err error) error {
	var e *samlsp.Error
	if !errors.As(err, &e) {
		return err
	}
	status := http.StatusBadRequest
	if e.Kind == samlsp.KindInternal {
		status = http.StatusInternalServerError
	}
	return &refusal{status: status, message: e.Public(), reason: "saml_" + e.Kind.String(), cause: err}
}

// samlRefused audits a refused SAML message (organization, endpoint, reason; never the message)
// and renders the error page.
func (s *Service) samlRefused(w http.ResponseWriter, r *http.Request, orgID, endpoint string, err error) {
	reason := "internal"
	var e *refusal
	if errors.As(err, &e) {
		reason = e.reason
	}
	s.log.WarnContext(r.Context(), "saml message refused", "org_id", orgID, "endpoint", endpoint,
		"reason", reason)
	s.writeError(w, r, err)
}

// SAMLMetadata answers GET /sso/saml/{orgId}/metadata with the organization's SP metadata
// (text/xml), whenever it has a SAML configuration, enabled or not, so that the IdP can be set
// up before single sign-on is turned on. Anything else is 404.
func (s *Service) SAMLMetadata(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	orgID, err := samlOrgID(r)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	c, _, err := s.store.Config(ctx, orgID)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && c.Data.ConfigType != ConfigSAML) {
		http.NotFound(w, r)
		return
	}
	var doc []byte
	if err == nil {
		var sp *samlsp.ServiceProvider
		if sp, err = s.samlSP(ctx, orgID, c); err == nil {
			doc, err = sp.Metadata(s.clock.Now())
		}
	}
	if err != nil {
		s.log.ErrorContext(ctx, "saml metadata failed", "org_id", orgID, "err", err)
		http.Error(w, "An error has occurred.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(doc)
}

// samlFormLimit bounds a posted SAML form: the base64 of the largest accepted document with line
// breaks, and a RelayState (samlsp applies the same bound).
var samlFormLimit = int64(base64.StdEncoding.EncodedLen(samlsp.DefaultMaxResponseBytes))*105/100 + 8<<10

// readSAMLForm parses a posted form with samlFormLimit.
func readSAMLForm(w http.ResponseWriter, r *http.Request) error {
	if r.Method != http.MethodPost {
		return nil
	}
	r.Body = http.MaxBytesReader(w, r.Body, samlFormLimit)
	if err := r.ParseForm(); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return refuse("saml_too_large", samlsp.ErrTooLarge.Public(), err)
		}
		return refuse("saml_malformed", samlsp.ErrMalformed.Public(), err)
	}
	return nil
}

// SAMLACS answers POST /sso/saml/{orgId}/acs, the assertion consumer service (HTTP-POST binding).
// In order: the organization and its enabled SAML configuration; the form, with a size limit; the
// flow named by the RelayState, if castellan started one (it must be bound to this browser, and is
// consumed: single use), whose AuthnRequest ID is then the only one the response may answer; the
// response, verified by samlsp (doc.go of samlsp lists the checks; the assertion ID goes through
// the database replay cache); then the claims, and Complete, as for OIDC. A response that answers
// no flow of this browser is unsolicited: samlsp accepts it only if the organization allows
// IdP-initiated sign-in, and Complete then provisions without issuing a code (see
// unsolicitedSignedIn). Every refusal is an error page and an audit log record; nothing is
// created.
func (s *Service) SAMLACS(w http.ResponseWriter, r *http.Request) {
	orgID, err := samlOrgID(r)
	if err == nil {
		err = s.samlACS(w, r, orgID)
	}
	if err != nil {
		s.samlRefused(w, r, orgID, "acs", err)
	}
}

func (s *Service) samlACS(w http.ResponseWriter, r *http.Request, orgID string) error {
	ctx := r.Context()
	s.sweepReplayIfDue(ctx)
	o, c, err := s.samlTarget(ctx, orgID)
	if err != nil {
		return err
	}
	sp, err := s.samlSP(ctx, orgID, c)
	if err != nil {
		return err
	}
	if err := readSAMLForm(w, r); err != nil {
		return err
	}
	f, requestID, err := s.samlFlow(ctx, w, r, orgID, r.PostForm.Get("RelayState"))
	if err != nil {
		return err
	}
	var allowed []string
	if requestID != "" {
		allowed = []string{requestID}
	}
	a, err := sp.ParseResponseRequest(ctx, r, allowed, s.clock.Now())
	if err != nil {
		return samlRefusal(err)
	}
	if f != nil && a.InResponseTo != requestID {
		// Unsolicited responses are allowed, but this one came back through a flow: it must answer it.
		return refuse("saml_flow_unanswered", samlsp.ErrRequestID.Public(), errors.New("response does not answer the flow"))
	}
	s.log.InfoContext(ctx, "saml response accepted", "org_id", orgID, "assertion", a,
		"idp_initiated", f == nil)
	if f == nil {
		f = &Flow{OrgID: orgID, ConfigType: ConfigSAML}
	}
	return s.Complete(ctx, w, r, f, o, c, samlAssertion(a, c))
}

// samlFlow finds the flow a RelayState names. No RelayState, or one that names no flow (an
// IdP-initiated sign-in may carry one of the IdP's choosing), means no flow: the response is then
// judged as unsolicited. A flow that exists must be SAML, unexpired, of this organization and bound
// to this browser, and is consumed; it returns the flow and its AuthnRequest ID.
func (s *Service) samlFlow(ctx context.Context, w http.ResponseWriter, r *http.Request, orgID, relay string) (
	*Flow, string, error) {
	if relay == "" || len(relay) > maxProviderState {
		return nil, "", nil
	}
	if _, err := s.store.Flow(ctx, hashHex(relay)); errors.Is(err, storage.ErrNotFound) {
		return nil, "", nil
	} else if err != nil {
		return nil, "", err
	}
	f, err := s.takeFlow(ctx, w, r, relay, ConfigSAML)
	if err != nil {
		return nil, "", err
	}
	if f.OrgID != orgID {
		return nil, "", refuse("flow_org", msgFlowGone, errors.New("flow of another organization"))
	}
	raw, err := s.seal.open(purposeFlow+f.ID, f.ProviderData)
	if err != nil {
		return nil, "", err
	}
	var d samlFlowData
	if err := json.Unmarshal(raw, &d); err != nil || d.RequestID == "" {
		return nil, "", fmt.Errorf("decode flow: %w", errors.Join(err, errors.New("no request id")))
	}
	return f, d.RequestID, nil
}

// samlAssertion turns a verified assertion into provisioning's input: samlsp.MapClaims with the
// configured claim names first, and the NameID format, so that a transient NameID is never the
// external ID (field report F4).
func samlAssertion(a *samlsp.Assertion, c *Config) provision.Assertion {
	d := c.Data
	cl := samlsp.MapClaims(a, samlsp.AttributeNames{
		UserID: provision.SplitClaimTypes(d.AdditionalUserIDClaimTypes),
		Email:  provision.SplitClaimTypes(d.AdditionalEmailClaimTypes),
		Name:   provision.SplitClaimTypes(d.AdditionalNameClaimTypes),
	})
	out := provision.Assertion{NameIDFormat: cl.NameIDFormat, Claims: make([]provision.Claim, 0, len(cl.List))}
	for _, x := range cl.List {
		out.Claims = append(out.Claims, provision.Claim{Type: x.Type, Value: x.Value})
	}
	return out
}

// unsolicitedSignedIn ends an IdP-initiated sign-in that provisioning accepted. No client asked for
// it, so there is nobody to give an authorization code to: castellan never issues one for an
// unsolicited response, which also means a response planted in someone's browser (login CSRF)
// signs nobody in. The account, membership and link are in place; the page sends the person to
// start from their Bitwarden app, or to castellan's own sign-in page, which begins an
// SP-initiated sign-in that the IdP's session completes at once.
func (s *Service) unsolicitedSignedIn(w http.ResponseWriter, o orgs.Organization) error {
	render(w, http.StatusOK, "error.html", page{Title: "Signed in",
		Message: "Your identity provider signed you in to " + o.Name + ".",
		Hint: "To open your vault, choose enterprise single sign-on in your Bitwarden app and enter the " +
			"SSO identifier " + o.Identifier + ".",
		Link: s.publicURL + "/#/sso?identifier=" + url.QueryEscape(o.Identifier), LinkText: "Continue in this browser"})
	return nil
}

// SAMLACSGet answers GET /sso/saml/{orgId}/acs. Sign-in answers come by HTTP-POST only: the SAML
// web browser SSO profile forbids the HTTP-Redirect binding for them (saml-profiles §4.1.2), and
// the artifact binding is not supported. Such a request gets a page that says so (the message is
// never inflated, so a deflate bomb costs nothing).
func (s *Service) SAMLACSGet(w http.ResponseWriter, r *http.Request) {
	orgID, err := samlOrgID(r)
	if err == nil {
		q := r.URL.Query()
		switch {
		case q.Has("SAMLart"):
			err = refuse("saml_artifact_binding", msgArtifactBinding, nil)
		case q.Has("SAMLResponse"):
			err = refuse("saml_redirect_binding", msgRedirectBinding, nil)
		default:
			err = refuse("saml_acs_get", msgACSDirect, nil)
		}
	}
	s.samlRefused(w, r, orgID, "acs", err)
}

// SAMLSLO answers GET and POST /sso/saml/{orgId}/slo, the single logout service. An IdP's
// LogoutRequest (HTTP-Redirect or HTTP-POST; signed, from the configured IdP, addressed here,
// recent and seen once, see samlsp.ParseLogoutRequest) is recorded in the log and answered with a
// LogoutResponse: castellan holds no browser session to end, the clients' sessions are their
// tokens. A LogoutResponse gets the signed-out page: castellan sends no LogoutRequests of its own.
func (s *Service) SAMLSLO(w http.ResponseWriter, r *http.Request) {
	orgID, err := samlOrgID(r)
	if err == nil {
		err = s.samlSLO(w, r, orgID)
	}
	if err != nil {
		s.samlRefused(w, r, orgID, "slo", err)
	}
}

func (s *Service) samlSLO(w http.ResponseWriter, r *http.Request, orgID string) error {
	ctx := r.Context()
	_, c, err := s.samlTarget(ctx, orgID)
	if err != nil {
		return err
	}
	sp, err := s.samlSP(ctx, orgID, c)
	if err != nil {
		return err
	}
	if err := readSAMLForm(w, r); err != nil {
		return err
	}
	if r.URL.Query().Has("SAMLResponse") || r.PostForm.Has("SAMLResponse") {
		s.log.InfoContext(ctx, "saml logout response ignored: castellan sends no logout requests", "org_id", orgID)
		render(w, http.StatusOK, "error.html", page{Title: "Signed out", Message: msgSignedOut})
		return nil
	}
	now := s.clock.Now()
	lr, err := sp.ParseLogoutRequest(ctx, r, now)
	if err != nil {
		return samlRefusal(err)
	}
	s.log.InfoContext(ctx, "saml single logout from the identity provider", "org_id", orgID,
		"logout_request_id", lr.ID, "session_indexes", len(lr.SessionIndexes))
	resp, err := sp.MakeLogoutResponse(lr.ID, lr.RelayState, now)
	switch {
	case errors.Is(err, samlsp.ErrNoSingleLogout):
		render(w, http.StatusOK, "error.html", page{Title: "Signed out", Message: msgSignedOut})
		return nil
	case err != nil:
		return err
	case resp.RedirectURL != "":
		http.Redirect(w, r, resp.RedirectURL, http.StatusFound)
		return nil
	}
	writeAutoPost(w, resp.PostForm, "", c.Data.IdpSingleLogoutServiceURL)
	return nil
}
