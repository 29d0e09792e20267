package identity_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/castellan-vault/castellan/internal/app"
	"github.com/castellan-vault/castellan/internal/clock"
	"github.com/castellan-vault/castellan/internal/identity"
	"github.com/castellan-vault/castellan/internal/identity/identitytest"
	"github.com/castellan-vault/castellan/internal/storage"
	"github.com/castellan-vault/castellan/internal/storage/storagetest"
)

// newEnvAlg wires castellan on db signing with alg.
func newEnvAlg(t testing.TB, db *storage.DB, alg string) *identitytest.Env {
	t.Helper()
	return identitytest.New(t, db, app.AccountSettings{TokenSigningAlg: alg})
}

// header returns the decoded JOSE header of a compact token.
func header(t *testing.T, token string) (alg, kid string) {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(strings.Split(token, ".")[0])
	if err != nil {
		t.Fatal(err)
	}
	var h struct{ Alg, Kid string }
	if err := json.Unmarshal(raw, &h); err != nil {
		t.Fatal(err)
	}
	return h.Alg, h.Kid
}

func jwks(t *testing.T, e *identitytest.Env) jose.JSONWebKeySet {
	t.Helper()
	var set jose.JSONWebKeySet
	if w := e.Do("GET", "/identity/.well-known/jwks", nil); json.Unmarshal(w.Body.Bytes(), &set) != nil {
		t.Fatalf("JWKS: %d %s", w.Code, w.Body)
	}
	return set
}

func TestSigningAlgorithms(t *testing.T) {
	kty := map[string]string{identity.AlgRS256: "RSA", identity.AlgES256: "EC", identity.AlgEdDSA: "OKP"}
	for _, alg := range identity.Algorithms() {
		t.Run(alg, func(t *testing.T) {
			e := newEnvAlg(t, storagetest.OpenFresh(t, storagetest.Engines()[0]), alg)
			_, tok := e.RegisterAndLogin(t, "ada@example.com", "pw")
			gotAlg, kid := header(t, tok.AccessToken)
			if gotAlg != alg {
				t.Fatalf("token alg %s, want %s", gotAlg, alg)
			}
			if authedGet(e, "/api/accounts/revision-date", tok.AccessToken).Code != 200 {
				t.Fatal("the API refused the token")
			}
			w := e.Do("GET", "/identity/.well-known/jwks", nil)
			if !strings.Contains(w.Body.String(), `"kty":"`+kty[alg]+`"`) || strings.Contains(w.Body.String(), `"d"`) {
				t.Fatalf("JWKS: %s", w.Body)
			}
			set := jwks(t, e)
			if len(set.Keys) != 1 || set.Keys[0].KeyID != kid || set.Keys[0].Algorithm != alg {
				t.Fatalf("JWKS keys: %+v", set.Keys)
			}
			m := decode(t, e.Do("GET", "/identity/.well-known/openid-configuration", nil))
			if algs, _ := m["id_token_signing_alg_values_supported"].([]any); len(algs) != 1 || algs[0] != alg {
				t.Fatalf("discovery algs: %v", m["id_token_signing_alg_values_supported"])
			}
		})
	}
}

