// Package testpeers starts the real programs that castellan's tests talk to and drives
// their login pages. It is imported only from _test.go files.
//
// Every peer binds 127.0.0.1 on a free port, is started by the test that needs it,
// waits for its readiness probe under a context deadline and is stopped by t.Cleanup.
// Its output goes to a log file in t.TempDir() that is printed when the test fails.
// The programs come from scripts/install-test-tools, which puts them in <repo>/.tools
// (or $CASTELLAN_TOOLS_DIR); a missing program fails the test under CI=true and skips
// it otherwise.
//
// Files:
//   - tools.go: locating .tools and the missing-tool rule (skip locally, fail in CI).
//   - process.go: starting a peer process, its log file, readiness polling, stopping it.
//   - certs.go: throwaway self-signed key pairs (TLS for mailpit, SAML signing keys).
//   - browser.go: a cookie-keeping HTTP user agent and a small HTML form reader that
//     the login helpers use to walk IdP pages up to the redirect or SAML POST form.
//   - bwcli.go: the official Bitwarden CLI runner, including SSO mode with an xdg-open shim.
//   - mailpit.go: the SMTP sink and its HTTP API.
//   - dex.go: Dex (OIDC) with static clients and users, and its login form.
//   - oidcprovider.go: node oidc-provider (OIDC) and its login + consent interactions.
//   - simplesamlphp.go: SimpleSAMLphp (SAML IdP) in a scratch config dir, and its login form.
//   - saml.go: the users shared by both SAML IdPs.
//   - samlidp.go: crewjam/saml samlidp in-process (SAML IdP) with users and service providers.
package testpeers
