package oidcrp

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/castellan-vault/castellan/internal/secret"
)

// Flow is what the caller persists between Start and Finish, bound to the browser that started
// the sign-in and deleted when Finish runs (a flow is single-use). Its values print masked.
type Flow struct {
	// OrgID is the organization whose configuration started the flow; Finish refuses another.
	OrgID        string
	State        secret.String
	Nonce        secret.String
	CodeVerifier secret.String
	RedirectURI  string
	// ExpiresAt ends the flow (Options.FlowLifetime after Start); the caller may delete it then.
	// A flow persisted without it is treated as expired.
	ExpiresAt time.Time
}

// Authorization is the request that sends the browser to the provider.
type Authorization struct {
	// URL is the complete authorization request URL (for RedirectGet).
	URL string
	// Form is set for RedirectFormPost: the same request as an auto-submitting form.
	Form *Form
	// Flow must be persisted for Finish.
	Flow Flow
}

// Form is an authorization request sent as an HTML form POST.
type Form struct {
	Action string
	Fields url.Values
}

// Start builds the authorization request for one sign-in: scopes openid, email, profile and the
// additional ones; fresh state, nonce and PKCE verifier (S256) from the RP's random source; and
// acr_values when configured. redirectURI is castellan's callback address for this organization.
//
// No response_mode is requested, so the provider answers with a top-level GET to redirectURI and
// a SameSite=Lax cookie binding the flow to the browser is sent along.
func (rp *RP) Start(ctx context.Context, cfg Config, redirectURI string) (*Authorization, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	p, err := rp.provider(ctx, cfg)
	if err != nil {
		return nil, err
	}
	flow, err := rp.newFlow(cfg.OrgID, redirectURI)
	if err != nil {
		return nil, err
	}
	opts := []oauth2.AuthCodeOption{
		oidc.Nonce(flow.Nonce.Reveal()),
		oauth2.S256ChallengeOption(flow.CodeVerifier.Reveal()),
	}
	if cfg.AcrValues != "" {
		opts = append(opts, oauth2.SetAuthURLParam("acr_values", cfg.AcrValues))
	}
	authURL := rp.oauth2Config(cfg, p, redirectURI).AuthCodeURL(flow.State.Reveal(), opts...)
	a := &Authorization{URL: authURL, Flow: flow}
	if cfg.RedirectBehavior == RedirectFormPost {
		if a.Form, err = formFor(p.oidc.Endpoint().AuthURL, authURL); err != nil {
			return nil, err
		}
	}
	rp.logger.InfoContext(ctx, "oidc sign-in started", "org_id", cfg.OrgID,
		"form_post", a.Form != nil)
	return a, nil
}

// newFlow draws the flow secrets: 32 random bytes each, base64url (43 characters, which is also
// a valid PKCE verifier, RFC 7636 §4.1).
func (rp *RP) newFlow(orgID, redirectURI string) (Flow, error) {
	var vals [3]string
	for i := range vals {
		b := make([]byte, 32)
		if _, err := io.ReadFull(rp.rand, b); err != nil {
			return Flow{}, errorf(KindInternal, "read randomness: %w", err)
		}
		vals[i] = base64.RawURLEncoding.EncodeToString(b)
	}
	return Flow{OrgID: orgID, State: secret.String(vals[0]), Nonce: secret.String(vals[1]),
		CodeVerifier: secret.String(vals[2]), RedirectURI: redirectURI,
		ExpiresAt: rp.clock.Now().Add(rp.flowLifetime)}, nil
}

func (rp *RP) oauth2Config(cfg Config, p *provider, redirectURI string) *oauth2.Config {
	ep := p.oidc.Endpoint()
	ep.AuthStyle = p.authStyle
	return &oauth2.Config{
		ClientID:     cfg.ClientID,
		ClientSecret: cfg.ClientSecret.Reveal(),
		Endpoint:     ep,
		RedirectURL:  redirectURI,
		Scopes:       cfg.Scopes(),
	}
}

// formFor turns the authorization URL into a form: the endpoint as given (with any query it has
// of its own) as the action, and the request parameters as fields.
func formFor(endpoint, authURL string) (*Form, error) {
	e, err := url.Parse(endpoint)
	if err != nil {
		return nil, errorf(KindDiscovery, "parse authorization endpoint: %w", err)
	}
	u, err := url.Parse(authURL)
	if err != nil {
		return nil, errorf(KindInternal, "parse authorization url: %w", err)
	}
	fields := u.Query()
	for k := range e.Query() {
		fields.Del(k)
	}
	return &Form{Action: endpoint, Fields: fields}, nil
}

var formTemplate = template.Must(template.New("form").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="referrer" content="no-referrer">
<title>Continuing to your identity provider</title></head>
<body><form method="post" action="{{.Action}}">
{{range $k, $vs := .Fields}}{{range $vs}}<input type="hidden" name="{{$k}}" value="{{.}}">
{{end}}{{end}}<p>Continuing to your organization's identity provider…</p>
<button type="submit">Continue</button></form>
<script{{if .Nonce}} nonce="{{.Nonce}}"{{end}}>document.forms[0].submit();</script>
</body></html>
`))

// HTML renders the auto-submitting form. scriptNonce is the Content-Security-Policy nonce for
// its one inline script; without script the visible button submits it.
func (f *Form) HTML(scriptNonce string) ([]byte, error) {
	var buf bytes.Buffer
	data := struct {
		Action string
		Fields url.Values
		Nonce  string
	}{f.Action, f.Fields, scriptNonce}
	if err := formTemplate.Execute(&buf, data); err != nil {
		return nil, errorf(KindInternal, "render form: %w", err)
	}
	return buf.Bytes(), nil
}

// Write sends the browser on: a 302 to URL, or the form page (not cached, no referrer).
func (a *Authorization) Write(w http.ResponseWriter, r *http.Request, scriptNonce string) error {
	w.Header().Set("Cache-Control", "no-store")
	if a.Form == nil {
		http.Redirect(w, r, a.URL, http.StatusFound)
		return nil
	}
	page, err := a.Form.HTML(scriptNonce)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Referrer-Policy", "no-referrer")
	if _, err := w.Write(page); err != nil {
		return fmt.Errorf("write form: %w", err)
	}
	return nil
}
