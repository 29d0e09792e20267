package identity_test

import (
	"context"
	"encoding/base64"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/castellan-vault/castellan/internal/auth"
	"github.com/castellan-vault/castellan/internal/identity/identitytest"
)

func TestVerifier(t *testing.T) {
	e := newEnv(t)
	_, tok := e.RegisterAndLogin(t, "ada@example.com", "pw")
	ok := func(token string) bool { return authedGet(e, "/api/accounts/revision-date", token).Code == 200 }
	if !ok(tok.AccessToken) {
		t.Fatal("fresh token refused")
	}
	parts := strings.Split(tok.AccessToken, ".")
	claims, _ := base64.RawURLEncoding.DecodeString(parts[1])
	forged := base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(claims), `"premium":true`,
		`"premium":false`, 1)))
	noneHeader := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`))
	for name, bad := range map[string]string{
		"Empty":          "",
		"Garbage":        "not.a.jwt",
		"TamperedClaims": parts[0] + "." + forged + "." + parts[2],
		"AlgNone":        noneHeader + "." + parts[1] + ".",
		"Oversized":      strings.Repeat("a", 10000),
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := e.App.Verifier.Verify(context.Background(), bad); err == nil || !isInvalid(err) {
				t.Fatalf("Verify accepted or mis-wrapped: %v", err)
			}
			if ok(bad) {
				t.Fatal("the API accepted it")
			}
		})
	}
	t.Run("Expired", func(t *testing.T) {
		e.Clock.Advance(time.Hour + time.Minute)
		defer e.Clock.Advance(-(time.Hour + time.Minute))
		if ok(tok.AccessToken) {
			t.Fatal("expired token accepted")
		}
	})
	t.Run("SecurityStampChanged", func(t *testing.T) {
		if err := e.App.Accounts.RotateSecurityStamp(context.Background(), subject(t, tok.AccessToken)); err != nil {
			t.Fatal(err)
		}
		if ok(tok.AccessToken) {
			t.Fatal("token with the old stamp accepted")
		}
		w := e.Token(url.Values{"grant_type": {"refresh_token"}, "client_id": {"cli"}, "refresh_token": {tok.RefreshToken}})
		if w.Code != 400 || decode(t, w)["error"] != "invalid_grant" {
			t.Fatalf("refresh after a stamp change: %d %s", w.Code, w.Body)
		}
	})
}

func isInvalid(err error) bool { return errors.Is(err, auth.ErrInvalidToken) }

func TestKeyRotationAndJWKS(t *testing.T) {
	e := newEnv(t)
	_, before := e.RegisterAndLogin(t, "ada@example.com", "pw")
	if err := e.App.Identity.Keys().Rotate(context.Background()); err != nil {
		t.Fatal(err)
	}
	var set jose.JSONWebKeySet
	w := e.Do("GET", "/identity/.well-known/jwks", nil)
	if err := jsonUnmarshal(w.Body.Bytes(), &set); err != nil || len(set.Keys) != 2 {
		t.Fatalf("JWKS after rotation: %d %s", w.Code, w.Body)
	}
	if strings.Contains(w.Body.String(), `"d"`) {
		t.Fatal("the JWKS publishes private key material")
	}
	after := e.Login(t, identitytest.NewAccount(t, "ada@example.com", "pw"))
	if kid(before.AccessToken) == kid(after.AccessToken) {
		t.Fatal("the new key does not sign")
	}
	for _, tok := range []string{before.AccessToken, after.AccessToken} {
		if authedGet(e, "/api/accounts/revision-date", tok).Code != 200 {
			t.Fatal("a token signed by an unretired key was refused")
		}
	}
	m := decode(t, e.Do("GET", "/identity/.well-known/openid-configuration", nil))
	if m["issuer"] != "https://vault.example.test/identity" ||
		m["jwks_uri"] != "https://vault.example.test/identity/.well-known/jwks" {
		t.Fatalf("discovery: %v", m)
	}
}

func kid(token string) string {
	h, _ := base64.RawURLEncoding.DecodeString(strings.Split(token, ".")[0])
	var v struct{ Kid string }
	_ = jsonUnmarshal(h, &v)
	return v.Kid
}
