package oidcrp

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/castellan-vault/castellan/internal/provision"
)

// Result is a verified sign-in.
type Result struct {
	Issuer  string
	Subject string
	// Claims are the ID token's claims, then userinfo's that add something, as (type, value)
	// pairs: strings as they are, numbers and booleans as text, one pair per element of an array
	// of those; objects are left out, and so are the protocol claims (iss, aud, exp, nonce, ...).
	Claims []provision.Claim
	// Email is the ID token's email claim, else userinfo's; EmailVerified is true only when the
	// provider said email_verified=true next to that address, and never said false for it.
	Email         string
	EmailVerified bool
	// EmailStatements are all email_verified statements, per document, for provisioning.
	EmailStatements []provision.EmailStatement
	// ACR is the ID token's acr claim.
	ACR string
}

// Assertion is the input for provision.Resolve.
func (r *Result) Assertion() provision.Assertion {
	return provision.Assertion{Claims: r.Claims, EmailStatements: r.EmailStatements}
}

// protocolClaims say something about the token, not about the user.
var protocolClaims = map[string]bool{
	"iss": true, "aud": true, "exp": true, "iat": true, "nbf": true, "nonce": true, "at_hash": true,
	"c_hash": true, "s_hash": true, "azp": true, "auth_time": true, "jti": true, "sid": true,
	"_claim_names": true, "_claim_sources": true,
}

func idTokenResult(idt *oidc.IDToken) (*Result, error) {
	var doc map[string]json.RawMessage
	if err := idt.Claims(&doc); err != nil {
		return nil, errorf(KindSignature, "decode id token claims: %w", err)
	}
	res := &Result{Issuer: idt.Issuer, Subject: idt.Subject}
	res.ACR, _ = scalar(doc["acr"])
	res.merge(doc)
	return res, nil
}

// merge appends a document's claims that are not there yet, and its email statement.
func (r *Result) merge(doc map[string]json.RawMessage) {
	keys := make([]string, 0, len(doc))
	for k := range doc {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if protocolClaims[k] {
			continue
		}
		for _, v := range values(doc[k]) {
			c := provision.Claim{Type: k, Value: v}
			if !slices.Contains(r.Claims, c) {
				r.Claims = append(r.Claims, c)
			}
		}
	}
	email, _ := scalar(doc["email"])
	if email == "" {
		return
	}
	if r.Email == "" {
		r.Email = email
	}
	if raw, ok := doc["email_verified"]; ok {
		r.EmailStatements = append(r.EmailStatements,
			provision.EmailStatement{Email: email, Verified: isTrue(raw)})
	}
	r.EmailVerified = emailVerified(r.Email, r.EmailStatements)
}

// isTrue accepts JSON true and, as go-oidc does for some providers, the string "true".
func isTrue(raw json.RawMessage) bool {
	s, ok := scalar(raw)
	return ok && strings.EqualFold(s, "true")
}

func emailVerified(email string, stmts []provision.EmailStatement) bool {
	verified := false
	for _, s := range stmts {
		if strings.EqualFold(s.Email, email) {
			if !s.Verified {
				return false
			}
			verified = true
		}
	}
	return verified
}

// values flattens a claim value: a scalar, or an array of scalars.
func values(raw json.RawMessage) []string {
	if v, ok := scalar(raw); ok {
		return []string{v}
	}
	var arr []json.RawMessage
	if json.Unmarshal(raw, &arr) != nil {
		return nil
	}
	var out []string
	for _, el := range arr {
		if v, ok := scalar(el); ok {
			out = append(out, v)
		}
	}
	return out
}

// scalar renders a JSON string, number or boolean as text; numbers keep their exact digits.
func scalar(raw json.RawMessage) (string, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "", false
	}
	switch raw[0] {
	case '"':
		var s string
		return s, json.Unmarshal(raw, &s) == nil
	case 't', 'f':
		var b bool
		if json.Unmarshal(raw, &b) != nil {
			return "", false
		}
		if b {
			return "true", true
		}
		return "false", true
	case '{', '[', 'n':
		return "", false
	}
	var n json.Number
	if json.Unmarshal(raw, &n) != nil {
		return "", false
	}
	return n.String(), true
}
