package oidcrp

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/castellan-vault/castellan/internal/provision"
	"github.com/castellan-vault/castellan/internal/secret"
)

// signIn runs Start, the provider's login and Finish, with edit applied to the callback.
func signIn(t *testing.T, op *testOP, rp *RP, cfg Config, edit func(cb url.Values, f *Flow),
) (*Result, error) {
	t.Helper()
	a, err := rp.Start(context.Background(), cfg, testRedirect)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	cb := op.authorize(a)
	flow := a.Flow
	if edit != nil {
		edit(cb, &flow)
	}
	return rp.Finish(context.Background(), cfg, flow, cb)
}

func TestFinishHappyPath(t *testing.T) {
	op := newTestOP(t)
	res, err := signIn(t, op, op.rp(), op.config(), nil)
	if err != nil {
		t.Fatalf("Finish: %v (%v)", err, errors.Unwrap(err))
	}
	if res.Subject != "user-1" || res.Issuer != op.issuer() || res.Email != "alice@example.com" ||
		!res.EmailVerified {
		t.Fatalf("result %+v", res)
	}
	for _, want := range []provision.Claim{{Type: "sub", Value: "user-1"},
		{Type: "name", Value: "Alice Adams"}, {Type: "email_verified", Value: "true"}} {
		if !slices.Contains(res.Claims, want) {
			t.Errorf("claims %v lack %v", res.Claims, want)
		}
	}
	for _, c := range res.Claims {
		if protocolClaims[c.Type] {
			t.Errorf("protocol claim %q in the claims", c.Type)
		}
	}
	id, err := provision.Resolve(res.Assertion(), provision.ClaimConfig{}, nil)
	if err != nil || id.ExternalID != "user-1" || !id.EmailVerified || id.Name != "Alice Adams" {
		t.Fatalf("provision identity %+v, %v", id, err)
	}
}

