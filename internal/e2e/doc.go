// Package e2e holds castellan's end-to-end acceptance tests: the real `castellan serve` binary
// (started by castellantest, over TLS, on a fresh database) driven by the official clients
// (started by testpeers), with every secret made by bwcrypto so that the tests can check, on the
// server's side, what the clients encrypted.
//
// It is imported only from tests. Files:
//   - harness.go: registering a user through the API as the web vault does, the harness's own
//     login and JSON calls, and decrypting what the server stored.
//   - bwcli_test.go: issue 3's acceptance test, the official Bitwarden CLI against castellan on
//     SQLite and PostgreSQL: login, sync, items, API-key login and unlock, export and import, and
//     the CLI's own message for a wrong password.
//   - orgs_harness.go: issue 4's helpers: castellan sending mail to mailpit over STARTTLS (with or
//     without e-mail verification of new accounts), reading the Join link of an invitation e-mail,
//     accepting it, the admin client, running `castellan admin`, and an organization item encrypted
//     under the organization key.
//   - orgs_test.go: issue 4's acceptance test (organizations with the official CLI: invite by
//     e-mail, accept, `bw confirm org-member`, a shared item through revoke and restore) and the
//     CLI helpers it shares with orgs_admin_test.go.
//   - orgs_admin_test.go: the same journey through `castellan admin`, and its bad input.
//   - sso_harness.go: issue 5's helpers: a browser that plays castellan's SSO page for the #/sso
//     URL a client opens (prevalidate, authorize, the provider's login, the callback), the web
//     client's own SSO sign-in, and set-password through the API.
//   - sso_oidc_test.go: issue 5's acceptance test against Dex and node oidc-provider with the
//     official CLI (`bw login --sso` through an xdg-open shim): invitation-initiated JIT to a
//     decrypted shared item, JIT without invitation, and refusals.
//   - sso_saml_harness.go: issue 6's helpers: the SSO page's part of a SAML sign-in (prevalidate,
//     authorize, the IdP's login, posting its answer to the assertion consumer), the web client's
//     SAML sign-in, and what a posted answer carries (its assertions in clear and encrypted).
//   - sso_saml_test.go: issue 6's acceptance test against SimpleSAMLphp and crewjam's samlidp
//     (encrypted assertions) with the official CLI: invited member to a decrypted shared item,
//     IdP-initiated sign-in refused and then allowed, and SP key rotation with overlap.
//   - domains_test.go: the claimed-domain half of issue 7 with an in-process DNS server behind
//     CASTELLAN_DNS_SERVER: `castellan admin domains`, identifier-less lookup, JIT by e-mail
//     address with the official CLI, the claimed-member and blocked-registration rules, and the
//     re-verification job in serve (failing, warning mail, recovery).
//   - account_test.go: `castellan account` from nothing to the official CLI: registering with the
//     mailed verification link, accepting an invitation (and registering from one) with automatic
//     account recovery enrolment, confirmation, and its bad input.
//
// Missing tools (node and the pinned CLI from scripts/install-test-tools, or a database server)
// skip these tests locally and fail them under CI=true.
package e2e
