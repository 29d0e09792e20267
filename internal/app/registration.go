package app

import (
	"context"
	"fmt"
	"time"

	"github.com/castellan-vault/castellan/internal/mail"
	"github.com/castellan-vault/castellan/internal/secret"
)

// registrationMailer sends the links that verify new accounts' addresses with the mail package.
type registrationMailer struct {
	sender    mail.Sender
	publicURL string
}

func (m registrationMailer) SendRegistrationVerification(ctx context.Context, email string,
	token secret.String, expires time.Time) error {
	msg, err := mail.VerifyEmailMessage(mail.VerifyEmailData{PublicURL: m.publicURL, Email: email,
		Token: token, ExpiresAt: expires})
	if err != nil {
		return fmt.Errorf("compose e-mail verification: %w", err)
	}
	return m.sender.Send(ctx, msg)
}

// logRegistration says once at start how new accounts prove their address. Open registration
// without verification is a warning: until an organization claims a domain, anyone may create an
// account for any address on it, which the address's owner then cannot create.
func (a *App) logRegistration() {
	s, log := a.deps.Accounts, a.deps.Logger.With("component", "accounts")
	switch {
	case s.RegistrationClosed:
		log.Info("registration closed: only invited addresses may create accounts")
	case s.VerifyEmail:
		log.Info("registration open: new accounts verify their e-mail address with a mailed link")
	default:
		log.Warn("registration open without e-mail verification: anyone may create an account for any " +
			"address; verification needs an SMTP server (CASTELLAN_SMTP_HOST) and " +
			"CASTELLAN_REGISTRATION_VERIFY_EMAIL=true, or close registration with " +
			"CASTELLAN_REGISTRATION=closed")
	}
}
