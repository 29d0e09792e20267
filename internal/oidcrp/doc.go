// Package oidcrp is castellan's OpenID Connect relying party: one RP serves every organization,
// each with its own provider configuration (the OIDC fields of the official SSO configuration).
// It owns the protocol half of OIDC single sign-on and nothing else: the /sso routes, the storage
// of flows and configurations, and provisioning (internal/provision) call into it.
//
// # Flow
//
//  1. Start(ctx, cfg, redirectURI) discovers the provider (cached), draws state, nonce and a PKCE
//     verifier from the injected random source, and returns the authorization request (a URL, or
//     an auto-submitting form for RedirectFormPost) and the Flow to persist for this browser.
//     Scopes are openid, email, profile and the additional ones; acr_values when configured;
//     code_challenge_method S256.
//  2. The provider sends the browser back to redirectURI. The caller loads the Flow bound to the
//     browser, deletes it (a flow is single-use), and calls Finish with the callback parameters.
//  3. Finish checks, in order, each refusal being a typed *Error:
//     - state, in constant time, the flow's organization and its expiry (KindState; a consumed
//     flow arrives empty and fails here);
//     - the RFC 9207 iss parameter: when present it must be the issuer, and when the provider
//     advertises authorization_response_iss_parameter_supported it must be present
//     (KindIssuerParam); checked before an error answer is believed;
//     - an error answer (KindProviderError, e.g. access_denied);
//     - the code exchange with the client secret and the PKCE verifier (KindTokenExchange);
//     - the ID token: signature with the provider's published keys and an asymmetric algorithm
//     it advertises (KindSignature; "none" and HMAC never), issuer (KindIssuer), audience and
//     azp (KindAudience), expiry and not-before against the injected clock (KindExpired), a
//     subject (KindNoSubject), nonce in constant time (KindNonce), at_hash when present
//     (KindAccessTokenHash);
//     - the expected ACR against the ID token's acr, exactly (KindACR);
//     - userinfo when configured, whose sub must be the ID token's (KindUserInfoSubject).
//  4. The Result carries the claims as (type, value) pairs and the email_verified statements;
//     Result.Assertion is the input of provision.Resolve. email_verified=false is passed through,
//     not refused here: deciding what an unverified email may do is provisioning's job.
//
// # Discovery
//
// The discovery document is fetched from Authority/.well-known/openid-configuration or from the
// MetadataAddress override, with the RP's timeout (default 10 s) on an injected *http.Client
// whose responses are capped at 1 MiB, so an unreachable or stuck provider is a KindDiscovery
// error quickly, never a hang. Without the override the document's issuer must be the authority
// (one trailing slash forgiven); with it, the document's issuer is taken as the expected one
// (Azure AD B2C publishes a different issuer). Endpoints must be https (http only on loopback).
// Providers are cached by organization, configuration revision and addresses, for CacheTTL; the
// JSON Web Key Set is fetched by go-oidc on first use and again when an unknown key ID appears.
//
// # Deviations from the official server
//
//   - No response_mode=form_post towards the provider: the answer is a top-level GET, so a
//     SameSite=Lax cookie can bind the flow to the browser that started it.
//   - No extra "acr" scope when an ACR is expected (the official server adds one, which strict
//     providers reject as an unknown scope); add it to AdditionalScopes where a provider needs it.
//   - The client secret is sent with client_secret_basic unless the provider only lists
//     client_secret_post (the official server always posts it), and never both ways in turn.
//   - azp is checked, the RFC 9207 iss parameter is checked, and the ACR is taken only from the
//     signed ID token.
//
// # Errors
//
// Every refusal is an *Error: Error() and Public() are safe to show (they name the class of
// problem and, for provider errors, only a code from the OAuth/OIDC specifications); Cause() and
// LogValue() carry the private detail for logs. No error holds a secret, a token or the
// provider's token-endpoint body.
//
// # Files
//
//   - config.go: Config, RedirectBehavior, validation, scopes.
//   - rp.go: RP, Options, the bounded HTTP client.
//   - discovery.go: discovery, the provider checks and the provider cache.
//   - start.go: Start, Flow, Authorization and the form-post page.
//   - finish.go: Finish and its checks.
//   - claims.go: Result and the claim extraction.
//   - errors.go: Error, Kind and the public messages.
package oidcrp
