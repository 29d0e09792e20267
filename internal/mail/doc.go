// Package mail composes castellan's email and delivers it.
//
// Flow: a feature builds a [Message] from its data with one of the message builders
// ([InviteMessage], [ConfirmedMessage], [DomainVerificationFailingMessage],
// [DomainClaimFailingMessage], [VerifyEmailMessage]), which render an embedded text template and an
// HTML template (inside a shared layout) and compute the links into the web vault. It hands the
// message to a [Sender]. [NewFromConfig] picks the sender once at start-up and logs which:
// [SMTPSender] when CASTELLAN_SMTP_HOST is set, otherwise [FileSender], which writes .eml files to
// <data folder>/mail. Both turn the message into the same MIME document with go-mail (text and HTML
// as multipart/alternative, Date from the injected clock, Message-ID from the injected random
// source).
//
// SMTP: one connection per message. starttls requires STARTTLS (a server that does not offer it
// is refused), force_tls is implicit TLS from the first byte, off is plain text. AUTH runs when a
// user name is set; over plain text only challenge-response mechanisms are used. The whole
// exchange is bound by the configured timeout and by the caller's context, which closes the
// socket when it ends. Failures are [*Error] values whose text never holds a credential, a
// recipient or the content.
//
// Logging: the outcome and the recipient count at Info, never an address, a link or the content.
//
// Files:
//   - mail.go: Sender, Message, Options and the MIME composition shared by both senders.
//   - smtp.go: SMTPSender, the per-message session, dialing and TLS.
//   - auth.go: choosing the SMTP AUTH mechanism from what the server offers and the channel.
//   - errors.go: classifying delivery failures into credential-free errors.
//   - file.go: FileSender and the atomic .eml write.
//   - fromconfig.go: NewFromConfig and the custom CA bundle.
//   - templates.go, templates/: template parsing, rendering and link building helpers.
//   - messages.go: the message builders and the URL builders (Join, SSO login, domain settings);
//     domain_claim.go: the warnings about a claimed domain whose DNS checks fail; register.go: the
//     link that verifies a new account's e-mail address.
package mail
