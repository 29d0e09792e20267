package accounts

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/mail"
	"slices"
	"strings"
	"time"

	"github.com/castellan-vault/castellan/internal/bwcrypto"
	"github.com/castellan-vault/castellan/internal/httpx"
	"github.com/castellan-vault/castellan/internal/secret"
	"github.com/castellan-vault/castellan/internal/storage"
)

// Limits on what registration and the profile accept, as the official server has them.
const (
	maxEmailLen = 256
	maxNameLen  = 50
	maxHintLen  = 50
	// registrationTokenTTL is how long the token of register/send-verification-email stays valid.
	registrationTokenTTL = 24 * time.Hour
	registrationKeyName  = "accounts.registration_token_key"
)

// Registration is a new account, as the register routes decode it (register.go, http.go).
type Registration struct {
	Email             string
	Name              string
	VerificationToken string // from send-verification-email's answer or mailed link; "" for legacy
	// OrganizationUserID and OrgInviteToken come from an organization invitation's Join link: an
	// invited address may register even where registration is closed, and its address counts as
	// verified, since the invitation reached it.
	OrganizationUserID string
	OrgInviteToken     string
	MasterPasswordHash string
	Hint               string
	KDF                bwcrypto.KDF
	Key                string // the user key under the stretched master key ("2.")
	PublicKey          string // base64 DER SPKI, or "" when the client sends no key pair
	EncryptedPrivKey   string // "2.", set together with PublicKey
}

// RegistrationOpen reports whether new accounts may be created at all (for /api/config).
func (s *Service) RegistrationOpen() bool { return !s.cfg.RegistrationClosed }

// checkRegistrable refuses addresses that are malformed, or that the instance does not take.
func (s *Service) checkRegistrable(email string) error {
	if s.cfg.RegistrationClosed {
		return httpx.BadRequest("Registration is closed on this server. Ask an administrator for an invitation.")
	}
	if err := checkEmail(email); err != nil {
		return err
	}
	if len(s.cfg.RegistrationDomains) > 0 {
		_, domain, _ := strings.Cut(email, "@")
		if !slices.Contains(s.cfg.RegistrationDomains, domain) {
			return httpx.Invalid("Email", "Registration is limited to other e-mail domains on this server.")
		}
	}
	return nil
}

// checkEmail accepts one bare address (no display name), within the length limit.
func checkEmail(email string) error {
	if email == "" {
		return httpx.Invalid("Email", "The Email field is required.")
	}
	a, err := mail.ParseAddress(email)
	if httpx.TextLen(email) > maxEmailLen || err != nil || a.Address != email || a.Name != "" {
		return httpx.Invalid("Email", "The Email field is not a valid e-mail address.")
	}
	return nil
}

// StartRegistration answers register/send-verification-email. The verification token binds the
// address and name for register/finish. With e-mail verification on (Config.VerifyEmail), the token
// travels only as a link mailed to the address, and "" is returned; an address that already has an
// account gets no mail and the same answer, as on the official server, so that the answer does not
// tell whether an account exists. With verification off, the token is returned to the caller, as
// the official server does then, and proves nothing about the address.
//
// With verification on, VerificationMailLimit counts the request before anything tells whether the
// address has an account; over the limit the answer is a 429 (mailLimited) and nothing is mailed.
func (s *Service) StartRegistration(ctx context.Context, email, name, clientAddr string) (string, error) {
	email = NormalizeEmail(email)
	if err := s.checkRegistrable(email); err != nil {
		return "", err
	}
	if err := s.checkDomainBlock(ctx, email); err != nil {
		return "", err
	}
	if httpx.TextLen(name) > maxNameLen {
		return "", httpx.Invalid("Name", fmt.Sprintf("The Name field must be at most %d characters.", maxNameLen))
	}
	token, expires, err := s.registrationToken(ctx, registrationClaims{Email: email, Name: name,
		Mailed: s.cfg.VerifyEmail})
	if err != nil || !s.cfg.VerifyEmail {
		return token, err
	}
	if s.VerificationMailLimit != nil {
		wait, err := s.VerificationMailLimit(ctx, email, clientAddr)
		if err != nil {
			return "", err
		}
		if wait > 0 {
			s.log.InfoContext(ctx, "registration verification not sent: too many requests", "retry_after", wait)
			return "", &mailLimited{wait: wait, err: &httpx.Error{Status: http.StatusTooManyRequests,
				Message: "Too many verification e-mails were requested. Try again later."}}
		}
	}
	return "", s.mailVerification(ctx, email, token, expires)
}

