// Package samlsp is castellan's SAML 2.0 service provider: one per organization, built on
// crewjam/saml's ServiceProvider (never its single-tenant samlsp middleware) and goxmldsig ≥ 1.6.
// It owns the SAML half of single sign-on; the /sso routes, the storage of the configuration, keys
// and outstanding request IDs, and provisioning call into it.
//
// # Flow
//
//  1. An administrator saves the organization's SAML fields (Config, with the official names and
//     enum values): Normalize, then Validate, which returns per-field messages for the official
//     error body. The IdP fields can be filled from its metadata (ApplyIdPMetadata,
//     FetchIdPMetadata).
//  2. castellan generates the organization's SP keys (GenerateKeys: RSA-2048 signing and
//     encryption pairs with self-signed certificates) and stores them (KeySet.MarshalPEM). A
//     rotation keeps the previous generation (KeySet.Rotate) until every IdP has the new metadata.
//  3. New builds the organization's ServiceProvider from the configuration, keys, URLs
//     (NewEndpoints: <base>/sso/saml/<org>/{metadata,acs,slo}) and Options (replay cache, skew,
//     size limits). Metadata serves the SP metadata.
//  4. Login: MakeAuthnRequest returns a redirect URL or an auto-posting form, and the request ID,
//     which the caller keeps with the browser's login state.
//  5. The IdP posts to the ACS: ParseResponseRequest / ParseResponse / ParseResponseXML verify
//     the response and return an Assertion; MapClaims turns it into claims for provisioning.
//  6. Single logout: ParseLogoutRequest, MakeLogoutResponse, MakeLogoutRequest and
//     ParseLogoutResponse.
//
// # Checks on every response
//
// crewjam/saml validates first; castellan then re-checks on what it returned, so that no rule
// rests on the library alone:
//
//   - size: the posted form and the decoded document are bounded (Options.MaxResponseBytes);
//   - binding: HTTP-POST only; SAMLart (artifact) and HTTP-POST-SimpleSign are refused;
//   - shape: exactly one Response, at the root, holding exactly one Assertion or
//     EncryptedAssertion as a direct child and no other anywhere (signature wrapping);
//   - signature: by the configured certificate only (a KeyInfo naming another is refused); the
//     Assertion itself must be signed when SpWantAssertionsSigned, else the Response or the
//     Assertion; every SignatureMethod and DigestMethod at or above SpMinIncomingSigningAlgorithm;
//     the reference must name the signed element's ID; the content is read from what the
//     signature covers (crewjam's SignedElementVerifier), never from the raw document;
//   - certificate dates, when SpValidateCertificates;
//   - issuer, audience (every AudienceRestriction names the SP entity ID), destination (the ACS),
//     bearer Recipient (the ACS);
//   - time: NotBefore / NotOnOrAfter of the Conditions and of the bearer confirmation with
//     Options.ClockSkew, and crewjam's IssueInstant bound (90 s);
//   - InResponseTo: must be one of the IDs the caller says this browser has outstanding;
//     unsolicited responses only when IdpAllowUnsolicitedAuthnResponse; the request answered is
//     read from signed content only;
//   - replay: the assertion ID goes through the ReplayCache once everything else passed;
//   - encrypted assertions are decrypted with the current or previous SP encryption key.
//
// Every refusal is an *Error: Error() is a message safe for the user, Cause() the reason for logs.
//
// # Files
//
//   - config.go: Config, the official enums, Normalize, Validate.
//   - endpoints.go: the SP URLs of an organization.
//   - keys.go: SP key generation, KeySet, rotation, PEM storage form.
//   - sp.go: Options, New, and the per-operation crewjam ServiceProvider.
//   - metadata.go: the SP metadata document.
//   - authn.go: AuthnRequests for the HTTP-Redirect and HTTP-POST bindings.
//   - response.go: response parsing and castellan's own checks.
//   - verify.go: the signature verifier crewjam calls (algorithm floor, certificate, recording).
//   - logout.go: single logout in both directions, with the bounded inflate of HTTP-Redirect
//     messages (deflate bombs) and the SigAlg floor.
//   - idpmetadata.go: IdP metadata import (fetch with size limit and timeout, fill Config).
//   - claims.go: attributes to claims for provisioning (configured names, then defaults).
//   - replay.go: the ReplayCache contract and an in-memory implementation.
//   - errors.go: typed errors with public and private parts.
//
// # Tests
//
// idp_test.go is an in-process IdP that signs with goxmldsig like real IdPs do; negative_test.go
// is the corpus of refused responses, each also run with the shape precheck skipped so that the
// layers beneath are shown to stand alone; golden files for the metadata and AuthnRequests live
// in testdata/golden (go test -update rewrites them); FuzzParseResponse fuzzes the whole path;
// BenchmarkParseResponse compares it with bare goxmldsig verification.
package samlsp
