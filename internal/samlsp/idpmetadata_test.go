package samlsp

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func idpMetadataXML(entityID, cert string, wantSigned bool) string {
	return fmt.Sprintf(`<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#"
    entityID="%s">
  <md:IDPSSODescriptor WantAuthnRequestsSigned="%v"
      protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="encryption">
      <ds:KeyInfo><ds:X509Data><ds:X509Certificate>bm90IHVzZWQ=</ds:X509Certificate></ds:X509Data></ds:KeyInfo>
    </md:KeyDescriptor>
    <md:KeyDescriptor use="signing">
      <ds:KeyInfo><ds:X509Data><ds:X509Certificate>
        %s
      </ds:X509Certificate></ds:X509Data></ds:KeyInfo>
    </md:KeyDescriptor>
    <md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
        Location="https://idp.example.test/slo/redirect"/>
    <md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
        Location="https://idp.example.test/slo/post"/>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
        Location="https://idp.example.test/sso/redirect"/>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
        Location="https://idp.example.test/sso/post"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>`, entityID, wantSigned, cert)
}

func TestApplyIdPMetadata(t *testing.T) {
	fixtures(t)
	doc := []byte(idpMetadataXML(testIdPEntityID, idp.certB64(), true))
	t.Run("post preferred by default", func(t *testing.T) {
		var c Config
		if err := c.ApplyIdPMetadata(doc, ""); err != nil {
			t.Fatal(err)
		}
		c.Normalize()
		want := Config{IdpEntityID: testIdPEntityID, IdpBindingType: BindingPost,
			IdpSingleSignOnServiceURL: "https://idp.example.test/sso/post",
			IdpSingleLogoutServiceURL: "https://idp.example.test/slo/post", IdpX509PublicCert: idp.certB64(),
			IdpWantAuthnRequestsSigned: true, SpOutboundSigningAlgorithm: AlgRSASHA256}
		if c != want {
			t.Fatalf("config = %+v\nwant %+v", c, want)
		}
		if errs := c.Validate(); errs != nil {
			t.Fatalf("imported configuration is invalid: %v", errs)
		}
	})
	t.Run("configured redirect kept", func(t *testing.T) {
		c := Config{IdpBindingType: BindingRedirect, SpWantAssertionsSigned: true}
		if err := c.ApplyIdPMetadata(doc, ""); err != nil {
			t.Fatal(err)
		}
		if c.IdpBindingType != BindingRedirect || !c.SpWantAssertionsSigned ||
			c.IdpSingleSignOnServiceURL != "https://idp.example.test/sso/redirect" ||
			c.IdpSingleLogoutServiceURL != "https://idp.example.test/slo/redirect" {
			t.Fatalf("config = %+v", c)
		}
	})
	entity := func(id string, p *testIdP) string {
		return strings.TrimPrefix(idpMetadataXML(id, p.certB64(), false), `<?xml version="1.0"?>`)
	}
	aggregate := `<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata">` +
		entity("https://a.example.test/", idp) + `<md:EntitiesDescriptor>` +
		entity("https://b.example.test/", otherIdP) + `</md:EntitiesDescriptor></md:EntitiesDescriptor>`
	t.Run("aggregate by entity id", func(t *testing.T) {
		var c Config
		if err := c.ApplyIdPMetadata([]byte(aggregate), "https://b.example.test/"); err != nil {
			t.Fatal(err)
		}
		if c.IdpEntityID != "https://b.example.test/" || c.IdpX509PublicCert != otherIdP.certB64() {
			t.Fatalf("config = %+v", c)
		}
	})
	for name, tt := range map[string]struct{ doc, entity string }{
		"aggregate without entity id": {aggregate, ""},
		"unknown entity id":           {aggregate, "https://c.example.test/"},
		"not metadata":                {`<html><body>login</body></html>`, ""},
		"not xml":                     {`{"entityID": "x"}`, ""},
		"no signing certificate":      {strings.Replace(string(doc), `"signing"`, `"encryption"`, 1), ""},
		"no usable sso binding": {strings.ReplaceAll(strings.ReplaceAll(string(doc), "HTTP-Redirect", "SOAP"),
			"HTTP-POST", "PAOS"), ""},
	} {
		t.Run(name, func(t *testing.T) {
			var c Config
			if err := c.ApplyIdPMetadata([]byte(tt.doc), tt.entity); err == nil {
				t.Fatalf("accepted: %+v", c)
			}
		})
	}
}

func TestFetchIdPMetadata(t *testing.T) {
	fixtures(t)
	doc := idpMetadataXML(testIdPEntityID, idp.certB64(), false)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/metadata":
			fmt.Fprint(w, doc)
		case "/big":
			fmt.Fprint(w, strings.Repeat(" ", 2048))
		case "/hang":
			<-r.Context().Done()
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	ctx := context.Background()
	got, err := FetchIdPMetadata(ctx, srv.Client(), srv.URL+"/metadata", 0, 0)
	if err != nil || string(got) != doc {
		t.Fatalf("fetch = %d bytes, %v", len(got), err)
	}
	for name, tt := range map[string]struct {
		url     string
		max     int64
		timeout time.Duration
	}{
		"too large": {srv.URL + "/big", 1024, 0},
		"timeout":   {srv.URL + "/hang", 0, 20 * time.Millisecond},
		"not found": {srv.URL + "/nope", 0, 0},
		"file url":  {"file:///etc/passwd", 0, 0},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := FetchIdPMetadata(ctx, srv.Client(), tt.url, tt.max, tt.timeout); err == nil {
				t.Fatal("no error")
			}
		})
	}
}
