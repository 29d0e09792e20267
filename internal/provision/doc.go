// Package provision holds castellan's SSO provisioning rules: who may sign in through an
// organization's identity provider, and how an external identity becomes (or finds) an account.
// It is pure: plain data in, a typed decision out, no storage, HTTP or clock. OIDC and SAML share
// it; the protocol layers verify the response first and hand over the claims.
//
// # Flow
//
//  1. The protocol layer verifies the response and builds an [Assertion]: the claims, the SAML
//     NameID format, and OIDC's email_verified statements.
//  2. [Resolve] computes the [Identity] (external ID, email, name, and whether the email counts as
//     verified) from the assertion and the organization's [ClaimConfig].
//  3. The caller looks up the records listed on [Input] (link, account, memberships).
//  4. [Decide] returns a [Decision]: sign in, link, create, adopt an invitation, or refuse with a
//     [Reason]. The caller performs the writes it names in one transaction and records its events.
//
// # Files
//
//   - claims.go: claims, the claim configuration, the assertion, the identity and Resolve.
//   - match.go: the candidate claim types, how a type matches, email parsing and verification.
//   - model.go: statuses, roles, organization, account, membership, link, and the Input.
//   - decision.go: outcomes, reasons, audit events and the Decision.
//   - decide.go: Decide and its rules.
//
// # Claim resolution
//
// The precedence is the official server's (behavior notes §1.5). External ID: the configured
// additional user-id types, then sub, the NameID, uid, upn, eppn. Email: the configured types,
// then email, the WS-* emailaddress, the mail OID, mail, emailaddress, then preferred_username,
// the uid OID, uid, and last the external ID itself when it is an address. Name: the configured
// types, then name-like claims, else given name and surname. The claim chosen as the external ID
// is not reused for email or name. Deviations, all on the safe side:
//
//   - A transient NameID (field report F4) is dropped before anything else: it is never the
//     external ID, even when an admin configures the NameID type as the user-id claim, and it is
//     never an email or a name. With only a transient NameID, Resolve fails with ErrNoExternalID.
//   - The official server compares claim types after deleting every non-letter, so every
//     "urn:oid:..." becomes "urnoid" and any OID attribute matches any OID candidate (a mail
//     attribute can become the display name). castellan compares URIs and OIDs exactly (ASCII case
//     aside) and keeps the loose letters-only match only for short names, so that OIDC's
//     given_name still finds givenname. OIDC's family_name is added to the surname candidates.
//   - An email must be one plain address (one "@", no spaces or list punctuation, at most 256
//     characters); other values are skipped like the official server skips values without "@".
//     Emails are lower-cased, as the clients do for the key-derivation salt.
//
// # Email verification
//
// The official server ignores email_verified. castellan counts an email as verified only when:
//
//   - the provider said email_verified=true for that same address (OIDC, in the ID token or the
//     userinfo document that carries it); or
//   - the organization set ClaimConfig.TrustIdPEmails ("our provider only emits verified
//     addresses"), and the provider did not say otherwise; this is how SAML providers, which make
//     no such statement, and OIDC providers that omit email_verified are trusted. Off by default:
//     without it, SAML emails are verified only through a claimed domain; or
//   - the address's domain is claimed (verified) by the organization ([DomainClaimed]; domain
//     claiming arrives later, callers pass nil until then).
//
// An explicit email_verified=false for the address wins over organization trust and claimed
// domains: the provider knows the address is unproven, and a claimed domain says who owns the
// mailboxes, not that this provider account is one of their owners.
//
// # Decision rules
//
// In order, first match wins:
//
//  1. Organization disabled or SSO disabled: refuse.
//  2. No external ID: refuse.
//  3. External ID already linked: the link is the identity. The linked account's own membership
//     must pass the status gate (Invited, Accepted, Confirmed; Revoked and Staged refuse, no
//     membership refuses). Email is not consulted.
//  4. Otherwise an email is needed, and it must be verified, before any account or membership is
//     looked at (so an unverified address cannot probe for accounts or invitations).
//  5. An account has the email (official A1-A6): its membership (by account, else an unbound
//     invitation for the email) decides. Key Connector account that is not a member beyond
//     Invited: refuse. None: ssoOrgMembershipRequired. Invited: ssoOrgInviteAcceptanceRequired
//     (the account accepts signed in as itself, then SSO links it). Accepted or Confirmed: link,
//     if the account itself has proven the address (User.EmailVerified, F3), under the
//     changed-subject rule. Revoked or Staged: refuse. An existing account is never bound by
//     email to a membership it has not accepted.
//  6. No account (official B1-B4): an invitation row for the email decides first, so nothing is
//     created for a Revoked or Staged row (the official server creates the account and refuses
//     afterwards, B4). Invited: adopt it (no seat check, the row holds a seat): the invitation is
//     accepted through SSO, which is what makes invitations usable where password login is not
//     (F7); the role the admin invited with is kept. No row: create an account and an Invited
//     User membership if a seat is free (castellan never autoscales).
//
// The two official codes ssoOrgInviteAcceptanceRequired and ssoOrgMembershipRequired are kept
// byte for byte: the clients show a specific message for them ([Reason.RedirectsToLogin]).
//
// # Links
//
// At most one link per (organization, external ID) and one per (organization, account): a
// decision that writes a link is only possible when no link exists for the external ID, and for
// an account that already has one only through the changed-subject rule, which replaces it.
//
// # Changed subject
//
// When the provider presents a new subject for the verified email of an account that is already
// linked in this organization under another subject (F2: the user was recreated or renamed at
// the provider), castellan refuses by default (ReasonSubjectChanged, audited as a failed login):
// silently moving an account to a new subject would let whoever holds that subject take it over.
// An admin either removes the stale link, or sets Org.RelinkChangedSubject to get the official
// behaviour: the stale link is replaced, audited as OrganizationUser_ResetSsoLink (1509). Either
// way the membership, the verified email and the account's own proof of the address are required
// as for a first link, and no second account is ever created for the email.
//
// # Audit
//
// A first link records OrganizationUser_FirstSsoLogin (1510), a replaced link
// OrganizationUser_ResetSsoLink (1509), and a refusal that concerns a known account
// User_FailedLogIn (1005). Refusals write nothing else.
package provision