func TestFinishMergesUserInfo(t *testing.T) {
	op := newTestOP(t)
	cfg := op.config()
	cfg.GetClaimsFromUserInfo = true
	res, err := signIn(t, op, op.rp(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []provision.Claim{{Type: "groups", Value: "eng"}, {Type: "groups", Value: "ops"},
		{Type: "employee_number", Value: "12345678901234567"}} {
		if !slices.Contains(res.Claims, want) {
			t.Errorf("claims %v lack %v", res.Claims, want)
		}
	}
	if n := countType(res.Claims, "email"); n != 1 {
		t.Errorf("%d email claims after merging the same address twice", n)
	}
	if len(res.EmailStatements) != 2 || !res.EmailVerified {
		t.Errorf("statements %v verified %v", res.EmailStatements, res.EmailVerified)
	}
}

func countType(cs []provision.Claim, typ string) int {
	n := 0
	for _, c := range cs {
		if c.Type == typ {
			n++
		}
	}
	return n
}

// refusalCase breaks one protocol check.
type refusalCase struct {
	name  string
	setup func(op *testOP, cfg *Config)
	edit  func(cb url.Values, f *Flow)
	want  *Error
}

func idTokenRefusalCases(t *testing.T) []refusalCase {
	otherKey := otherRSAKey()
	claim := func(k string, v any) func(op *testOP, cfg *Config) {
		return func(op *testOP, _ *Config) { op.idClaims = func(c map[string]any) { c[k] = v } }
	}
	return []refusalCase{
		{name: "bad signature (another key under the published kid)",
			setup: func(op *testOP, _ *Config) { op.signWith = otherKey }, want: ErrSignature},
		{name: "unsigned token (alg none)",
			setup: func(op *testOP, _ *Config) { op.rawIDToken = unsignedJWT }, want: ErrSignature},
		{name: "HMAC token keyed with the client secret (algorithm confusion)",
			setup: func(op *testOP, _ *Config) { op.rawIDToken = hmacJWT(t) }, want: ErrSignature},
		{name: "wrong issuer", setup: claim("iss", "https://evil.example.test"), want: ErrIssuer},
		{name: "wrong audience", setup: claim("aud", "another-client"), want: ErrAudience},
		{name: "several audiences without azp", setup: claim("aud", []string{testClientID, "another"}),
			want: ErrAudience},
		{name: "azp names another client", setup: claim("azp", "another-client"), want: ErrAudience},
		{name: "expired token", setup: func(op *testOP, _ *Config) {
			op.idClaims = func(c map[string]any) { c["exp"] = op.clock.Now().Add(-time.Second).Unix() }
		}, want: ErrExpired},
		{name: "token not valid yet (nbf beyond the skew)", setup: func(op *testOP, _ *Config) {
			op.idClaims = func(c map[string]any) { c["nbf"] = op.clock.Now().Add(time.Hour).Unix() }
		}, want: ErrExpired},
		{name: "nonce mismatch", setup: claim("nonce", "other-nonce"), want: ErrNonce},
		{name: "nonce missing", setup: func(op *testOP, _ *Config) {
			op.idClaims = func(c map[string]any) { delete(c, "nonce") }
		}, want: ErrNonce},
		{name: "no subject", setup: claim("sub", ""), want: ErrNoSubject},
		{name: "at_hash of another access token", setup: claim("at_hash", atHash("other")),
			want: ErrAccessTokenHash},
	}
}

func callbackRefusalCases() []refusalCase {
	return []refusalCase{
		{name: "state mismatch", edit: set("state", "forged"), want: ErrState},
		{name: "state missing from the callback", edit: del("state"), want: ErrState},
		{name: "flow of another organization", edit: func(_ url.Values, f *Flow) { f.OrgID = "org-2" },
			want: ErrState},
		{name: "replayed state: the flow record was already consumed",
			edit: func(_ url.Values, f *Flow) { *f = Flow{} }, want: ErrState},
		{name: "wrong code verifier (provider rejects)",
			edit: func(_ url.Values, f *Flow) { f.CodeVerifier = secret.String(strings.Repeat("x", 43)) },
			want: ErrTokenExchange},
		{name: "missing code verifier (provider rejects)",
			edit: func(_ url.Values, f *Flow) { f.CodeVerifier = "" }, want: ErrTokenExchange},
		{name: "redirect URI differs from the authorization request (provider rejects)",
			edit: func(_ url.Values, f *Flow) { f.RedirectURI += "x" }, want: ErrTokenExchange},
		{name: "wrong iss parameter", edit: set("iss", "https://evil.example.test"), want: ErrIssuerParam},
		{name: "two iss parameters", want: ErrIssuerParam,
			edit: func(cb url.Values, _ *Flow) { cb.Add("iss", "https://evil.example.test") }},
		{name: "iss parameter missing though advertised",
			setup: advertiseIss, edit: del("iss"), want: ErrIssuerParam},
		{name: "provider error access_denied", edit: providerError("access_denied"),
			want: &Error{Kind: KindProviderError, ProviderCode: "access_denied"}},
		{name: "provider error with an unknown code is not echoed", edit: providerError("<script>"),
			want: ErrProviderError},
		{name: "provider error from another issuer is an issuer error", edit: func(cb url.Values, f *Flow) {
			providerError("access_denied")(cb, f)
			cb.Set("iss", "https://evil.example.test")
		}, want: ErrIssuerParam},
		{name: "callback without code", edit: del("code"), want: ErrMissingCode},
		{name: "token response without id_token", setup: func(op *testOP, _ *Config) {
			op.tokenResp = func(r map[string]any) { delete(r, "id_token") }
		}, want: ErrMissingIDToken},
		{name: "userinfo for another subject", setup: func(op *testOP, cfg *Config) {
			cfg.GetClaimsFromUserInfo = true
			op.userinfo = func(c map[string]any) { c["sub"] = "user-2" }
		}, want: ErrUserInfoSubject},
		{name: "userinfo without subject", setup: func(op *testOP, cfg *Config) {
			cfg.GetClaimsFromUserInfo = true
			op.userinfo = func(c map[string]any) { delete(c, "sub") }
		}, want: ErrUserInfoSubject},
		{name: "expected ACR missing", setup: func(_ *testOP, cfg *Config) { cfg.ExpectedACR = "mfa" },
			want: ErrACR},
		{name: "expected ACR differs", setup: func(op *testOP, cfg *Config) {
			cfg.ExpectedACR = "mfa"
			op.idClaims = func(c map[string]any) { c["acr"] = "pwd" }
		}, want: ErrACR},
	}
}

func set(k, v string) func(cb url.Values, _ *Flow) {
	return func(cb url.Values, _ *Flow) { cb.Set(k, v) }
}

func del(k string) func(cb url.Values, _ *Flow) {
	return func(cb url.Values, _ *Flow) { cb.Del(k) }
}

func advertiseIss(op *testOP, _ *Config) {
	op.discovery = func(d map[string]any) { d["authorization_response_iss_parameter_supported"] = true }
}

func providerError(code string) func(cb url.Values, _ *Flow) {
	return func(cb url.Values, _ *Flow) {
		cb.Del("code")
		cb.Set("error", code)
		cb.Set("error_description", "user said no")
	}
}

func unsignedJWT(claims map[string]any) string {
	return b64json(map[string]any{"alg": "none", "typ": "JWT", "kid": "k1"}) + "." + b64json(claims) + "."
}

// hmacJWT signs with HS256 keyed by the client secret: what a confused verifier would accept.
func hmacJWT(t *testing.T) func(map[string]any) string {
	return func(claims map[string]any) string {
		signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: []byte(testSecret)}, nil)
		if err != nil {
			t.Fatal(err)
		}
		obj, err := signer.Sign(jsonOf(claims))
		if err != nil {
			t.Fatal(err)
		}
		s, _ := obj.CompactSerialize()
		return s
	}
}

