package sso_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/castellan-vault/castellan/internal/adminclient"
	"github.com/castellan-vault/castellan/internal/orgs"
	"github.com/castellan-vault/castellan/internal/storage/storagetest"
	"github.com/castellan-vault/castellan/internal/testpeers"
)

// ssoPath is the configuration route of the test organization.
func (e *env) ssoPath() string { return "/api/organizations/" + e.orgID + "/sso" }

// adminToken returns the administrator's access token (through a password login).
func (e *env) adminToken() string {
	e.t.Helper()
	_, tr := e.passwordLogin(e.admin.Account())
	if tr.AccessToken == "" {
		e.t.Fatal("admin login failed")
	}
	return tr.AccessToken
}

// TestConfigResponse: the official shape, the urls block derived from the public URL, and a
// client secret that is never sent back.
func TestConfigResponse(t *testing.T) {
	e := newEnv(t)
	raw := e.call(e.adminToken(), "GET", e.ssoPath(), nil, nil, http.StatusOK)
	if strings.Contains(string(raw), opSecret) {
		t.Fatalf("the configuration holds the client secret: %s", raw)
	}
	var got struct {
		Object     string
		Enabled    bool
		Identifier string
		Data       map[string]any
		URLs       map[string]string `json:"urls"`
	}
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	base := e.srv.URL
	want := map[string]string{"callbackPath": base + "/sso/oidc/callback",
		"signedOutCallbackPath": base + "/sso/oidc/signed-out", "spEntityIdStatic": base + "/sso/saml",
		"spEntityId": base + "/sso/saml/" + e.orgID, "spMetadataUrl": base + "/sso/saml/" + e.orgID + "/metadata",
		"spAcsUrl": base + "/sso/saml/" + e.orgID + "/acs"}
	for k, v := range want {
		if got.URLs[k] != v {
			t.Errorf("urls.%s = %q, want %q", k, got.URLs[k], v)
		}
	}
	if got.Object != "organizationSso" || !got.Enabled || got.Identifier != identifier ||
		got.Data["configType"] != 1.0 || got.Data["authority"] != e.op.issuer() || got.Data["clientId"] != opClientID ||
		got.Data["clientSecret"] != nil || got.Data["clientSecretSet"] != true {
		t.Errorf("configuration %s", raw)
	}
}

// TestConfigKeepsSecretWhenLeftEmpty: re-saving without the secret (as a form that cannot show it
// does) keeps it: sign-ins still work.
func TestConfigKeepsSecretWhenLeftEmpty(t *testing.T) {
	e := newEnv(t)
	cfg, err := e.admin.SSO(e.ctx, e.orgID)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Data["additionalScopes"] = "groups"
	if _, err := e.admin.SetSSO(e.ctx, e.orgID, *cfg, ""); err != nil {
		t.Fatal(err)
	}
	e.login()
	if _, err := e.admin.SetSSO(e.ctx, e.orgID, *cfg, "a-new-secret"); err != nil {
		t.Fatal(err)
	}
	before := e.snapshot()
	e.assertPage(e.browser().signIn(cliClient()), http.StatusBadRequest, pageTokenExchange)
	e.assertUnchanged(before)
}

// TestConfigValidation: per-field messages in the official error body, under the official keys
// (Data.Authority: the property path in OrganizationSsoRequestModel), and nothing stored. Scopes
// and ACR values are RFC 6749 scope-tokens: printable ASCII without spaces, double quotes or
// backslashes. Every engine, since a refusal must leave each database unchanged.
func TestConfigValidation(t *testing.T) {
	for _, eng := range storagetest.Engines() {
		t.Run(eng.Name, func(t *testing.T) {
			t.Parallel()
			testConfigValidation(t, newEnvOn(t, storagetest.OpenFresh(t, eng)))
		})
	}
}

