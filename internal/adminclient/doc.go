// Package adminclient is a Go client for castellan's Bitwarden-compatible API that does an
// organization administrator's client-side cryptography, the way the official web vault does. It
// backs `castellan admin`, `castellan account` (creating an account, accepting an invitation) and
// the end-to-end tests, and talks to any castellan over HTTPS.
//
// # Flow
//
// [New] builds a client for one server. [Client.Login] logs an administrator in like the official
// CLI: prelogin (the account's KDF, refused when below the clients' minimums), the master key and
// its hash (bwcrypto), the password grant with client_id "cli" and a stable device identifier
// derived from the server and the address, then the user key and RSA private key opened from the
// token response. The master password never leaves the process; only its hash is sent.
//
// Every later call carries the access token. Organization keys come from the profile: each
// confirmed membership carries the organization key encrypted to the administrator's public key
// ("4."), which the client opens with the private key. With the organization key the client
// encrypts and decrypts collection names, and wraps that key to a member's public key at
// confirmation. Creating an organization makes a fresh organization key and RSA key pair on the
// client, as the web vault does.
//
// A new account ([Client.Register]) is made like the web vault makes it: every secret from the
// master password on this machine (bwcrypto), then register/finish with the token of the e-mail
// verification link, of [Client.StartRegistration]'s answer, or of an invitation. Accepting an
// invitation ([Client.AcceptInvitation]) reads the organization's policies with the invitation's
// token and, when account recovery enrols members automatically, sends the user key encrypted to
// the organization's public key with the acceptance.
//
// Server refusals come back as [*APIError] carrying the server's message unchanged. A server URL
// with the wrong scheme is [ErrWrongScheme], naming the one to use.
//
// # Files
//
//   - client.go: [Client], [Options], JSON requests, [APIError].
//   - login.go: prelogin, password grant, unlocking the account, the device identifier.
//   - orgs.go: the profile's organizations, organization keys, creating an organization.
//   - members.go: listing, inviting, confirming (public keys, fingerprints), revoking, restoring,
//     removing and accepting memberships, and deleting the accounts of claimed members.
//   - groups.go: groups and their members.
//   - collections.go: collections, with names encrypted under the organization key.
//   - types.go: roles, statuses and collection access as the wire numbers them.
//   - sso.go: an organization's single sign-on configuration (read and save).
//   - policies.go: an organization's policies (list, read, set) and the names of the policy types.
//   - register.go: registering an account, and reading e-mail verification links.
//   - invitation.go: reading Join links and accepting an invitation.
package adminclient