func jsonOf(v map[string]any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func b64json(v map[string]any) string { return base64.RawURLEncoding.EncodeToString(jsonOf(v)) }

func TestFinishRefusesBrokenChecks(t *testing.T) {
	for _, tc := range append(idTokenRefusalCases(t), callbackRefusalCases()...) {
		t.Run(tc.name, func(t *testing.T) {
			op := newTestOP(t)
			cfg := op.config()
			if tc.setup != nil {
				tc.setup(op, &cfg)
			}
			res, err := signIn(t, op, op.rp(), cfg, tc.edit)
			if res != nil || !errors.Is(err, tc.want) {
				t.Fatalf("got %v (cause %v), want %v", err, errors.Unwrap(err), tc.want)
			}
			assertNoLeak(t, err)
		})
	}
}

// assertNoLeak checks that neither the public message nor the logged form of a refusal holds a
// secret or the provider's free text.
func assertNoLeak(t *testing.T, err error) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("%T is not an *Error", err)
	}
	var logged strings.Builder
	slog.New(slog.NewTextHandler(&logged, nil)).Info("x", "err", e)
	for _, s := range []string{e.Error(), e.Public(), logged.String()} {
		if strings.Contains(s, testSecret) {
			t.Fatalf("secret leaked: %s", s)
		}
	}
	if strings.Contains(e.Public(), "user said no") || strings.Contains(e.Public(), "script") {
		t.Fatalf("provider text in the public message: %s", e.Public())
	}
}

func TestFinishRefusesAFlowOfAnotherSignIn(t *testing.T) {
	op := newTestOP(t)
	rp, cfg := op.rp(), op.config()
	first, err := rp.Start(context.Background(), cfg, testRedirect)
	if err != nil {
		t.Fatal(err)
	}
	second, err := rp.Start(context.Background(), cfg, testRedirect)
	if err != nil {
		t.Fatal(err)
	}
	cb := op.authorize(first)
	if _, err := rp.Finish(context.Background(), cfg, second.Flow, cb); !errors.Is(err, ErrState) {
		t.Fatalf("callback of the first sign-in with the second's flow: %v", err)
	}
	if op.count("token") != 0 {
		t.Fatal("the code was exchanged before the state was checked")
	}
}

func TestFinishRefusesAnExpiredFlow(t *testing.T) {
	op := newTestOP(t)
	rp, cfg := op.rp(), op.config()
	a, err := rp.Start(context.Background(), cfg, testRedirect)
	if err != nil {
		t.Fatal(err)
	}
	cb := op.authorize(a)
	op.clock.Advance(DefaultFlowLifetime)
	if _, err := rp.Finish(context.Background(), cfg, a.Flow, cb); !errors.Is(err, ErrState) {
		t.Fatalf("expired flow: %v", err)
	}
	if op.count("token") != 0 {
		t.Fatal("the code of an expired flow was exchanged")
	}
}

func TestFinishCodeIsRedeemedOnce(t *testing.T) {
	op := newTestOP(t)
	rp, cfg := op.rp(), op.config()
	a, err := rp.Start(context.Background(), cfg, testRedirect)
	if err != nil {
		t.Fatal(err)
	}
	cb := op.authorize(a)
	if _, err := rp.Finish(context.Background(), cfg, a.Flow, cb); err != nil {
		t.Fatal(err)
	}
	if _, err := rp.Finish(context.Background(), cfg, a.Flow, cb); !errors.Is(err, ErrTokenExchange) {
		t.Fatalf("second redemption: %v", err)
	}
}

func TestFinishAcceptsIssAbsentWhenNotAdvertised(t *testing.T) {
	op := newTestOP(t)
	if _, err := signIn(t, op, op.rp(), op.config(), del("iss")); err != nil {
		t.Fatal(err)
	}
}

func TestFinishExpectedACR(t *testing.T) {
	op := newTestOP(t)
	cfg := op.config()
	cfg.ExpectedACR, cfg.AcrValues = "mfa", "mfa"
	op.idClaims = func(c map[string]any) { c["acr"] = "mfa" }
	res, err := signIn(t, op, op.rp(), cfg, nil)
	if err != nil || res.ACR != "mfa" {
		t.Fatalf("%+v %v", res, err)
	}
}

func TestFinishClientSecretPost(t *testing.T) {
	op := newTestOP(t)
	op.discovery = func(d map[string]any) {
		d["token_endpoint_auth_methods_supported"] = []string{"client_secret_post"}
	}
	if _, err := signIn(t, op, op.rp(), op.config(), nil); err != nil {
		t.Fatal(err)
	}
}

func TestFinishES256(t *testing.T) {
	op := newTestOPES256(t)
	if _, err := signIn(t, op, op.rp(), op.config(), nil); err != nil {
		t.Fatal(err)
	}
}
