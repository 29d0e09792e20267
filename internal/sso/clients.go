package sso

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"slices"
	"strconv"
	"strings"
)

// Loopback ports the official desktop app, CLI and Directory Connector listen on for the callback.
const (
	loopbackFirstPort = 8065
	loopbackLastPort  = 8070
)

// redirectURIs returns the redirect URIs an official client may use, exactly as they must be sent
// (behavior notes §1.1). publicURL is castellan's origin, which serves the web vault's connector
// page. Unknown clients have none.
func redirectURIs(clientID, publicURL string) []string {
	var loopback []string
	for p := loopbackFirstPort; p <= loopbackLastPort; p++ {
		port := strconv.Itoa(p)
		loopback = append(loopback, "http://localhost:"+port, "http://127.0.0.1:"+port)
	}
	switch clientID {
	case "cli":
		return loopback
	case "desktop":
		return append([]string{"bitwarden://sso-callback"}, loopback...)
	case "connector":
		return append([]string{"bwdc://sso-callback"}, loopback...)
	case "web", "browser":
		return []string{publicURL + "/sso-connector.html"}
	case "mobile":
		return []string{"bitwarden://sso-callback"}
	}
	return nil
}

// redirectAllowed reports whether redirectURI is one of the client's, compared exactly (one trailing
// slash forgiven on loopback addresses, which some clients add).
func redirectAllowed(clientID, redirectURI, publicURL string) bool {
	allowed := redirectURIs(clientID, publicURL)
	if slices.Contains(allowed, redirectURI) {
		return true
	}
	trimmed, ok := strings.CutSuffix(redirectURI, "/")
	return ok && strings.HasPrefix(trimmed, "http://") && slices.Contains(allowed, trimmed)
}

// validChallenge accepts an S256 code challenge: base64url without padding of 32 bytes, which is
// 43 characters (RFC 7636 §4.2).
func validChallenge(c string) bool {
	if len(c) != 43 {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(c)
	return err == nil
}

// verifierMatches checks a PKCE verifier against an S256 challenge in constant time (RFC 7636
// §4.6). The verifier must be 43 to 128 unreserved characters (§4.1).
func verifierMatches(verifier, challenge string) bool {
	if len(verifier) < 43 || len(verifier) > 128 || strings.ContainsFunc(verifier, notUnreserved) {
		return false
	}
	sum := sha256.Sum256([]byte(verifier))
	got := base64.RawURLEncoding.EncodeToString(sum[:])
	return subtle.ConstantTimeCompare([]byte(got), []byte(challenge)) == 1
}

func notUnreserved(r rune) bool {
	return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
		r == '-' || r == '.' || r == '_' || r == '~')
}

// nativeRedirect reports whether the redirect URI is an app's own scheme rather than http(s): the
// browser is then sent on by a page with a link, not a bare 302, as the official server does.
func nativeRedirect(uri string) bool {
	return !strings.HasPrefix(uri, "http://") && !strings.HasPrefix(uri, "https://")
}