// TestAlgorithmSwitchKeepsSessions restarts castellan on the same database with another algorithm,
// as an operator changing CASTELLAN_TOKEN_SIGNING_ALG would: tokens of the old algorithm keep
// working until they expire, refresh tokens carry on, new tokens use the new algorithm, and the
// JWKS publishes both keys. Switching back signs with the old key again rather than making one.
func TestAlgorithmSwitchKeepsSessions(t *testing.T) {
	db := storagetest.OpenFresh(t, storagetest.Engines()[0])
	before := newEnvAlg(t, db, identity.AlgRS256)
	a, old := before.RegisterAndLogin(t, "ada@example.com", "pw")
	_, oldKID := header(t, old.AccessToken)

	after := newEnvAlg(t, db, identity.AlgEdDSA)
	if authedGet(after, "/api/accounts/revision-date", old.AccessToken).Code != 200 {
		t.Fatal("the switch logged the RS256 session out")
	}
	w := after.Token(url.Values{"grant_type": {"refresh_token"}, "client_id": {"cli"},
		"refresh_token": {old.RefreshToken}})
	if w.Code != 200 {
		t.Fatalf("refresh across the switch: %d %s", w.Code, w.Body)
	}
	var refreshed identitytest.Tokens
	if err := json.Unmarshal(w.Body.Bytes(), &refreshed); err != nil {
		t.Fatal(err)
	}
	fresh := after.Login(t, a)
	for _, tok := range []string{refreshed.AccessToken, fresh.AccessToken} {
		if alg, _ := header(t, tok); alg != identity.AlgEdDSA {
			t.Fatalf("new token signed %s, want EdDSA", alg)
		}
		if authedGet(after, "/api/accounts/revision-date", tok).Code != 200 {
			t.Fatal("new EdDSA token refused")
		}
	}
	set := jwks(t, after)
	if len(set.Keys) != 2 || set.Keys[0].Algorithm != identity.AlgRS256 ||
		set.Keys[1].Algorithm != identity.AlgEdDSA {
		t.Fatalf("JWKS after the switch: %+v", set.Keys)
	}
	m := decode(t, after.Do("GET", "/identity/.well-known/openid-configuration", nil))
	algs, _ := m["id_token_signing_alg_values_supported"].([]any)
	if len(algs) != 2 || algs[0] != "EdDSA" || algs[1] != "RS256" {
		t.Fatalf("discovery algs: %v", m["id_token_signing_alg_values_supported"])
	}

	// A process still on RS256 (a rolling change) learns the new key at its next reload.
	before.Clock.Advance(31 * time.Second)
	if authedGet(before, "/api/accounts/revision-date", fresh.AccessToken).Code != 200 {
		t.Fatal("an RS256 process refused the EdDSA token of its neighbour")
	}

	// The old token still expires on time.
	after.Clock.Advance(time.Hour + time.Minute)
	if authedGet(after, "/api/accounts/revision-date", old.AccessToken).Code != 401 {
		t.Fatal("an expired RS256 token was accepted")
	}

	back := newEnvAlg(t, db, identity.AlgRS256)
	if _, kid := header(t, back.Login(t, a).AccessToken); kid != oldKID {
		t.Fatalf("switching back signed with %s, want the RS256 key %s", kid, oldKID)
	}
	if n := len(jwks(t, back).Keys); n != 2 {
		t.Fatalf("switching back made a key: %d keys", n)
	}
}

// TestVerifierAcceptsOnlyHeldAlgorithms forges tokens with the real claims (and, where it helps
// the forger, the server's own private key read from the database) under every algorithm rule.
func TestVerifierAcceptsOnlyHeldAlgorithms(t *testing.T) {
	for _, alg := range []string{identity.AlgRS256, identity.AlgEdDSA} {
		t.Run(alg, func(t *testing.T) {
			e := newEnvAlg(t, storagetest.OpenFresh(t, storagetest.Engines()[0]), alg)
			_, tok := e.RegisterAndLogin(t, "ada@example.com", "pw")
			_, kid := header(t, tok.AccessToken)
			payload, err := base64.RawURLEncoding.DecodeString(strings.Split(tok.AccessToken, ".")[1])
			if err != nil {
				t.Fatal(err)
			}
			own := serverKey(t, e.DB, kid)
			ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
			_, ed, _ := ed25519.GenerateKey(rand.Reader)
			pubDER, _ := x509.MarshalPKIXPublicKey(own.Public())
			pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
			ok := func(token string) bool {
				return authedGet(e, "/api/accounts/revision-date", token).Code == 200
			}
			if !ok(forge(t, jose.SignatureAlgorithm(alg), own, kid, payload)) {
				t.Fatal("a token signed correctly with the server's key was refused: the forger is broken")
			}
			cases := map[string]string{
				// The public key as an HMAC secret: the classic RS/HS confusion.
				"HS256WithPublicKey": forge(t, jose.HS256, pubPEM, kid, payload),
				"HS256WithKeyDER":    forge(t, jose.HS256, pubDER, kid, payload),
				// Another algorithm on the held kid, signed by a key castellan does not hold.
				"ES256OnHeldKid": forge(t, jose.ES256, ec, kid, payload),
				"EdDSAOnHeldKid": forge(t, jose.EdDSA, ed, kid, payload),
				// Keys castellan does not hold, under their own kids.
				"UnheldES256Key": forge(t, jose.ES256, ec, "attacker", payload),
				"UnheldEdDSAKey": forge(t, jose.EdDSA, ed, "attacker", payload),
			}
			if alg == identity.AlgRS256 {
				// The server's own RSA key, but with another RSA algorithm than its alg says.
				cases["PS256WithServerKey"] = forge(t, jose.PS256, own, kid, payload)
				cases["RS512WithServerKey"] = forge(t, jose.RS512, own, kid, payload)
			}
			for name, bad := range cases {
				t.Run(name, func(t *testing.T) {
					if _, err := e.App.Verifier.Verify(context.Background(), bad); err == nil || !isInvalid(err) {
						t.Fatalf("Verify accepted or mis-wrapped: %v", err)
					}
					if ok(bad) {
						t.Fatal("the API accepted it")
					}
				})
			}
		})
	}
}