// mailLimited is the 429 of a verification mail over the limit, with how long until the next one
// may be asked for (the handler's Retry-After).
type mailLimited struct {
	wait time.Duration
	err  *httpx.Error
}

func (e *mailLimited) Error() string { return e.err.Message }
func (e *mailLimited) Unwrap() error { return e.err }

// registrationToken signs c, valid for registrationTokenTTL from now, and returns it with its expiry.
func (s *Service) registrationToken(ctx context.Context, c registrationClaims) (string, time.Time, error) {
	key, err := s.tokenKey(ctx)
	if err != nil {
		return "", time.Time{}, err
	}
	expires := s.clock.Now().Add(registrationTokenTTL)
	c.Expires = expires.Unix()
	payload, err := json.Marshal(c)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("make registration token: %w", err)
	}
	enc := base64.RawURLEncoding
	return enc.EncodeToString(payload) + "." + enc.EncodeToString(macOf(key, payload)), expires, nil
}

// mailVerification sends the verification link to an address without an account. A failed delivery
// is a 500 whose message says what did not happen; its cause (never the token) goes to the log.
func (s *Service) mailVerification(ctx context.Context, email, token string, expires time.Time) error {
	_, err := s.store.UserByEmail(ctx, email)
	if err == nil {
		// TODO(accounts): this answer comes without the SMTP round trip, so its timing can tell that
		// the address has an account; send in the background for both cases to close that.
		s.log.InfoContext(ctx, "registration verification not sent: the address has an account")
		return nil
	}
	if !errors.Is(err, storage.ErrNotFound) {
		return err
	}
	if err := s.mailer.SendRegistrationVerification(ctx, email, secret.String(token), expires); err != nil {
		return &httpx.Error{Status: http.StatusInternalServerError,
			Message: "The verification e-mail could not be sent. Try again later.", Cause: err}
	}
	s.log.InfoContext(ctx, "registration verification mailed")
	return nil
}

type registrationClaims struct {
	Email   string `json:"e"`
	Name    string `json:"n"`
	Expires int64  `json:"x"`
	// Mailed marks a token that was only ever sent to the address by e-mail: holding it proves the
	// address. A token returned in the answer proves nothing.
	Mailed bool `json:"m,omitempty"`
}

// Messages of e-mail verification at register/finish.
const (
	msgBadVerificationToken = "The e-mail verification token is invalid or has expired."
	msgVerificationRequired = "This server verifies e-mail addresses: start creating the account again " +
		"and follow the link it e-mails you."
)

// checkRegistrationToken verifies a token from StartRegistration for email and returns its claims.
func (s *Service) checkRegistrationToken(ctx context.Context, token, email string) (registrationClaims, error) {
	bad := httpx.Invalid("EmailVerificationToken", msgBadVerificationToken)
	p, m, ok := strings.Cut(token, ".")
	payload, err1 := base64.RawURLEncoding.DecodeString(p)
	mac, err2 := base64.RawURLEncoding.DecodeString(m)
	if !ok || err1 != nil || err2 != nil {
		return registrationClaims{}, bad
	}
	key, err := s.tokenKey(ctx)
	if err != nil {
		return registrationClaims{}, err
	}
	if !hmac.Equal(mac, macOf(key, payload)) {
		return registrationClaims{}, bad
	}
	var c registrationClaims
	if json.Unmarshal(payload, &c) != nil || c.Email != email || s.clock.Now().Unix() > c.Expires {
		return registrationClaims{}, bad
	}
	return c, nil
}

