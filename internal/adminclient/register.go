package adminclient

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/castellan-vault/castellan/internal/bwcrypto"
)

// MinPasswordLength is the shortest master password the official clients let a new account choose.
const MinPasswordLength = 12

// Registration is a new account. The client makes every secret from the password (bwcrypto); only
// the master password hash and the wrapped keys go to the server.
type Registration struct {
	Email    string
	Name     string
	Password string
	Hint     string
	// KDF is the account's key derivation; the zero value means the clients' default
	// (bwcrypto.DefaultKDF: PBKDF2 with 600,000 iterations).
	KDF bwcrypto.KDF
	// VerificationToken is the token of the e-mail verification link (VerificationLink), or the one
	// StartRegistration returned where the server does not verify addresses.
	VerificationToken string
	// Invitation registers the invited address with the invitation's token, which proves it: the
	// server then needs no e-mail verification and takes the account even where registration is
	// closed. Email must be the invited address.
	Invitation *InviteLink
}

// StartRegistration asks the server to start registering email
// (register/send-verification-email). A server that verifies addresses mails a link and answers
// with no token: mailed is true, and Register needs the link's token. Otherwise the token comes back.
func (c *Client) StartRegistration(ctx context.Context, email, name string) (token string, mailed bool,
	err error) {
	body := map[string]any{"email": strings.TrimSpace(email), "name": name, "receiveMarketingEmails": false}
	var tok *string
	if err := c.call(ctx, http.MethodPost, "/identity/accounts/register/send-verification-email", body,
		&tok); err != nil {
		return "", false, fmt.Errorf("start registration: %w", err)
	}
	if tok == nil || *tok == "" {
		return "", true, nil
	}
	return *tok, false, nil
}

// Register creates the account (register/finish) and returns its secrets. It does not log in.
func (c *Client) Register(ctx context.Context, r Registration) (*bwcrypto.Account, error) {
	r.Email = strings.TrimSpace(r.Email)
	if r.KDF == (bwcrypto.KDF{}) {
		r.KDF = bwcrypto.DefaultKDF()
	}
	if err := checkNewAccount(r); err != nil {
		return nil, err
	}
	acct, err := bwcrypto.NewAccount(r.Email, r.Password, r.KDF, c.rand)
	if err != nil {
		return nil, fmt.Errorf("register: %w", err)
	}
	if err := c.call(ctx, http.MethodPost, "/identity/accounts/register/finish", finishBody(r, acct),
		nil); err != nil {
		return nil, fmt.Errorf("register: %w", err)
	}
	return acct, nil
}

func checkNewAccount(r Registration) error {
	switch {
	case r.Email == "" || !strings.Contains(r.Email, "@"):
		return errors.New("register: no valid e-mail address given")
	case utf8.RuneCountInString(r.Password) < MinPasswordLength:
		return fmt.Errorf("register: the master password must have at least %d characters", MinPasswordLength)
	case r.Invitation != nil && !strings.EqualFold(r.Invitation.Email, r.Email):
		return fmt.Errorf("register: the invitation is for %s, not %s", r.Invitation.Email, r.Email)
	}
	if err := r.KDF.Validate(); err != nil {
		return fmt.Errorf("register: %w", err)
	}
	return nil
}

// finishBody is register/finish in the current clients' shape, with the legacy KDF fields as well.
func finishBody(r Registration, a *bwcrypto.Account) map[string]any {
	kdf := map[string]any{"kdfType": int(a.KDF.Kind), "iterations": a.KDF.Iterations}
	body := map[string]any{
		"email": a.Email, "name": nilIfEmpty(r.Name), "masterPasswordHint": nilIfEmpty(r.Hint),
		"masterPasswordHash": a.MasterPasswordHash, "userSymmetricKey": a.Key,
		"userAsymmetricKeys": map[string]any{"publicKey": a.PublicKey,
			"encryptedPrivateKey": a.EncryptedPrivateKey},
		"masterPasswordAuthentication": map[string]any{"salt": a.Email, "kdf": kdf,
			"masterPasswordAuthenticationHash": a.MasterPasswordHash},
		"masterPasswordUnlock": map[string]any{"salt": a.Email, "kdf": kdf, "masterKeyWrappedUserKey": a.Key},
		"kdf":                  int(a.KDF.Kind), "kdfIterations": a.KDF.Iterations,
	}
	if a.KDF.Kind == bwcrypto.KDFArgon2id {
		kdf["memory"], kdf["parallelism"] = a.KDF.MemoryMiB, a.KDF.Parallelism
		body["kdfMemory"], body["kdfParallelism"] = a.KDF.MemoryMiB, a.KDF.Parallelism
	}
	if r.VerificationToken != "" {
		body["emailVerificationToken"] = r.VerificationToken
	}
	if r.Invitation != nil {
		body["orgInviteToken"], body["organizationUserId"] = r.Invitation.Token, r.Invitation.MemberID
	}
	return body
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// VerificationLink is what the e-mail verification link of a registration carries.
type VerificationLink struct {
	Email string
	Token string
}

// ParseVerificationLink reads the link of a verification e-mail
// (<server>/redirect-connector.html#finish-signup?token=..&email=.. or <server>/#/finish-signup?...),
// or its bare query.
func ParseVerificationLink(link string) (VerificationLink, error) {
	q, err := linkQuery(link, "finish-signup")
	if err != nil {
		return VerificationLink{}, fmt.Errorf("verification link: %w", err)
	}
	v := VerificationLink{Email: q.Get("email"), Token: q.Get("token")}
	if v.Token == "" || v.Email == "" {
		return VerificationLink{}, errors.New("verification link: it has no token or no e-mail address; " +
			"copy the whole link from the e-mail")
	}
	return v, nil
}

// linkQuery returns the query of a web vault link whose route (in the fragment) is route: the
// full URL, the fragment, or the bare query.
func linkQuery(link, route string) (url.Values, error) {
	link = strings.TrimSpace(link)
	raw := link
	if _, frag, ok := strings.Cut(link, "#"); ok {
		r, query, _ := strings.Cut(strings.TrimPrefix(frag, "/"), "?")
		if r != route {
			return nil, fmt.Errorf("it leads to %q, not to %s", r, route)
		}
		raw = query
	} else if u, err := url.Parse(link); err == nil && u.Scheme != "" {
		return nil, fmt.Errorf("%s has no #/%s?... part; copy the whole link", u.Redacted(), route)
	}
	q, err := url.ParseQuery(raw)
	if err != nil {
		return nil, fmt.Errorf("read its parameters: %w", err)
	}
	return q, nil
}