func testConfigValidation(t *testing.T, e *env) {
	token := e.adminToken()
	base := func() map[string]any {
		return map[string]any{"configType": 1, "authority": "https://idp.example.com", "clientId": "c",
			"clientSecret": "s"}
	}
	cases := []struct {
		name  string
		edit  func(d map[string]any)
		ident string
		field string
	}{
		{"AuthorityMissing", func(d map[string]any) { delete(d, "authority") }, identifier, "Data.Authority"},
		{"AuthorityHTTP", func(d map[string]any) { d["authority"] = "http://idp.example.com" }, identifier, "Data.Authority"},
		{"AuthorityUserinfo", func(d map[string]any) { d["authority"] = "https://u:p@idp.example.com" }, identifier,
			"Data.Authority"},
		{"MetadataHTTP", func(d map[string]any) { d["metadataAddress"] = "http://x.example/m" }, identifier,
			"Data.MetadataAddress"},
		{"ClientIDMissing", func(d map[string]any) { d["clientId"] = " " }, identifier, "Data.ClientId"},
		{"RedirectBehavior", func(d map[string]any) { d["redirectBehavior"] = 7 }, identifier, "Data.RedirectBehavior"},
		{"ScopeWithSpace", func(d map[string]any) { d["additionalScopes"] = "a b" }, identifier, "Data.AdditionalScopes"},
		{"ScopeWithQuote", func(d map[string]any) { d["additionalScopes"] = `openid,"><script>` }, identifier,
			"Data.AdditionalScopes"},
		{"ScopeWithBackslash", func(d map[string]any) { d["additionalScopes"] = `groups,a\b` }, identifier,
			"Data.AdditionalScopes"},
		{"ScopeNotASCII", func(d map[string]any) { d["additionalScopes"] = "grüppen" }, identifier,
			"Data.AdditionalScopes"},
		{"AcrWithQuote", func(d map[string]any) { d["acrValues"] = `mfa "x"` }, identifier, "Data.AcrValues"},
		{"ExpectedAcrTwoValues", func(d map[string]any) { d["expectedReturnAcrValue"] = "mfa pwd" }, identifier,
			"Data.ExpectedReturnAcrValue"},
		{"KeyConnector", func(d map[string]any) { d["keyConnectorEnabled"] = true }, identifier,
			"Data.MemberDecryptionType"},
		{"TrustedDevices", func(d map[string]any) { d["memberDecryptionType"] = 2 }, identifier,
			"Data.MemberDecryptionType"},
		{"UnknownType", func(d map[string]any) { d["configType"] = 3 }, identifier, "Data.ConfigType"},
		{"SAMLIncomplete", func(d map[string]any) { d["configType"] = 2 }, identifier, "Data.IdpEntityId"},
		{"IdentifierMissing", func(map[string]any) {}, "", "Identifier"},
		{"IdentifierSpaces", func(map[string]any) {}, "ac me", "Identifier"},
		{"IdentifierLong", func(map[string]any) {}, strings.Repeat("x", 51), "Identifier"},
		{"IdentifierLongEmoji", func(map[string]any) {}, strings.Repeat("😀", 26), "Identifier"},
		{"IdentifierQuery", func(map[string]any) {}, "acme?x=1", "Identifier"},
		{"IdentifierPath", func(map[string]any) {}, "../x", "Identifier"},
		{"IdentifierSlash", func(map[string]any) {}, "ac/me", "Identifier"},
		{"IdentifierPercent", func(map[string]any) {}, "ac%2Fme", "Identifier"},
		{"IdentifierLeadingDot", func(map[string]any) {}, ".acme", "Identifier"},
		{"IdentifierNonASCII", func(map[string]any) {}, "acmé", "Identifier"},
	}
	before := e.call(token, "GET", e.ssoPath(), nil, nil, http.StatusOK)
	for _, tc := range cases {
		d := base()
		tc.edit(d)
		raw := e.call(token, "POST", e.ssoPath(), map[string]any{"enabled": true, "identifier": tc.ident, "data": d},
			nil, http.StatusBadRequest)
		var body struct{ ValidationErrors map[string][]string }
		if json.Unmarshal(raw, &body) != nil || len(body.ValidationErrors[tc.field]) == 0 {
			t.Errorf("%s: want a message for %s: %s", tc.name, tc.field, raw)
		}
	}
	if after := e.call(token, "GET", e.ssoPath(), nil, nil, http.StatusOK); string(after) != string(before) {
		t.Errorf("a refused save changed the configuration:\n%s\n%s", before, after)
	}
	// Scope-tokens may hold any other printable ASCII (URL-shaped scopes, colons, brackets).
	d := base()
	d["additionalScopes"], d["acrValues"], d["expectedReturnAcrValue"] =
		"groups, https://graph.microsoft.com/User.Read,api:read,<b>", "urn:mace:incommon:iap:silver mfa", "mfa"
	e.call(token, "POST", e.ssoPath(), map[string]any{"enabled": true, "identifier": identifier, "data": d}, nil,
		http.StatusOK)
}

