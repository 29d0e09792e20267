package provision

import (
	"strings"
	"unicode"
)

// Candidate claim types, in precedence order (behavior notes §1.5). Short names are matched
// loosely (letters only, any case: "given_name" finds "givenname"); URIs and OIDs exactly.
var (
	userIDCandidates = []string{"sub", ClaimNameID, "uid", "upn", "eppn"}

	emailCandidates = []string{
		"email",
		"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
		"urn:oid:0.9.2342.19200300.100.1.3", // mail
		"mail",
		"emailaddress",
		// Weaker sources, only when none of the above is present.
		"preferred_username",
		"urn:oid:0.9.2342.19200300.100.1.1", // uid
		"uid",
	}

	nameCandidates = []string{
		"name",
		"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name",
		"urn:oid:2.16.840.1.113730.3.1.241", // displayName
		"urn:oid:2.5.4.3",                   // cn
		"displayname",
		"cn",
	}

	givenNameCandidates = []string{
		"urn:oid:2.5.4.42", // givenName
		"givenname", "firstname", "fn", "fname", "nickname",
	}

	// family_name is castellan's addition: the OIDC standard claim, which the official list
	// only reaches through ASP.NET's inbound claim renaming.
	surnameCandidates = []string{
		"urn:oid:2.5.4.4", // sn
		"sn", "surname", "lastname", "family_name",
	}
)

// typeMatches compares a candidate with a claim type. When either side is a URI or an OID the
// comparison is exact (ASCII case aside): the official server reduces every "urn:oid:..." to
// "urnoid" and so lets any OID attribute stand in for any other; castellan does not.
func typeMatches(candidate, claimType string) bool {
	candidate, claimType = strings.TrimSpace(candidate), strings.TrimSpace(claimType)
	if isURI(candidate) || isURI(claimType) {
		return strings.EqualFold(candidate, claimType)
	}
	n := letters(candidate)
	return n != "" && n == letters(claimType)
}

func isURI(s string) bool { return strings.ContainsAny(s, ":/") }

// letters keeps the ASCII letters of s, lower-cased.
func letters(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z':
			b.WriteRune(r)
		case r >= 'A' && r <= 'Z':
			b.WriteRune(r + ('a' - 'A'))
		}
	}
	return b.String()
}

// firstMatch returns the index of the first claim that matches a candidate and passes ok, trying
// candidates in order (candidate order wins over claim order), or -1.
func firstMatch(claims []Claim, candidates []string, ok func(string) bool) int {
	for _, cand := range candidates {
		if strings.TrimSpace(cand) == "" {
			continue
		}
		for i, c := range claims {
			if typeMatches(cand, c.Type) && ok(c.Value) {
				return i
			}
		}
	}
	return -1
}

func nonBlank(v string) bool { return strings.TrimSpace(v) != "" }

func isEmail(v string) bool { _, ok := normalizeEmail(v); return ok }

func findExternalID(claims []Claim, additional []string) int {
	return firstMatch(claims, concat(additional, userIDCandidates), nonBlank)
}

// findEmail takes the first usable address from the candidates, else the external ID when it is
// an address.
func findEmail(claims []Claim, additional []string, externalID string) string {
	if i := firstMatch(claims, concat(additional, emailCandidates), isEmail); i >= 0 {
		e, _ := normalizeEmail(claims[i].Value)
		return e
	}
	e, _ := normalizeEmail(externalID)
	return e
}

// findName takes a display name, else given name and surname joined by a space.
func findName(claims []Claim, additional []string) string {
	if i := firstMatch(claims, concat(additional, nameCandidates), nonBlank); i >= 0 {
		return strings.TrimSpace(claims[i].Value)
	}
	var parts []string
	for _, cands := range [][]string{givenNameCandidates, surnameCandidates} {
		if i := firstMatch(claims, cands, nonBlank); i >= 0 {
			parts = append(parts, strings.TrimSpace(claims[i].Value))
		}
	}
	return strings.Join(parts, " ")
}

func concat(a, b []string) []string {
	out := make([]string, 0, len(a)+len(b))
	return append(append(out, a...), b...)
}

// normalizeEmail accepts one plain address (one "@", both sides non-empty, no spaces, controls
// or address-list punctuation, at most MaxEmailLen) and lower-cases it.
func normalizeEmail(v string) (string, bool) {
	v = strings.TrimSpace(v)
	at := strings.IndexByte(v, '@')
	if len(v) > MaxEmailLen || at <= 0 || at != strings.LastIndexByte(v, '@') || at == len(v)-1 {
		return "", false
	}
	for _, r := range v {
		if unicode.IsSpace(r) || unicode.IsControl(r) || strings.ContainsRune(`<>()[],;:"\`, r) {
			return "", false
		}
	}
	domain := v[at+1:]
	if strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") || strings.Contains(domain, "..") {
		return "", false
	}
	return strings.ToLower(v), true
}

// EmailDomain returns the lower-cased domain of a resolved email, or "".
func EmailDomain(email string) string {
	e, ok := normalizeEmail(email)
	if !ok {
		return ""
	}
	return e[strings.IndexByte(e, '@')+1:]
}

// verifyEmail decides whether the resolved address counts as verified. An explicit "not
// verified" from the provider for this address overrides organization trust and claimed domains.
func verifyEmail(email string, stmts []EmailStatement, trust bool, claimed DomainClaimed) VerifiedBy {
	if email == "" {
		return VerifiedByNone
	}
	asserted, denied := false, false
	for _, s := range stmts {
		if e, ok := normalizeEmail(s.Email); ok && e == email {
			asserted = asserted || s.Verified
			denied = denied || !s.Verified
		}
	}
	switch {
	case denied:
		return VerifiedByNone
	case asserted:
		return VerifiedByProvider
	case trust:
		return VerifiedByOrgTrust
	case claimed != nil && claimed(EmailDomain(email)):
		return VerifiedByClaimedDomain
	}
	return VerifiedByNone
}
