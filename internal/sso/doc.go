// Package sso is castellan's single sign-on: each organization's SSO configuration, the sign-in
// flow from the official clients to the organization's identity provider and back, provisioning,
// the authorization codes the token endpoint redeems, and what a new member does next (set the
// master password). The protocol work is done by internal/oidcrp (OIDC) and internal/samlsp
// (SAML); the decision of who may sign in by internal/provision. Every piece of flow state lives in
// the database (migration 00006), so any number of castellan processes serve one sign-in.
//
// # Flow
//
//  1. The client (or castellan's own page at /#/sso, or the web vault) asks
//     GET /identity/sso/prevalidate?domainHint=<identifier> ([Service.Prevalidate]). An enabled
//     organization with an enabled, valid configuration gets a token sealed with the instance's SSO
//     key (AES-256-GCM, key in the settings table): organization, identifier, expiry
//     (CASTELLAN_SSO_TOKEN_LIFETIME, five minutes by default). Anything else is 400 "Invalid SSO
//     identifier".
//  2. The browser goes to GET /identity/connect/authorize ([Service.Authorize]) with the official
//     client's parameters. castellan checks the client and its exact redirect URI (clients.go),
//     response_type code, PKCE S256, the state, the scope and the token for the domain_hint; then
//     oidcrp.Start discovers the provider and draws the provider-side state, nonce and PKCE
//     verifier. The flow is stored under the SHA-256 of that state, with the client's request and
//     the sealed provider data, for ten minutes. A random cookie (__Host-, Secure, HttpOnly,
//     SameSite=Lax, path /) binds it to this browser; the flow keeps the cookie's hash.
//  3. The provider sends the browser to GET /sso/oidc/callback ([Service.OIDCCallback], one
//     address for every organization). The flow is found by the state's hash, must be unexpired
//     and bound to this browser (constant-time hash comparison), and is deleted (single use). Then
//     oidcrp.Finish checks the answer: the RFC 9207 iss parameter, the code exchange with PKCE, the
//     ID token's signature, issuer, audience, expiry and nonce, userinfo's subject and the expected
//     ACR.
//  4. [Service.Complete] (shared with SAML) resolves the identity (provision.Resolve, with the
//     organization's claimed domains making an email verified) and provisions in one transaction
//     (provisioning.go): lock the organization, re-read the configuration and every record
//     provision.Decide looks at (seats included), decide, write what it decided (account,
//     membership, link) with its audit events, and store an authorization code. Then the browser
//     goes to the client's redirect URI with code, the client's state unchanged and iss. The two
//     official recoverable refusals (ssoOrgInviteAcceptanceRequired, ssoOrgMembershipRequired)
//     send it to <public URL>/#/login?...&error=<code> instead; every other refusal is an error
//     page (pages.go) that says what went wrong without internals, and is logged with its reason.
//  5. The client posts the authorization_code grant; the identity server calls [Service.Exchange],
//     which takes the code out of the database (one use, whatever the outcome) and checks its
//     expiry (five minutes), client, redirect URI and PKCE verifier. The token response carries
//     UserDecryptionOptions and amr "external".
//  6. A new account then sets its master password with POST /api/accounts/set-password
//     ([Service.SetPassword]), which turns its Invited membership into Accepted; the clients read
//     GET /api/organizations/{identifier}/auto-enroll-status first. An administrator confirms.
//
// # Configuration
//
// GET and POST /api/organizations/{orgId}/sso ([Service.GetConfig], [Service.PutConfig]) use the
// official field names (config.go) and answer the urls block the administrator registers at the
// provider. Owners, admins and custom members with manageSso may use them; others get 404. The
// OIDC client secret is write-only: stored sealed, never returned (clientSecret is null, castellan's
// clientSecretSet says whether one is stored), and kept when a save leaves it empty. Saving sets
// the organization's SSO identifier in the same transaction, so a taken identifier changes
// nothing. castellan adds trustIdPEmails and relinkChangedSubject (see internal/provision).
//
// # SAML
//
// The SAML service provider plugs in at three places: Authorize starts a sign-in for configType 2
// (a Flow with ConfigType ConfigSAML, keyed by the RelayState's hash, with the AuthnRequest id in
// its sealed ProviderData); the assertion consumer uses takeFlow and then Complete; and
// [Store.Seen] is the database replay cache samlsp.ReplayCache needs.
//
// # Pages
//
// castellan's own pages (pages.go, web/) are plain HTML with one stylesheet and one script, under
// a strict Content-Security-Policy. / reads the URL fragment: #/sso starts a sign-in (the CLI opens
// it with its own clientId, redirectUri, state and codeChallenge; the invitation's "Finish account
// setup" link opens it with only the identifier, and the page then signs in as the web client
// itself); #/accept-organization is the invitation landing, which gives the `castellan account`
// command that accepts (or registers and accepts) with the page's own link; #/finish-signup is the
// landing of a new account's e-mail verification link (/redirect-connector.html, the link's
// official address, forwards there) with the command that finishes; #/login?error=... explains
// the two recoverable refusals. /sso-connector.html receives the web client's code, redeems it,
// and for a new account derives the keys of a master password in the browser with WebCrypto and
// calls set-password. Where castellan serves an official web vault, the vault's files take /,
// /sso-connector.html and /redirect-connector.html ([WebVaultPages]).
//
// # Files
//
//   - config.go: the configuration, its official fields and validation.
//   - configapi.go: the configuration routes and the urls block.
//   - store.go: [Store] on migration 00006 (configurations, links, flows, codes, replay).
//   - seal.go: the instance's SSO key, sealed values, prevalidation tokens.
//   - clients.go: the official clients, their redirect URIs, PKCE.
//   - prevalidate.go, authorize.go, callback.go: the flow.
//   - provisioning.go: the transaction that carries out provision.Decide.
//   - codes.go: redeeming authorization codes.
//   - setpassword.go: set-password and auto-enroll-status.
//   - pages.go, web/: error and redirect pages, /, /sso-connector.html, /redirect-connector.html
//     and their assets.
//   - service.go: [Service], its options, the organizations' SSO state.
//   - http.go: the route lists.
package sso
