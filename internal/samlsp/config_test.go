package samlsp

import (
	"encoding/json"
	"encoding/pem"
	"slices"
	"strings"
	"testing"
)

func TestNormalizeCertificateForms(t *testing.T) {
	fixtures(t)
	der := idp.cert.Raw
	b64 := idp.certB64()
	pemText := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	wrapped := ""
	for i := 0; i < len(b64); i += 64 {
		wrapped += b64[i:min(i+64, len(b64))] + "\r\n"
	}
	urlSafe := strings.TrimRight(strings.NewReplacer("+", "-", "/", "_").Replace(b64), "=")
	for name, in := range map[string]string{"bare base64": b64, "pem": pemText, "wrapped": "  " + wrapped,
		"base64url without padding": urlSafe} {
		t.Run(name, func(t *testing.T) {
			c := testConfig()
			c.IdpX509PublicCert = in
			c.Normalize()
			if c.IdpX509PublicCert != b64 {
				t.Fatalf("normalized to %q, want bare base64 DER", c.IdpX509PublicCert)
			}
		})
	}
}

func TestNormalizeDefaults(t *testing.T) {
	c := Config{IdpBindingType: 0, IdpEntityID: "  https://idp/  "}
	c.Normalize()
	if c.IdpBindingType != BindingPost || c.SpOutboundSigningAlgorithm != AlgRSASHA256 ||
		c.IdpEntityID != "https://idp/" {
		t.Fatalf("normalized = %+v", c)
	}
}

func ssoURL(u string) func(*Config) { return func(c *Config) { c.IdpSingleSignOnServiceURL = u } }

func TestValidate(t *testing.T) {
	fixtures(t)
	if errs := testConfig().Validate(); errs != nil {
		t.Fatalf("valid configuration refused: %v", errs)
	}
	tests := []struct {
		field string
		edit  func(*Config)
	}{
		{"idpEntityId", func(c *Config) { c.IdpEntityID = "" }},
		{"idpEntityId", func(c *Config) { c.IdpEntityID = strings.Repeat("x", 1025) }},
		{"idpSingleSignOnServiceUrl", func(c *Config) { c.IdpSingleSignOnServiceURL = "" }},
		{"idpSingleSignOnServiceUrl", ssoURL("ftp://idp/sso")},
		{"idpSingleSignOnServiceUrl", ssoURL("/relative")},
		{"idpSingleSignOnServiceUrl", ssoURL(`https://idp/"><script>`)},
		{"idpSingleSignOnServiceUrl", ssoURL("https://u:p@idp/sso")},
		{"idpSingleLogoutServiceUrl", func(c *Config) { c.IdpSingleLogoutServiceURL = "javascript:x" }},
		{"idpBindingType", func(c *Config) { c.IdpBindingType = 3 }},
		{"idpX509PublicCert", func(c *Config) { c.IdpX509PublicCert = "" }},
		{"idpX509PublicCert", func(c *Config) { c.IdpX509PublicCert = "bm90IGEgY2VydA==" }},
		{"idpOutboundSigningAlgorithm", func(c *Config) { c.IdpOutboundSigningAlgorithm = AlgRSASHA1 }},
		{"spOutboundSigningAlgorithm", func(c *Config) { c.SpOutboundSigningAlgorithm = "hmac" }},
		{"spMinIncomingSigningAlgorithm", func(c *Config) { c.SpMinIncomingSigningAlgorithm = "md5" }},
		{"spNameIdFormat", func(c *Config) { c.SpNameIDFormat = 9 }},
		{"spSigningBehavior", func(c *Config) { c.SpSigningBehavior = 2 }},
	}
	for _, tt := range tests {
		t.Run(tt.field, func(t *testing.T) {
			c := testConfig()
			tt.edit(&c)
			errs := c.Validate()
			if len(errs[tt.field]) != 1 || len(errs) != 1 {
				t.Fatalf("errors = %v, want one for %s", errs, tt.field)
			}
		})
	}
}

func TestConfigJSONNames(t *testing.T) {
	b, err := json.Marshal(Config{})
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	var got []string
	for k := range m {
		got = append(got, k)
	}
	slices.Sort(got)
	want := []string{"idpAllowUnsolicitedAuthnResponse", "idpBindingType",
		"idpDisableOutboundLogoutRequests", "idpEntityId", "idpOutboundSigningAlgorithm",
		"idpSingleLogoutServiceUrl", "idpSingleSignOnServiceUrl", "idpWantAuthnRequestsSigned",
		"idpX509PublicCert", "spMinIncomingSigningAlgorithm", "spNameIdFormat",
		"spOutboundSigningAlgorithm", "spSigningBehavior", "spUniqueEntityId", "spValidateCertificates",
		"spWantAssertionsSigned"}
	if !slices.Equal(got, want) {
		t.Fatalf("json names = %v\nwant %v", got, want)
	}
}

func TestSigningBehavior(t *testing.T) {
	for _, tt := range []struct {
		behavior SigningBehavior
		idpWants bool
		want     bool
	}{
		{SignIfIdpWantAuthnRequestsSigned, false, false}, {SignIfIdpWantAuthnRequestsSigned, true, true},
		{SignAlways, false, true}, {SignNever, true, false},
	} {
		c := Config{SpSigningBehavior: tt.behavior, IdpWantAuthnRequestsSigned: tt.idpWants}
		if got := c.signsAuthnRequests(); got != tt.want {
			t.Errorf("behavior %d, idp wants %v: signs = %v", tt.behavior, tt.idpWants, got)
		}
	}
}

func TestNewEndpoints(t *testing.T) {
	ep, err := NewEndpoints("https://vault.example.test/base/", "org-1", true)
	if err != nil {
		t.Fatal(err)
	}
	want := Endpoints{EntityID: "https://vault.example.test/base/sso/saml/org-1",
		MetadataURL: "https://vault.example.test/base/sso/saml/org-1/metadata",
		ACSURL:      "https://vault.example.test/base/sso/saml/org-1/acs",
		SLOURL:      "https://vault.example.test/base/sso/saml/org-1/slo"}
	if ep != want {
		t.Fatalf("endpoints = %+v", ep)
	}
	static, err := NewEndpoints("https://vault.example.test", "org-1", false)
	if err != nil || static.EntityID != "https://vault.example.test/sso/saml" {
		t.Fatalf("static entity id = %q, %v", static.EntityID, err)
	}
	for _, bad := range [][2]string{{"vault.example.test", "o"}, {"https://v/?q=1", "o"}, {"https://v", ""},
		{"https://v", "a/b"}, {"https://v", ".."}, {"https://u@v", "o"}} {
		if _, err := NewEndpoints(bad[0], bad[1], true); err == nil {
			t.Errorf("NewEndpoints(%q, %q) accepted", bad[0], bad[1])
		}
	}
}