// checkVerification applies e-mail verification to a registration and reports whether its address
// counts as verified. An invitation proves the address. Otherwise, with verification on, a token
// that was mailed must come along; with it off, a token is checked when sent but proves nothing.
// A registration without a name takes the one the token carries.
func (s *Service) checkVerification(ctx context.Context, r *Registration, invited bool) (bool, error) {
	if r.VerificationToken == "" {
		if s.cfg.VerifyEmail && !invited {
			return false, httpx.Invalid("EmailVerificationToken", msgVerificationRequired)
		}
		return invited, nil
	}
	c, err := s.checkRegistrationToken(ctx, r.VerificationToken, r.Email)
	if err != nil {
		return false, err
	}
	if s.cfg.VerifyEmail && !c.Mailed && !invited {
		return false, httpx.Invalid("EmailVerificationToken", msgBadVerificationToken)
	}
	if r.Name == "" {
		r.Name = c.Name
	}
	return invited || c.Mailed, nil
}

// tokenKey returns the instance's registration-token MAC key, made once and kept in settings so
// that every castellan process on the database shares it.
func (s *Service) tokenKey(ctx context.Context) ([]byte, error) {
	v, err := s.settings.Get(ctx, registrationKeyName)
	if errors.Is(err, storage.ErrNotFound) {
		b := make([]byte, 32)
		if _, err := io.ReadFull(s.rand, b); err != nil {
			return nil, fmt.Errorf("make registration key: %w", err)
		}
		v, err = s.settings.PutIfAbsent(ctx, registrationKeyName, hex.EncodeToString(b), s.clock.Now())
	}
	if err != nil {
		return nil, fmt.Errorf("read registration key: %w", err)
	}
	key, err := hex.DecodeString(v)
	if err != nil {
		return nil, fmt.Errorf("read registration key: %w", err)
	}
	return key, nil
}

func macOf(key, payload []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write(payload)
	return h.Sum(nil)
}

// Register creates an account from a checked registration, in one insert: nothing is stored when
// any check fails.
func (s *Service) Register(ctx context.Context, r Registration) (*User, error) {
	r.Email = NormalizeEmail(r.Email)
	invited, err := s.checkInvitation(ctx, r)
	if err != nil {
		return nil, err
	}
	if invited {
		err = checkEmail(r.Email)
	} else {
		err = s.checkRegistrable(r.Email)
	}
	if err != nil {
		return nil, err
	}
	if err := s.checkDomainBlock(ctx, r.Email); err != nil {
		return nil, err
	}
	verified, err := s.checkVerification(ctx, &r, invited)
	if err != nil {
		return nil, err
	}
	if err := checkRegistration(r); err != nil {
		return nil, err
	}
	hash, err := HashPassword(s.rand, r.MasterPasswordHash, s.cfg.PasswordIterations)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	u := &User{
		ID: s.newID(), Email: r.Email, Name: r.Name, PasswordHash: hash, Hint: r.Hint, KDF: r.KDF,
		Key: r.Key, PublicKey: r.PublicKey, PrivateKey: r.EncryptedPrivKey, SecurityStamp: s.newID(),
		APIKey: newAPIKey(s.rand), Culture: "en-US", EmailVerified: verified,
		// castellan has no paid tier: every account gets what the clients gate on premium (TOTP codes,
		// file attachments, reports).
		Premium:   true,
		CreatedAt: now, RevisionDate: now, AccountRevisionDate: now,
	}
	if err := s.store.CreateUser(ctx, u); err != nil {
		if errors.Is(err, storage.ErrConflict) {
			return nil, httpx.Invalid("Email", fmt.Sprintf("Email '%s' is already taken.", r.Email))
		}
		return nil, err
	}
	s.log.InfoContext(ctx, "account registered", "user_id", u.ID, "kdf", int(u.KDF.Kind))
	return u, nil
}

