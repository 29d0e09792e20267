// Package domains lets an organization claim an email domain by publishing a DNS TXT record, and
// keeps checking the claim in the background.
//
// The flow (behaviour reference §6; field report F8):
//
//  1. Add: an administrator types a name. [Normalize] lower-cases it, converts internationalised
//     labels to punycode and refuses anything that is not a plain host name of at least two labels
//     (no URL, email, wildcard, trailing dot, IP address, port; RFC 1035/1123 label rules; at most
//     253 characters). The domain is stored Pending with a fresh value "bw=" + 44 random letters
//     and digits ([NewToken]), which the administrator publishes as a TXT record at the name
//     itself.
//     Adding a name the organization already has fails with [ErrDuplicate]; adding a name another
//     organization has verified fails with [ErrClaimedElsewhere] (both are 409 conflicts).
//  2. Verify: [Check] looks up the TXT records at the name through a [Resolver] — the system's, or
//     the server named by CASTELLAN_DNS_SERVER — and the domain verifies when one record equals the
//     value exactly. Outcomes are Found, Absent (DNS answered: NXDOMAIN, no TXT, other values) and
//     Unknown (timeout, SERVFAIL, network): only Absent is evidence that the record is gone.
//     [Service.VerifyNow] checks at once for an administrator and writes nothing when the check
//     fails. At most one organization holds the claim on a name; the database enforces it.
//  3. Schedule: the [Reverifier] runs in every castellan process, but only the one holding the
//     database lease [LockName] works. For a Pending domain it makes automatic attempts 12 h, 36 h
//     and 72 h after creation, as the official server does, then a last one at 7 days, and removes
//     the domain if that fails.
//  4. Re-verification of verified domains, where castellan deviates from the official server,
//     which never checks a verified domain again (and whose self-hosted clean-up job can remove
//     one, F8): a claim changes who controls accounts, so it should end when the organization no
//     longer controls the domain, but never because of a resolver hiccup. A verified domain is
//     checked daily. A failed check (Absent or Unknown) marks it Failing, which still counts as
//     verified, and warns the organization's administrators through the [Notifier]; it is checked
//     every 4 h from then on. A successful check clears Failing. The claim is dropped (state
//     Lapsed, no longer verified, kept for the administrator to verify again or delete) only when
//     the domain has failed continuously for the grace period (14 days by default) and the latest
//     check was a definite Absent: timeouts and SERVFAIL alone never drop a claim. All of these
//     durations are in [Schedule].
//
// Every write after a check is conditional on the row's revision, so a manual verification, a
// deletion and the background job can never overwrite each other's results. Time comes from an
// injected clock and randomness from an injected reader.
//
// Files:
//   - name.go: Normalize and NameError.
//   - token.go: NewToken.
//   - resolver.go: Resolver, NetResolver (system or CASTELLAN_DNS_SERVER), Check and its Outcome.
//   - store.go: Domain, State, the Store contract and its errors; sqlstore.go: SQLStore, on all
//     engines (migration 00005).
//   - schedule.go: Schedule and the state changes a check causes.
//   - service.go: Service (Add, List, Get, ClaimedBy, Delete); verify.go: VerifyNow, VerifyError.
//   - reverifier.go: Reverifier, the background job under the lease.
//   - notify.go: Notifier and Event; alerts.go: Alerts, the Notifier castellan runs with, which
//     writes every event to the organization's audit log (official types 2000-2003, and castellan's
//     own 9200 failing, 9201 recovered, 9202 lapsed for what the official server never checks) and
//     mails the administrators when a claimed domain fails, when a claim lapses, and when a pending
//     domain's last scheduled attempt fails.
//   - claims.go: what other concerns ask: EmailDomain, ClaimOf (the claim on an address's domain,
//     for identifier-less sign-in and blocked registrations), ClaimedEmails (the addresses an
//     organization claims, for the rule that claimed members are revoked or deleted, not removed).
//   - http.go, response.go: the routes, in the official shapes (behaviour reference §6.1) with
//     castellan's state and failingSince added: list, add, get, verify, delete (and the legacy POST
//     .../remove) under /api/organizations/{orgId}/domain, for owners, admins and custom members
//     with manageSso (listing also with managePolicies), everyone else 404; and the anonymous
//     identifier-less sign-in lookups sso/verified and the older sso/details, which only ever name
//     an organization that claims the exact domain and can start a single sign-on.
//   - domainstest: an in-process authoritative DNS server and a recording Notifier for tests.
package domains
