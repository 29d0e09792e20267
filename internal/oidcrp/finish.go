package oidcrp

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// Finish completes a sign-in from the provider's callback parameters (the query of the redirect)
// and the flow Start returned, which the caller has loaded for this browser and deleted. In
// order it checks: state, the RFC 9207 iss parameter, an error answer, the code exchange with the
// PKCE verifier, the ID token (signature, issuer, audience, expiry, nonce, at_hash), userinfo's
// subject when userinfo is used, and the expected ACR. It returns the verified claims.
func (rp *RP) Finish(ctx context.Context, cfg Config, flow Flow, callback url.Values) (*Result, error) {
	if err := checkState(flow, callback); err != nil {
		return nil, err
	}
	if flow.OrgID != cfg.OrgID {
		return nil, errorf(KindState, "flow belongs to another organization")
	}
	if !rp.clock.Now().Before(flow.ExpiresAt) {
		return nil, errorf(KindState, "flow expired at %s", flow.ExpiresAt.Format(time.RFC3339))
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	p, err := rp.provider(ctx, cfg)
	if err != nil {
		return nil, err
	}
	code, err := checkCallback(p, callback)
	if err != nil {
		return nil, err
	}
	tok, err := rp.exchange(ctx, cfg, p, flow, code)
	if err != nil {
		return nil, err
	}
	res, err := rp.verifyTokens(ctx, cfg, p, flow, tok)
	if err != nil {
		return nil, err
	}
	rp.logger.InfoContext(ctx, "oidc sign-in verified", "org_id", cfg.OrgID,
		"userinfo", cfg.GetClaimsFromUserInfo, "claim_count", len(res.Claims))
	return res, nil
}

// checkState compares the callback's state with the flow's in constant time. A flow that was
// already used is gone from storage, so the caller passes a zero Flow and this refuses it.
func checkState(flow Flow, q url.Values) error {
	want, got := flow.State.Reveal(), q.Get("state")
	if want == "" || got == "" {
		return errorf(KindState, "state missing from flow or callback")
	}
	if subtle.ConstantTimeCompare([]byte(want), []byte(got)) != 1 {
		return errorf(KindState, "state does not match the flow")
	}
	return nil
}

// checkCallback checks the iss parameter (RFC 9207 §2.4: on success and error answers alike;
// required when the provider advertises it), then turns an error answer into KindProviderError,
// and returns the code.
func checkCallback(p *provider, q url.Values) (string, error) {
	if iss, ok := q["iss"]; ok {
		if len(iss) != 1 || iss[0] != p.issuer {
			return "", errorf(KindIssuerParam, "iss parameter %q is not the issuer %q", iss, p.issuer)
		}
	} else if p.issParameter {
		return "", errorf(KindIssuerParam, "iss parameter missing though the provider advertises it")
	}
	if code := q.Get("error"); code != "" {
		e := errorf(KindProviderError, "provider answered error %q: %q",
			clip(code), clip(q.Get("error_description")))
		e.ProviderCode = safeCode(code)
		return "", e
	}
	code := q.Get("code")
	if code == "" {
		return "", errorf(KindMissingCode, "callback has neither code nor error")
	}
	return code, nil
}

// exchange redeems the code with the PKCE verifier and the client secret.
func (rp *RP) exchange(ctx context.Context, cfg Config, p *provider, flow Flow, code string,
) (*oauth2.Token, error) {
	ctx, cancel := context.WithTimeout(oidc.ClientContext(ctx, rp.client), rp.timeout)
	defer cancel()
	oc := rp.oauth2Config(cfg, p, flow.RedirectURI)
	tok, err := oc.Exchange(ctx, code, oauth2.VerifierOption(flow.CodeVerifier.Reveal()))
	if err == nil {
		return tok, nil
	}
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		// Only the status and the error code go to the log: the body is the provider's.
		e := errorf(KindTokenExchange, "token endpoint answered %d %q", re.Response.StatusCode, re.ErrorCode)
		e.ProviderCode = safeCode(re.ErrorCode)
		return nil, e
	}
	return nil, errorf(KindTokenExchange, "token request: %w", err)
}

