// Package identity is castellan's identity server: the OAuth 2.0 token endpoint the official
// clients log in through, the access tokens it signs, and the Verifier that checks them on every
// /api request.
//
// The flow of a login: the client posts /identity/connect/token with a form ([parseForm] accepts
// the parameter spellings the clients use). [Server.Token] dispatches on grant_type:
//   - password: e-mail address and master password hash, checked by accounts.Service.CheckPassword
//     after the failed-login buckets (per account, per client address) allow it;
//   - client_credentials: a user's API key (client_id "user.<id>", scope api);
//   - refresh_token: a one-use refresh token, exchanged for a new one of the same family; a token
//     presented twice revokes its family;
//   - authorization_code: single sign-on, through a [CodeExchanger] that issue 5 provides.
//
// A successful login records the device, signs a JWT access token (claims in [Claims]; EdDSA unless
// CASTELLAN_TOKEN_SIGNING_ALG says RS256 or ES256, see [DefaultAlgorithm]) and, for offline_access,
// stores the SHA-256 of a new refresh token. The response carries the user's wrapped keys and
// unlock data in the exact shape the clients read (response.go). Failures are OAuth errors with the
// Bitwarden ErrorModel the clients show (errors.go).
//
// Shared state lives in the database, so any number of castellan processes can serve logins:
// signing keys ([KeyRing]; the newest of the configured algorithm signs, all unretired keys of any
// algorithm verify and are published at /identity/.well-known/jwks, so changing the algorithm logs
// nobody out), refresh tokens, and failed-login counters.
//
// Files:
//   - server.go: [Server], its [Options], lifetimes, [Limits], the [CodeExchanger] seam.
//   - form.go: token request parsing.
//   - grants.go: the token endpoint and each grant.
//   - response.go: the token response shapes.
//   - errors.go: OAuth error bodies (bad password, invalid_client, 429).
//   - ratelimit.go: failed-login buckets.
//   - token.go: signing and verifying access tokens; [Server.Verify] implements auth.Verifier.
//   - keys.go: the signing key ring.
//   - store.go: the [Store] contract and [SQLStore].
//   - seal.go: signing private keys sealed with CASTELLAN_SEAL_KEY ([SealStoredKeys]).
//   - wellknown.go: JWKS and OpenID discovery.
//   - twofactor.go: the two-factor wire shapes, kept for when two-factor login is built.
package identity
