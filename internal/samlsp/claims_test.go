package samlsp

import (
	"slices"
	"testing"
)

func TestMapClaims(t *testing.T) {
	// Attributes as crewjam's samlidp names them (OIDs), plus a configured custom one.
	a := &Assertion{NameID: "_transient-77", NameIDFormat: FormatTransient, Attributes: []Attribute{
		{Name: "urn:oid:0.9.2342.19200300.100.1.3", FriendlyName: "mail",
			Values: []string{"alice@example.com"}},
		{Name: "urn:oid:2.5.4.3", FriendlyName: "cn", Values: []string{"Alice Example"}},
		{Name: "urn:oid:0.9.2342.19200300.100.1.1", FriendlyName: "uid", Values: []string{"alice"}},
		{Name: "urn:oid:1.3.6.1.4.1.5923.1.1.1.1", FriendlyName: "eduPersonAffiliation",
			Values: []string{"engineering", " ", "vault-admins"}},
		{Name: "employeeNumber", Values: []string{"E-1001"}},
		{Name: "workMail", Values: []string{"  "}},
	}}
	t.Run("defaults", func(t *testing.T) {
		c := MapClaims(a, AttributeNames{})
		check := map[string][]string{
			ClaimEmail: {"alice@example.com"}, ClaimName: {"Alice Example"}, ClaimUID: {"alice"},
			ClaimGroups: {"engineering", "vault-admins"}, ClaimNameID: {"_transient-77"},
			"urn:oid:0.9.2342.19200300.100.1.3": {"alice@example.com"}, "mail": {"alice@example.com"},
			"cn": {"Alice Example"}, "eduPersonAffiliation": {"engineering", "vault-admins"},
			"employeeNumber": {"E-1001"}, ClaimUPN: nil, "workMail": nil,
		}
		for typ, want := range check {
			if got := c.Values(typ); !slices.Equal(got, want) {
				t.Errorf("%s = %q, want %q", typ, got, want)
			}
		}
		if c.NameIDFormat != FormatTransient || c.NameID != "_transient-77" {
			t.Errorf("NameID %q format %q not passed on", c.NameID, c.NameIDFormat)
		}
		if c.List[0].Type != ClaimEmail {
			t.Errorf("canonical claims do not come first: %v", c.List[:2])
		}
	})
	t.Run("configured names first", func(t *testing.T) {
		c := MapClaims(a, AttributeNames{UserID: []string{"employeeNumber"},
			Email: []string{"workMail", "mail"}, Name: []string{"missing"}, Groups: []string{"uid"}})
		if got := c.Values(ClaimUID); !slices.Equal(got, []string{"E-1001"}) {
			t.Errorf("uid = %q", got)
		}
		// workMail is blank, so the next configured name (by FriendlyName) wins.
		if got := c.Values(ClaimEmail); !slices.Equal(got, []string{"alice@example.com"}) {
			t.Errorf("email = %q", got)
		}
		if got := c.Values(ClaimGroups); !slices.Equal(got, []string{"alice"}) {
			t.Errorf("groups = %q", got)
		}
	})
	t.Run("one OID does not stand in for another", func(t *testing.T) {
		only := &Assertion{NameID: "n", Attributes: []Attribute{
			{Name: "urn:oid:0.9.2342.19200300.100.1.3", Values: []string{"alice@example.com"}}}}
		if got := MapClaims(only, AttributeNames{}).Values(ClaimName); got != nil {
			t.Errorf("name = %q, want none (the official server would take the mail OID)", got)
		}
	})
}