// TestConfigSAML: a SAML configuration is validated by samlsp and stored with its official fields.
func TestConfigSAML(t *testing.T) {
	e := newEnv(t)
	kp := testpeers.NewKeyPair(t, "idp.example.com")
	cfg, err := e.admin.SetSSO(e.ctx, e.orgID, adminclient.SSOConfig{Enabled: true, Identifier: "acme-saml",
		Data: map[string]any{"configType": 2, "idpEntityId": "https://idp.example.com/saml",
			"idpSingleSignOnServiceUrl": "https://idp.example.com/sso", "idpBindingType": 1,
			"idpX509PublicCert": kp.CertBase64(), "spNameIdFormat": 7}}, "")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Int("configType") != 2 || cfg.String("idpEntityId") != "https://idp.example.com/saml" ||
		cfg.Int("spNameIdFormat") != 7 || cfg.Bool("clientSecretSet") || cfg.Identifier != "acme-saml" {
		t.Errorf("saved SAML configuration %+v", cfg)
	}
}

// TestConfigAccess: only owners, admins and custom members with manageSso; everyone else 404, so
// that the organization's existence is not revealed.
func TestConfigAccess(t *testing.T) {
	e := newEnv(t)
	for _, m := range []struct {
		email string
		role  orgs.Role
		perms orgs.Permissions
		want  int
	}{
		{"user@example.com", orgs.RoleUser, orgs.Permissions{}, http.StatusNotFound},
		{"custom@example.com", orgs.RoleCustom, orgs.Permissions{ManageUsers: true}, http.StatusNotFound},
		{"sso@example.com", orgs.RoleCustom, orgs.Permissions{ManageSso: true}, http.StatusOK},
		{"outsider@example.com", 99, orgs.Permissions{}, http.StatusNotFound},
	} {
		r := e.register(m.email)
		if m.role != 99 { // 99: not a member
			e.addMember(orgs.Member{UserID: e.userID(m.email), Status: orgs.StatusConfirmed, Type: m.role,
				Permissions: m.perms})
		}
		_, tr := e.passwordLogin(r.account)
		e.call(tr.AccessToken, "GET", e.ssoPath(), nil, nil, m.want)
		if m.want == http.StatusNotFound {
			e.call(tr.AccessToken, "POST", e.ssoPath(), map[string]any{"enabled": false, "identifier": "x",
				"data": map[string]any{"configType": 1}}, nil, http.StatusNotFound)
		}
	}
	e.call(e.adminToken(), "GET", "/api/organizations/not-a-guid/sso", nil, nil, http.StatusNotFound)
}

// TestConfigIdentifierTaken: another organization's identifier, in any case, is refused and the
// configuration stays as it was (the official server saves first and fails after).
func TestConfigIdentifierTaken(t *testing.T) {
	e := newEnv(t)
	beta, err := e.admin.CreateOrganization(e.ctx, adminclient.NewOrganization{Name: "Beta", BillingEmail: "admin@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.admin.SetSSO(e.ctx, beta.ID, adminclient.SSOConfig{Enabled: true, Identifier: "ACME",
		Data: map[string]any{"configType": 1, "authority": e.op.issuer(), "clientId": "beta"}}, "beta-secret")
	var apiErr *adminclient.APIError
	if !errorsAs(err, &apiErr) || apiErr.Status != http.StatusBadRequest || apiErr.ValidationErrors["Identifier"] == nil {
		t.Fatalf("taken identifier: %v", err)
	}
	var n int
	e.db.QueryRowContext(e.ctx, `SELECT COUNT(*) FROM sso_configs WHERE organization_id = ?`, beta.ID).Scan(&n)
	if n != 0 {
		t.Errorf("the refused configuration was stored")
	}
}

// TestConfigEvents: turning SSO on and off is audited.
func TestConfigEvents(t *testing.T) {
	e := newEnv(t)
	cfg, _ := e.admin.SSO(e.ctx, e.orgID)
	cfg.Enabled = false
	if _, err := e.admin.SetSSO(e.ctx, e.orgID, *cfg, ""); err != nil {
		t.Fatal(err)
	}
	if e.events(1604) != 1 || e.events(1605) != 1 {
		t.Errorf("EnabledSso %d, DisabledSso %d", e.events(1604), e.events(1605))
	}
}

func errorsAs(err error, target **adminclient.APIError) bool { return errors.As(err, target) }