// serverKey reads the private signing key kid from the database.
func serverKey(t *testing.T, db *storage.DB, kid string) crypto.Signer {
	t.Helper()
	keys, err := identity.SQLStore{DB: db}.SigningKeys(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(keys, func(k identity.SigningKey) bool { return k.KID == kid })
	if i < 0 {
		t.Fatalf("no key %s", kid)
	}
	block, _ := pem.Decode([]byte(keys[i].PrivateKey))
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return key.(crypto.Signer)
}

// forge signs payload with key under alg and kid.
func forge(t *testing.T, alg jose.SignatureAlgorithm, key any, kid string, payload []byte) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: jose.JSONWebKey{Key: key, KeyID: kid}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatalf("signer %s: %v", alg, err)
	}
	obj, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	out, err := obj.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestStoredKeyMustMatchItsAlgorithm refuses to start on a key whose alg column and key type
// disagree, or whose algorithm castellan does not know, rather than verifying with it.
func TestStoredKeyMustMatchItsAlgorithm(t *testing.T) {
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecDER, _ := x509.MarshalPKCS8PrivateKey(ec)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	p384DER, _ := x509.MarshalPKCS8PrivateKey(p384)
	for name, k := range map[string]identity.SigningKey{
		"ECKeyLabelledRS256":    {KID: "a", Alg: "RS256", PrivateKey: pemOf(ecDER)},
		"ECKeyLabelledEdDSA":    {KID: "b", Alg: "EdDSA", PrivateKey: pemOf(ecDER)},
		"P384KeyLabelledES256":  {KID: "c", Alg: "ES256", PrivateKey: pemOf(p384DER)},
		"UnknownAlgorithm":      {KID: "d", Alg: "HS256", PrivateKey: pemOf(ecDER)},
		"ES256KeyLabelledES384": {KID: "e", Alg: "ES384", PrivateKey: pemOf(ecDER)},
	} {
		t.Run(name, func(t *testing.T) {
			db := storagetest.OpenFresh(t, storagetest.Engines()[0])
			store := identity.SQLStore{DB: db}
			k.CreatedAt = t0
			if err := store.AddSigningKey(context.Background(), k); err != nil {
				t.Fatal(err)
			}
			_, err := identity.NewKeyRing(context.Background(), store, clock.NewFake(t0), rand.Reader,
				identity.AlgES256)
			if err == nil {
				t.Fatal("the key ring loaded a mislabelled key")
			}
		})
	}
	t.Run("UnknownConfiguredAlgorithm", func(t *testing.T) {
		db := storagetest.OpenFresh(t, storagetest.Engines()[0])
		_, err := identity.NewKeyRing(context.Background(), identity.SQLStore{DB: db}, clock.NewFake(t0),
			rand.Reader, "HS256")
		if err == nil {
			t.Fatal("HS256 accepted as a signing algorithm")
		}
	})
}

func pemOf(der []byte) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}
