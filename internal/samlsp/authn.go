package samlsp

import (
	"encoding/hex"
	"fmt"
	"io"
	"time"

	"github.com/crewjam/saml"
)

// AuthnRequest is a login request ready to send to the IdP.
type AuthnRequest struct {
	// ID must be kept with the browser's login state: the response's InResponseTo must name it,
	// and it may be used once.
	ID      string
	Binding BindingType
	// RedirectURL is where to send the browser (HTTP-Redirect binding): the IdP's SSO URL with the
	// deflated request, the RelayState and, when requests are signed, SigAlg and Signature.
	RedirectURL string
	// PostForm is an HTML document that posts the request to the IdP (HTTP-POST binding); when
	// requests are signed the XML carries an enveloped signature.
	PostForm []byte
}

// newID returns a SAML ID (xs:ID: must not start with a digit) of 20 random bytes.
func newID(random io.Reader) (string, error) {
	b := make([]byte, 20)
	if _, err := io.ReadFull(random, b); err != nil {
		return "", fmt.Errorf("read random id: %w", err)
	}
	return "id-" + hex.EncodeToString(b), nil
}

// buildAuthnRequest makes the request XML, signing it (enveloped) only for the POST binding:
// HTTP-Redirect signs the query string instead (saml-bindings §3.4.4.1).
func (sp *ServiceProvider) buildAuthnRequest(random io.Reader, now time.Time) (
	*saml.AuthnRequest, error) {
	id, err := newID(random)
	if err != nil {
		return nil, err
	}
	c := sp.crewjam(now, nil)
	signWith := c.SignatureMethod
	c.SignatureMethod = "" // the library would sign before the ID is replaced
	binding := saml.HTTPPostBinding
	if sp.cfg.IdpBindingType == BindingRedirect {
		binding = saml.HTTPRedirectBinding
	}
	ssoURL := sp.cfg.IdpSingleSignOnServiceURL
	req, err := c.MakeAuthenticationRequest(ssoURL, binding, saml.HTTPPostBinding)
	if err != nil {
		return nil, fmt.Errorf("make authn request: %w", err)
	}
	req.ID = id
	// NameIDPolicy as the official server sends it: the configured format (none when not
	// configured) and AllowCreate unless the format is transient. crewjam would default to
	// transient, which makes a new identity on every login (field report F4).
	allowCreate := sp.cfg.SpNameIDFormat != NameIDTransient
	format := sp.cfg.SpNameIDFormat.URI()
	req.NameIDPolicy = &saml.NameIDPolicy{AllowCreate: &allowCreate}
	if format != "" {
		req.NameIDPolicy.Format = &format
	}
	if signWith != "" && binding == saml.HTTPPostBinding {
		c.SignatureMethod = signWith
		if err := c.SignAuthnRequest(req); err != nil {
			return nil, fmt.Errorf("sign authn request: %w", err)
		}
	}
	return req, nil
}

// MakeAuthnRequest starts an SP-initiated login with the configured binding. relayState (at most
// 80 bytes, saml-bindings §3.4.3) comes back with the response; cspNonce, if set, is put on the
// POST form's script element. random supplies the request ID and now its IssueInstant.
func (sp *ServiceProvider) MakeAuthnRequest(random io.Reader, now time.Time,
	relayState, cspNonce string) (*AuthnRequest, error) {
	if len(relayState) > saml.MaxRelayStateLength {
		return nil, fmt.Errorf("relay state is longer than %d bytes", saml.MaxRelayStateLength)
	}
	req, err := sp.buildAuthnRequest(random, now)
	if err != nil {
		return nil, err
	}
	out := &AuthnRequest{ID: req.ID, Binding: sp.cfg.IdpBindingType}
	if sp.cfg.IdpBindingType == BindingRedirect {
		u, err := req.Redirect(relayState, sp.crewjam(now, nil))
		if err != nil {
			return nil, fmt.Errorf("encode redirect authn request: %w", err)
		}
		out.RedirectURL = u.String()
		return out, nil
	}
	out.PostForm = req.PostWithNonce(relayState, cspNonce)
	return out, nil
}
