package samlsp

import (
	"bytes"
	"compress/flate"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/crewjam/saml"
)

// LogoutRequest is a verified logout request from the IdP (IdP-initiated single logout).
type LogoutRequest struct {
	ID             string // answer with MakeLogoutResponse(ID, ...)
	NameID         string
	NameIDFormat   string
	SessionIndexes []string
	RelayState     string
}

// LogoutSubject names the session to end at the IdP: the NameID (with its qualifiers) and
// session index of the login's Assertion.
type LogoutSubject struct {
	NameID          string
	NameIDFormat    string
	NameQualifier   string
	SPNameQualifier string
	SessionIndex    string
}

// LogoutMessage is an outbound logout request or response for the configured binding.
type LogoutMessage struct {
	ID          string // for a request: the ID the IdP's LogoutResponse must answer
	RedirectURL string // HTTP-Redirect binding
	PostForm    []byte // HTTP-POST binding
}

// ErrNoSingleLogout is returned by MakeLogoutRequest when the configuration has no IdP single
// logout URL or disables outbound logout requests.
var ErrNoSingleLogout = errors.New("single logout to the idp is not configured")

// ParseLogoutRequest verifies an IdP's LogoutRequest received at the SLO URL, on the HTTP-Redirect
// binding (GET, signed query or enveloped signature) or HTTP-POST (enveloped signature). It must
// be signed by the configured certificate with an algorithm at or above the minimum, addressed to
// the SLO URL, recent, from the configured issuer, and seen once.
func (sp *ServiceProvider) ParseLogoutRequest(ctx context.Context, r *http.Request, now time.Time) (
	*LogoutRequest, error) {
	relay, err := sp.precheckLogout(r, "SAMLRequest")
	if err != nil {
		return nil, err
	}
	v := sp.newVerifier(now)
	lr, err := sp.crewjam(now, v).ValidateLogoutRequest(r)
	if err != nil {
		return nil, classify(err)
	}
	if lr.NameID == nil {
		return nil, errorf(KindNoSubject, "logout request has no NameID")
	}
	deadline := lr.IssueInstant.Add(saml.MaxIssueDelay)
	seen, err := sp.opts.ReplayCache.Seen(ctx, "logout:"+lr.ID, deadline)
	if err != nil {
		return nil, newError(KindInternal, fmt.Errorf("record logout request id: %w", err))
	}
	if seen {
		return nil, errorf(KindReplayed, "logout request %q was already used", lr.ID)
	}
	out := &LogoutRequest{ID: lr.ID, NameID: lr.NameID.Value, NameIDFormat: lr.NameID.Format,
		RelayState: relay}
	for _, si := range lr.AllSessionIndexes() {
		out.SessionIndexes = append(out.SessionIndexes, si.Value)
	}
	return out, nil
}

// ParseLogoutResponse verifies the IdP's answer to a LogoutRequest this browser sent (its ID in
// allowedRequestIDs) and returns the ID it answers. A status other than success is an error of
// kind KindStatus.
func (sp *ServiceProvider) ParseLogoutResponse(r *http.Request, allowedRequestIDs []string,
	now time.Time) (string, error) {
	if _, err := sp.precheckLogout(r, "SAMLResponse"); err != nil {
		return "", err
	}
	resp, err := sp.crewjam(now, sp.newVerifier(now)).ParseLogoutResponse(r, allowedRequestIDs)
	if err != nil {
		return "", classify(err)
	}
	return resp.InResponseTo, nil
}

func (sp *ServiceProvider) newVerifier(now time.Time) *verifier {
	return &verifier{minStrength: sp.minStrength(), cert: sp.idpCert,
		checkDates: sp.cfg.SpValidateCertificates, now: now}
}

// precheckLogout bounds and screens a logout message before crewjam reads it: the artifact binding
// and HTTP-POST-SimpleSign are refused, a posted body is read with a size limit, a query
// signature's algorithm must meet the minimum, and a message on the HTTP-Redirect binding is
// inflated once here with a limit (Options.MaxRedirectBytes), so that a deflate bomb costs at most
// that much. It returns the RelayState.
func (sp *ServiceProvider) precheckLogout(r *http.Request, param string) (string, error) {
	q := r.URL.Query()
	if q.Has("SAMLart") {
		return "", errorf(KindUnsupportedBinding, "artifact binding is refused")
	}
	if q.Get(param) != "" {
		return q.Get("RelayState"), sp.precheckRedirect(r.URL.RawQuery, q, param)
	}
	if r.Method != http.MethodPost {
		return "", errorf(KindMalformed, "no %s in the query of a %s request", param, r.Method)
	}
	limit := int64(base64.StdEncoding.EncodedLen(sp.opts.MaxResponseBytes))*105/100 + 8<<10
	r.Body = http.MaxBytesReader(nil, r.Body, limit)
	if err := r.ParseForm(); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return "", errorf(KindTooLarge, "posted form is larger than %d bytes", limit)
		}
		return "", errorf(KindMalformed, "parse posted form: %w", err)
	}
	if r.PostForm.Has("SAMLart") {
		return "", errorf(KindUnsupportedBinding, "artifact binding is refused")
	}
	if r.PostForm.Has("SigAlg") || r.PostForm.Has("Signature") {
		return "", errorf(KindUnsupportedBinding, "HTTP-POST-SimpleSign is not supported")
	}
	if n := len(r.PostForm[param]); n != 1 {
		return "", errorf(KindMalformed, "form has %d %s fields, want 1", n, param)
	}
	if _, err := sp.decodePosted(r.PostForm.Get(param)); err != nil {
		return "", err
	}
	return r.PostForm.Get("RelayState"), nil
}

