// Package accounts owns castellan's user accounts: registration, the KDF a client must run
// (prelogin), the server-side check of the master password hash and of the API key, the profile,
// and the instance configuration the clients read first (/api/config).
//
// The flow of a new account: a client asks register/send-verification-email for a token (mailed to
// the address as a link when e-mail verification is on, which register/finish then requires;
// otherwise returned directly), derives every secret itself, and posts register/finish with the
// master password hash, the wrapped user key, its RSA key pair and its KDF, in either of the two
// shapes the clients use. [Service.Register] checks the instance's registration policy, the KDF
// limits, and that every encrypted value is a well-formed EncString, then stores the account in one
// insert. The identity concern later calls [Service.CheckPassword] or [Service.CheckAPIKey] and
// issues tokens; the vault concern calls [Service.SyncProfile] for the profile part of /api/sync
// and [BumpAccountRevision] whenever a user's vault changes.
//
// Secrets at rest: the master password hash the client sends is hashed again (password.go explains
// the cost and its measurement); the API key is stored as issued, because the clients show it
// again (apikey.go says why that exposes nothing the database does not already hold). Encrypted
// client values are opaque to the server.
//
// Files:
//   - model.go: [User] and [Device].
//   - store.go: the [Store] contract, its SQL implementation [SQLStore], and [BumpAccountRevision].
//   - password.go: the server-side hash of the master password hash ([HashPassword], [VerifyPassword]).
//   - service.go: [Service], credential checks, devices, the security stamp.
//   - register.go: registration rules and the verification token.
//   - apikey.go: the API key.
//   - profile.go: the profile, account keys and unlock data shapes, [Service.SyncProfile].
//   - config.go: /api/config and prelogin.
//   - http.go: the HTTP handlers and the registration request shapes.
package accounts