// verifyTokens checks the ID token and the rest of the token response, then gathers the claims.
func (rp *RP) verifyTokens(ctx context.Context, cfg Config, p *provider, flow Flow, tok *oauth2.Token,
) (*Result, error) {
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return nil, errorf(KindMissingIDToken, "token response has no id_token")
	}
	idt, err := rp.verifyIDToken(ctx, cfg, p, raw)
	if err != nil {
		return nil, err
	}
	if err := checkNonce(idt, flow); err != nil {
		return nil, err
	}
	if idt.AccessTokenHash != "" {
		if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
			return nil, errorf(KindAccessTokenHash, "at_hash: %w", err)
		}
	}
	res, err := idTokenResult(idt)
	if err != nil {
		return nil, err
	}
	if cfg.ExpectedACR != "" && res.ACR != cfg.ExpectedACR {
		return nil, errorf(KindACR, "acr %q is not the expected %q", res.ACR, cfg.ExpectedACR)
	}
	if cfg.GetClaimsFromUserInfo {
		if err := rp.addUserInfo(ctx, p, tok, res); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// verifyIDToken runs go-oidc's verification (signature with the provider's keys and accepted
// algorithms, issuer, audience, expiry and not-before against the RP's clock), then castellan's
// own: a subject, and azp (OpenID Connect Core §3.1.3.7 steps 4-5).
func (rp *RP) verifyIDToken(ctx context.Context, cfg Config, p *provider, raw string) (*oidc.IDToken, error) {
	v := oidc.NewVerifier(p.issuer, p.keys, &oidc.Config{ClientID: cfg.ClientID,
		SupportedSigningAlgs: p.algs, Now: rp.clock.Now})
	failure := &keyFailure{}
	idt, err := v.Verify(context.WithValue(ctx, keyFailureKey{}, failure), raw)
	if err != nil {
		if unreachable(failure.err) {
			return nil, newError(KindDiscovery, fmt.Errorf("fetch provider keys: %w", failure.err))
		}
		return nil, classifyVerifyError(err, raw, p.issuer, cfg.ClientID, rp.clock.Now())
	}
	if idt.Subject == "" {
		return nil, errorf(KindNoSubject, "id token has no sub")
	}
	var extra struct {
		AZP string `json:"azp"`
	}
	if err := idt.Claims(&extra); err != nil {
		return nil, errorf(KindSignature, "decode id token claims: %w", err)
	}
	if (len(idt.Audience) > 1 || extra.AZP != "") && extra.AZP != cfg.ClientID {
		return nil, errorf(KindAudience, "azp %q is not the client id", extra.AZP)
	}
	return idt, nil
}

// unreachable reports whether a key set failure was a failure to reach the provider.
func unreachable(err error) bool {
	var ue *url.Error
	return err != nil && (errors.As(err, &ue) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, context.Canceled) || errors.Is(err, errResponseTooLarge))
}

// classifyVerifyError names the check go-oidc refused. go-oidc checks the signature first, so a
// token whose content is in order failed on its signature or form. The content is only read,
// unverified, to pick the message; the token is refused either way.
func classifyVerifyError(err error, raw, issuer, clientID string, now time.Time) *Error {
	var expired *oidc.TokenExpiredError
	if errors.As(err, &expired) {
		return newError(KindExpired, fmt.Errorf("verify id token: %w", err))
	}
	var c struct {
		Issuer   string          `json:"iss"`
		Audience json.RawMessage `json:"aud"`
		NotAfter *float64        `json:"nbf"`
	}
	if unverifiedPayload(raw, &c) {
		switch {
		case c.Issuer != issuer:
			return newError(KindIssuer, fmt.Errorf("verify id token: %w", err))
		case !audienceHas(c.Audience, clientID):
			return newError(KindAudience, fmt.Errorf("verify id token: %w", err))
		case c.NotAfter != nil && time.Unix(int64(*c.NotAfter), 0).After(now):
			return newError(KindExpired, fmt.Errorf("verify id token: %w", err))
		}
	}
	return newError(KindSignature, fmt.Errorf("verify id token: %w", err))
}

func unverifiedPayload(raw string, v any) bool {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return false
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	return err == nil && json.Unmarshal(b, v) == nil
}

func audienceHas(raw json.RawMessage, clientID string) bool {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return one == clientID
	}
	var many []string
	return json.Unmarshal(raw, &many) == nil && slices.Contains(many, clientID)
}

func checkNonce(idt *oidc.IDToken, flow Flow) error {
	want := flow.Nonce.Reveal()
	if want == "" || subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(want)) != 1 {
		return errorf(KindNonce, "id token nonce does not match the flow")
	}
	return nil
}

// addUserInfo fetches userinfo with the access token and merges its claims after the ID
// token's. Its sub must be the ID token's (OpenID Connect Core §5.3.4), else it is about someone
// else and the sign-in is refused.
func (rp *RP) addUserInfo(ctx context.Context, p *provider, tok *oauth2.Token, res *Result) error {
	if !p.userInfo {
		return errorf(KindUserInfo, "provider has no userinfo endpoint")
	}
	ctx, cancel := context.WithTimeout(oidc.ClientContext(ctx, rp.client), rp.timeout)
	defer cancel()
	ui, err := p.oidc.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil {
		return errorf(KindUserInfo, "userinfo: %w", err)
	}
	if ui.Subject != res.Subject {
		return errorf(KindUserInfoSubject, "userinfo sub differs from the id token's")
	}
	var doc map[string]json.RawMessage
	if err := ui.Claims(&doc); err != nil {
		return errorf(KindUserInfo, "decode userinfo: %w", err)
	}
	res.merge(doc)
	return nil
}

// clip shortens text that comes from the callback before it goes to the log.
func clip(s string) string {
	const max = 200
	if len(s) > max {
		return s[:max] + "..."
	}
	return s
}