// precheckRedirect bounds the query, applies the SigAlg floor and inflates the message once with
// the limit.
func (sp *ServiceProvider) precheckRedirect(rawQuery string, q url.Values, param string) error {
	if len(rawQuery) > 2*base64.StdEncoding.EncodedLen(sp.opts.MaxRedirectBytes) {
		return errorf(KindTooLarge, "redirect query is %d bytes", len(rawQuery))
	}
	if alg := q.Get("SigAlg"); alg != "" && algStrength[alg] < sp.minStrength() {
		return errorf(KindAlgorithm, "SigAlg %q is below the configured minimum", alg)
	}
	_, err := inflateBounded(q.Get(param), sp.opts.MaxRedirectBytes)
	return err
}

// inflateBounded decodes an HTTP-Redirect binding message (base64 of raw DEFLATE) and inflates at
// most limit bytes of it; a message that inflates to more is refused as too large.
func inflateBounded(encoded string, limit int) ([]byte, error) {
	raw, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		return nil, errorf(KindMalformed, "decode redirect message base64: %w", err)
	}
	fr := flate.NewReader(bytes.NewReader(raw))
	defer fr.Close()
	out, err := io.ReadAll(io.LimitReader(fr, int64(limit)+1))
	if err != nil {
		return nil, errorf(KindMalformed, "inflate redirect message: %w", err)
	}
	if len(out) > limit {
		return nil, errorf(KindTooLarge, "redirect message inflates to more than %d bytes", limit)
	}
	return out, nil
}

// MakeLogoutRequest starts SP-initiated single logout for the session in subject, on the
// configured binding, signed with the outbound algorithm (saml-profiles §4.4.3.1 requires it).
// random supplies the request ID, which the caller keeps to match the IdP's LogoutResponse.
func (sp *ServiceProvider) MakeLogoutRequest(random io.Reader, now time.Time, subject LogoutSubject,
	relayState string) (*LogoutMessage, error) {
	if sp.cfg.IdpSingleLogoutServiceURL == "" || sp.cfg.IdpDisableOutboundLogoutRequests {
		return nil, ErrNoSingleLogout
	}
	id, err := newID(random)
	if err != nil {
		return nil, err
	}
	c := sp.crewjam(now, nil)
	signWith := c.LogoutSignatureMethod
	c.LogoutSignatureMethod, c.SignatureMethod = "", "" // sign after the ID and NameID are set
	req, err := c.MakeLogoutRequest(sp.cfg.IdpSingleLogoutServiceURL, subject.NameID,
		saml.WithSessionIndex(subject.SessionIndex))
	if err != nil {
		return nil, fmt.Errorf("make logout request: %w", err)
	}
	req.ID = id
	req.NameID = &saml.NameID{Value: subject.NameID, Format: subject.NameIDFormat,
		NameQualifier: subject.NameQualifier, SPNameQualifier: subject.SPNameQualifier}
	c.LogoutSignatureMethod = signWith
	if sp.cfg.IdpBindingType == BindingRedirect {
		u, err := c.RedirectLogoutRequestURL(req, relayState)
		if err != nil {
			return nil, fmt.Errorf("encode redirect logout request: %w", err)
		}
		return &LogoutMessage{ID: id, RedirectURL: u.String()}, nil
	}
	if err := c.SignLogoutRequest(req); err != nil {
		return nil, fmt.Errorf("sign logout request: %w", err)
	}
	return &LogoutMessage{ID: id, PostForm: req.Post(relayState)}, nil
}

// MakeLogoutResponse answers an IdP's LogoutRequest with success, on the configured binding,
// signed. Its own ID comes from crewjam's random source: nothing needs to remember it.
func (sp *ServiceProvider) MakeLogoutResponse(requestID, relayState string, now time.Time) (
	*LogoutMessage, error) {
	if sp.cfg.IdpSingleLogoutServiceURL == "" {
		return nil, ErrNoSingleLogout
	}
	c := sp.crewjam(now, nil)
	if sp.cfg.IdpBindingType == BindingRedirect {
		u, err := c.MakeRedirectLogoutResponse(requestID, relayState)
		if err != nil {
			return nil, fmt.Errorf("make redirect logout response: %w", err)
		}
		return &LogoutMessage{RedirectURL: u.String()}, nil
	}
	form, err := c.MakePostLogoutResponse(requestID, relayState)
	if err != nil {
		return nil, fmt.Errorf("make post logout response: %w", err)
	}
	return &LogoutMessage{PostForm: form}, nil
}
