package mail

import (
	"fmt"
	"time"

	"github.com/castellan-vault/castellan/internal/secret"
)

// VerifyEmailData is what the e-mail verification of a new account needs.
type VerifyEmailData struct {
	PublicURL string // castellan's public origin
	Email     string // the address to prove, also the recipient
	Token     secret.String
	// ExpiresAt is when the token expires; zero leaves it out of the text.
	ExpiresAt time.Time
}

// VerifyEmailURL is the link that proves a new account's address, in the official shape:
// <publicURL>/redirect-connector.html#finish-signup?token=..&email=..&fromEmail=true. The
// connector page forwards the fragment to the web vault's (or castellan's own) finish-signup page;
// the official mobile apps recognise the connector address.
func VerifyEmailURL(publicURL, email string, token secret.String) (string, error) {
	base, err := origin(publicURL)
	if err != nil {
		return "", err
	}
	if email == "" || token.IsZero() {
		return "", fmt.Errorf("%w: e-mail verification needs the address and the token", ErrMissingInput)
	}
	return base + "/redirect-connector.html#finish-signup?token=" + queryEscape(token.Reveal()) +
		"&email=" + queryEscape(email) + "&fromEmail=true", nil
}

type verifyEmailView struct {
	page
	Email, VerifyURL, Expires string
}

// VerifyEmailMessage builds the message that carries the verification link to d.Email.
func VerifyEmailMessage(d VerifyEmailData) (Message, error) {
	link, err := VerifyEmailURL(d.PublicURL, d.Email, d.Token)
	if err != nil {
		return Message{}, err
	}
	v := verifyEmailView{Email: d.Email, VerifyURL: link, Expires: formatDay(d.ExpiresAt)}
	v.page = newPage("Verify your e-mail address", d.PublicURL)
	return build(verifyEmailTemplate, v.page, v, d.Email)
}
