package samlsp

import "strings"

// Claim is one (type, value) pair handed to provisioning. A multi-valued attribute gives several
// claims of the same type.
type Claim struct {
	Type  string
	Value string
}

// Claim types with a fixed meaning.
const (
	// ClaimNameID carries the NameID, under the WS-* name identifier type the official server uses
	// (and castellan's provisioning expects). Provisioning never uses it as the external ID when
	// Claims.NameIDFormat is transient (field report F4).
	ClaimNameID = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier"
	// Canonical types MapClaims adds, resolved from the attributes.
	ClaimEmail  = "email"
	ClaimName   = "name"
	ClaimUID    = "uid"
	ClaimUPN    = "upn"
	ClaimEPPN   = "eppn"
	ClaimGroups = "groups"
)

// AttributeNames are an organization's configured attribute names for the canonical claims (the
// SSO configuration's additional claim types, split at commas). They are tried before the
// defaults.
type AttributeNames struct {
	UserID []string
	Email  []string
	Name   []string
	Groups []string
}

// defaultAttributes are the attribute names tried, in order, after the configured ones: plain
// names, the OIDs of the LDAP/X.500 attribute profile (saml-profiles §8.2) and eduPerson, and the
// claim URIs of Microsoft's IdPs.
var defaultAttributes = map[string][]string{
	ClaimEmail: {"email", "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
		"urn:oid:0.9.2342.19200300.100.1.3", "mail", "emailaddress"},
	ClaimName: {"name", "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name",
		"urn:oid:2.16.840.1.113730.3.1.241", "displayName", "urn:oid:2.5.4.3", "cn"},
	ClaimUID: {"urn:oid:0.9.2342.19200300.100.1.1", "uid"},
	ClaimUPN: {"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn", "upn",
		"userPrincipalName"},
	ClaimEPPN: {"urn:oid:1.3.6.1.4.1.5923.1.1.1.6", "eduPersonPrincipalName", "eppn"},
	ClaimGroups: {"groups", "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups",
		"memberOf", "urn:oid:1.2.840.113556.1.2.102", "isMemberOf", "urn:oid:1.3.6.1.4.1.5923.1.5.1.1",
		"urn:oid:1.3.6.1.4.1.5923.1.1.1.1"},
}

// canonicalTypes are the claim types MapClaims resolves, in the order it emits them.
var canonicalTypes = []string{ClaimEmail, ClaimName, ClaimUID, ClaimUPN, ClaimEPPN, ClaimGroups}

// Claims is the assertion as provisioning reads it.
type Claims struct {
	NameID       string
	NameIDFormat string
	// List holds, in this order: the canonical claims (email, name, uid, upn, eppn, groups)
	// resolved from the configured names and then the defaults; the NameID as ClaimNameID; and
	// every attribute value under its Name and, if different, its FriendlyName, except under a
	// canonical type's name, which only the resolution produces.
	List []Claim
}

// Values returns the values of the claims of one type, in order.
func (c Claims) Values(claimType string) []string {
	var out []string
	for _, cl := range c.List {
		if cl.Type == claimType {
			out = append(out, cl.Value)
		}
	}
	return out
}

// MapClaims turns a verified assertion into claims. A canonical claim takes the values of the
// first attribute, configured names first, whose Name or FriendlyName equals the candidate
// (case-insensitively; unlike the official server, one OID never stands in for another). Blank
// values are dropped.
func MapClaims(a *Assertion, names AttributeNames) Claims {
	out := Claims{NameID: a.NameID, NameIDFormat: a.NameIDFormat}
	configured := map[string][]string{ClaimUID: names.UserID, ClaimEmail: names.Email,
		ClaimName: names.Name, ClaimGroups: names.Groups}
	for _, typ := range canonicalTypes {
		candidates := append(append([]string(nil), configured[typ]...), defaultAttributes[typ]...)
		for _, v := range firstAttribute(a.Attributes, candidates) {
			out.List = append(out.List, Claim{Type: typ, Value: v})
		}
	}
	if strings.TrimSpace(a.NameID) != "" {
		out.List = append(out.List, Claim{Type: ClaimNameID, Value: a.NameID})
	}
	for _, at := range a.Attributes {
		for _, v := range nonBlank(at.Values) {
			if !isCanonical(at.Name) {
				out.List = append(out.List, Claim{Type: at.Name, Value: v})
			}
			friendly := at.FriendlyName
			if friendly != "" && !strings.EqualFold(friendly, at.Name) && !isCanonical(friendly) {
				out.List = append(out.List, Claim{Type: friendly, Value: v})
			}
		}
	}
	return out
}

// isCanonical reports whether name is one of the canonical claim types, which only the
// resolution above may produce (an attribute named "uid" reaches them through the defaults).
func isCanonical(name string) bool {
	for _, typ := range canonicalTypes {
		if strings.EqualFold(name, typ) {
			return true
		}
	}
	return false
}

// firstAttribute returns the non-blank values of the first attribute matching a candidate, trying
// candidates in order.
func firstAttribute(attrs []Attribute, candidates []string) []string {
	for _, cand := range candidates {
		cand = strings.TrimSpace(cand)
		if cand == "" {
			continue
		}
		for _, at := range attrs {
			byFriendly := at.FriendlyName != "" && strings.EqualFold(at.FriendlyName, cand)
			if strings.EqualFold(at.Name, cand) || byFriendly {
				if vals := nonBlank(at.Values); len(vals) > 0 {
					return vals
				}
			}
		}
	}
	return nil
}

func nonBlank(values []string) []string {
	var out []string
	for _, v := range values {
		if strings.TrimSpace(v) != "" {
			out = append(out, v)
		}
	}
	return out
}