// checkInvitation reports whether the registration carries a valid organization invitation for
// its address. A token that does not validate is refused with the organizations' message ("Invalid
// token.", "Expired token."); without the InviteTokens hook the invitation fields are ignored.
func (s *Service) checkInvitation(ctx context.Context, r Registration) (bool, error) {
	if r.OrgInviteToken == "" || s.InviteTokens == nil {
		return false, nil
	}
	email, err := s.InviteTokens(ctx, strings.ToLower(strings.TrimSpace(r.OrganizationUserID)), r.OrgInviteToken)
	if err != nil {
		return false, &httpx.Error{Status: 400, Message: err.Error()}
	}
	if email != r.Email {
		return false, httpx.BadRequest("User email does not match invite.")
	}
	return true, nil
}

// checkRegistration checks the client's values: a KDF within the limits, and well-formed keys.
func checkRegistration(r Registration) error {
	if httpx.TextLen(r.Name) > maxNameLen {
		return httpx.Invalid("Name", fmt.Sprintf("The Name field must be at most %d characters.", maxNameLen))
	}
	if httpx.TextLen(r.Hint) > maxHintLen {
		return httpx.Invalid("MasterPasswordHint",
			fmt.Sprintf("The MasterPasswordHint field must be at most %d characters.", maxHintLen))
	}
	if r.MasterPasswordHash == "" || len(r.MasterPasswordHash) > maxClientHashLen {
		return httpx.Invalid("MasterPasswordHash", "The MasterPasswordHash field is required.")
	}
	if err := r.KDF.Validate(); err != nil {
		return &httpx.Error{Status: 400, Message: "The model state is invalid.",
			ValidationErrors: map[string][]string{"Kdf": {kdfMessage(r.KDF)}}, Cause: err}
	}
	if err := checkSymmetric("Key", r.Key); err != nil {
		return err
	}
	if r.PublicKey == "" && r.EncryptedPrivKey == "" {
		return nil
	}
	if _, err := bwcrypto.ParsePublicKey(r.PublicKey); err != nil {
		return httpx.Invalid("Keys.PublicKey", "The public key is not a base64 RSA SubjectPublicKeyInfo.")
	}
	return checkSymmetric("Keys.EncryptedPrivateKey", r.EncryptedPrivKey)
}

// checkSymmetric requires a well-formed type 2 EncString, the only symmetric type a new account has.
func checkSymmetric(field, v string) error {
	e, err := bwcrypto.ParseEncString(v)
	if err != nil || e.Type != bwcrypto.EncAESCBC256HMAC {
		return &httpx.Error{Status: 400, Message: "The model state is invalid.",
			ValidationErrors: map[string][]string{field: {"The " + field + " field is not a valid encrypted string."}},
			Cause:            err}
	}
	return nil
}

func kdfMessage(k bwcrypto.KDF) string {
	switch k.Kind {
	case bwcrypto.KDFPBKDF2:
		return fmt.Sprintf("PBKDF2 iterations must be between %d and %d.",
			bwcrypto.PBKDF2MinIterations, bwcrypto.PBKDF2MaxIterations)
	case bwcrypto.KDFArgon2id:
		return fmt.Sprintf("Argon2id needs %d-%d iterations, %d-%d MiB of memory and parallelism %d-%d.",
			bwcrypto.Argon2MinIterations, bwcrypto.Argon2MaxIterations, bwcrypto.Argon2MinMemoryMiB,
			bwcrypto.Argon2MaxMemoryMiB, bwcrypto.Argon2MinParallelism, bwcrypto.Argon2MaxParallelism)
	}
	return "Unknown KDF type."
}
