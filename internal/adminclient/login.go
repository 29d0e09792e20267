package adminclient

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"runtime"
	"strings"

	"github.com/google/uuid"

	"github.com/castellan-vault/castellan/internal/bwcrypto"
)

// ErrTwoFactorRequired means the account needs a second factor to log in, which castellan admin
// cannot provide yet.
var ErrTwoFactorRequired = errors.New(
	"this account requires two-step login, which castellan admin does not support yet")

// ErrNotLoggedIn is returned by calls that need Login first.
var ErrNotLoggedIn = errors.New("not logged in")

// deviceName is how the server's device list shows this client.
const deviceName = "castellan admin"

// deviceType is the official device type of a command-line client on this system.
func deviceType() string {
	switch runtime.GOOS {
	case "windows":
		return "23"
	case "darwin":
		return "24"
	}
	return "25"
}

// DeviceIdentifier returns the device identifier the client derives for an administrator on a
// server: the same every run, so the server sees one known device rather than a new one each time,
// and different per server and address. It is a name-based (SHA-1) UUID and reveals nothing the
// server does not already know.
func DeviceIdentifier(server, email string) string {
	name := "castellan-admin\n" + strings.TrimRight(server, "/") + "\n" + bwcrypto.NormalizeSalt(email)
	return uuid.NewSHA1(uuid.NameSpaceURL, []byte(name)).String()
}

// preloginResponse is the account's KDF.
type preloginResponse struct {
	Kdf            int  `json:"kdf"`
	KdfIterations  int  `json:"kdfIterations"`
	KdfMemory      *int `json:"kdfMemory"`
	KdfParallelism *int `json:"kdfParallelism"`
}

func (p preloginResponse) kdf() bwcrypto.KDF {
	k := bwcrypto.KDF{Kind: bwcrypto.KDFKind(p.Kdf), Iterations: p.KdfIterations}
	if p.KdfMemory != nil {
		k.MemoryMiB = *p.KdfMemory
	}
	if p.KdfParallelism != nil {
		k.Parallelism = *p.KdfParallelism
	}
	return k
}

// prelogin asks for the account's KDF, on the current route and then on the legacy one.
func (c *Client) prelogin(ctx context.Context, email string) (bwcrypto.KDF, error) {
	var p preloginResponse
	body := map[string]string{"email": email}
	err := c.call(ctx, http.MethodPost, "/identity/accounts/prelogin/password", body, &p)
	var ae *APIError
	if errors.As(err, &ae) && (ae.Status == http.StatusNotFound || ae.Status == http.StatusMethodNotAllowed) {
		err = c.call(ctx, http.MethodPost, "/identity/accounts/prelogin", body, &p)
	}
	if err != nil {
		return bwcrypto.KDF{}, fmt.Errorf("prelogin: %w", err)
	}
	kdf := p.kdf()
	// The official clients refuse settings below their minimums as a downgrade attack; so does this one.
	if err := kdf.Validate(); err != nil {
		return bwcrypto.KDF{}, fmt.Errorf("prelogin: the server sent unsafe KDF settings: %w", err)
	}
	return kdf, nil
}

// tokenResponse holds the parts of a successful password grant the client reads.
type tokenResponse struct {
	AccessToken string  `json:"access_token"`
	Key         string  `json:"Key"`
	PrivateKey  *string `json:"PrivateKey"`
	AccountKeys *struct {
		PublicKeyEncryptionKeyPair struct {
			WrappedPrivateKey string `json:"wrappedPrivateKey"`
		} `json:"publicKeyEncryptionKeyPair"`
	} `json:"AccountKeys"`
}

func (t tokenResponse) wrappedPrivateKey() string {
	if t.AccountKeys != nil && t.AccountKeys.PublicKeyEncryptionKeyPair.WrappedPrivateKey != "" {
		return t.AccountKeys.PublicKeyEncryptionKeyPair.WrappedPrivateKey
	}
	if t.PrivateKey != nil {
		return *t.PrivateKey
	}
	return ""
}

// Login logs the administrator in with the master password and opens the account's keys. A wrong
// password is an *APIError with the server's message.
func (c *Client) Login(ctx context.Context, email, password string) error {
	email = strings.TrimSpace(email)
	if email == "" {
		return errors.New("login: no e-mail address given")
	}
	if password == "" {
		return errors.New("login: empty master password")
	}
	kdf, err := c.prelogin(ctx, email)
	if err != nil {
		return err
	}
	mk, err := bwcrypto.DeriveMasterKey(password, email, kdf)
	if err != nil {
		return fmt.Errorf("login: %w", err)
	}
	hash, err := mk.Hash(password)
	if err != nil {
		return fmt.Errorf("login: %w", err)
	}
	tok, err := c.passwordGrant(ctx, email, hash)
	if err != nil {
		return fmt.Errorf("login: %w", err)
	}
	if tok.Key == "" || tok.wrappedPrivateKey() == "" {
		return errors.New("login: the account has no encryption keys yet; finish its setup in a Bitwarden client first")
	}
	acct, err := bwcrypto.UnlockAccount(email, password, kdf, tok.Key, tok.wrappedPrivateKey())
	if err != nil {
		return fmt.Errorf("login: open the account keys: %w", err)
	}
	c.token, c.account, c.profile = tok.AccessToken, acct, nil
	return nil
}

// passwordGrant posts the password grant as the official CLI does.
func (c *Client) passwordGrant(ctx context.Context, email, hash string) (tokenResponse, error) {
	deviceID := c.deviceID
	if deviceID == "" {
		deviceID = DeviceIdentifier(c.base.String(), email)
	}
	form := url.Values{
		"grant_type": {"password"}, "username": {email}, "password": {hash},
		"scope": {"api offline_access"}, "client_id": {"cli"},
		"deviceType": {deviceType()}, "deviceIdentifier": {deviceID}, "deviceName": {deviceName},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base.String()+"/identity/connect/token",
		strings.NewReader(form.Encode()))
	if err != nil {
		return tokenResponse{}, fmt.Errorf("build token request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	var tok tokenResponse
	if err := c.send(req, &tok); err != nil {
		return tokenResponse{}, err
	}
	if tok.AccessToken == "" {
		return tokenResponse{}, errors.New("the server sent no access token")
	}
	return tok, nil
}

// Account returns the logged-in administrator's keys (nil before Login).
func (c *Client) Account() *bwcrypto.Account { return c.account }

// Email returns the logged-in administrator's normalised address ("" before Login).
func (c *Client) Email() string {
	if c.account == nil {
		return ""
	}
	return c.account.Email
}

func (c *Client) requireLogin() error {
	if c.token == "" || c.account == nil {
		return ErrNotLoggedIn
	}
	return nil
}
