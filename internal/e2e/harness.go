package e2e

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/castellan-vault/castellan/internal/bwcrypto"
	"github.com/castellan-vault/castellan/internal/castellantest"
)

// TestKDF is the KDF of harness accounts: the client's minimum, so that the harness and the CLI
// derive keys quickly.
var TestKDF = bwcrypto.KDF{Kind: bwcrypto.KDFPBKDF2, Iterations: bwcrypto.PBKDF2MinIterations}

// User is an account the harness registered, with every secret behind it.
type User struct {
	ID       string
	Email    string
	Password string
	Account  *bwcrypto.Account // the plain user key and RSA key
	Token    string            // an access token from the password grant, once Login ran
}

// Register registers a new account on srv the way the web vault does
// (register/send-verification-email, then register/finish), with secrets made by bwcrypto, logs
// the harness in and reads the account id.
func Register(t testing.TB, srv *castellantest.Server, email, password string) *User {
	t.Helper()
	acct, err := bwcrypto.NewAccount(email, password, TestKDF, rand.Reader)
	if err != nil {
		t.Fatalf("e2e: make account secrets: %v", err)
	}
	u := &User{Email: acct.Email, Password: password, Account: acct}
	var token string
	Call(t, srv, "", "POST", "/identity/accounts/register/send-verification-email",
		map[string]any{"email": email, "name": "E2E", "receiveMarketingEmails": false}, &token)
	Call(t, srv, "", "POST", "/identity/accounts/register/finish", map[string]any{
		"email": email, "emailVerificationToken": token, "masterPasswordHash": acct.MasterPasswordHash,
		"masterPasswordHint": nil, "userSymmetricKey": acct.Key,
		"userAsymmetricKeys": map[string]any{
			"publicKey": acct.PublicKey, "encryptedPrivateKey": acct.EncryptedPrivateKey,
		},
		"kdf": int(TestKDF.Kind), "kdfIterations": TestKDF.Iterations,
	}, nil)
	u.Login(t, srv)
	var profile struct{ ID string }
	Call(t, srv, u.Token, "GET", "/api/accounts/profile", nil, &profile)
	u.ID = profile.ID
	return u
}

// Login takes an access token with the password grant, as the web vault does.
func (u *User) Login(t testing.TB, srv *castellantest.Server) {
	t.Helper()
	form := url.Values{"grant_type": {"password"}, "username": {u.Email},
		"password": {u.Account.MasterPasswordHash}, "scope": {"api offline_access"}, "client_id": {"web"},
		"deviceType": {"9"}, "deviceIdentifier": {uuid.NewString()}, "deviceName": {"e2e harness"}}
	u.Token = accessToken(t, srv, form)
}

// accessToken posts form to the token endpoint and returns the access token of a 200 answer; any
// other answer fails the test with its grant type, status and body.
func accessToken(t testing.TB, srv *castellantest.Server, form url.Values) string {
	t.Helper()
	resp, err := srv.Client.PostForm(srv.URL+"/identity/connect/token", form)
	if err != nil {
		t.Fatalf("e2e: token request: %v", err)
	}
	defer resp.Body.Close()
	var body struct {
		AccessToken string `json:"access_token"`
	}
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || json.Unmarshal(raw, &body) != nil || body.AccessToken == "" {
		t.Fatalf("e2e: %s grant: status %d: %s", form.Get("grant_type"), resp.StatusCode, raw)
	}
	return body.AccessToken
}

// Call sends a JSON request to srv (with a bearer token when token is set), fails the test on any
// status but 200, and decodes the answer into out when out is not nil.
func Call(t testing.TB, srv *castellantest.Server, token, method, path string, body, out any) {
	t.Helper()
	status, raw := Do(t, srv, token, method, path, body)
	if status != http.StatusOK {
		t.Fatalf("e2e: %s %s: status %d: %s", method, path, status, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("e2e: %s %s: decode %s: %v", method, path, raw, err)
		}
	}
}

// Do sends a JSON request and returns the status and body, whatever they are.
func Do(t testing.TB, srv *castellantest.Server, token, method, path string, body any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := srv.Client.Do(req)
	if err != nil {
		t.Fatalf("e2e: %s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("e2e: %s %s: read body: %v", method, path, err)
	}
	return resp.StatusCode, raw
}

// Decrypt opens an EncString the server stored for u: under the item's own key when the item has
// one (itemKey, itself under the user key), else under the user key. An empty value stays empty.
func (u *User) Decrypt(itemKey, value string) (string, error) {
	if value == "" {
		return "", nil
	}
	key := u.Account.UserKey
	if itemKey != "" {
		raw, err := key.DecryptString(itemKey)
		if err != nil {
			return "", fmt.Errorf("open item key: %w", err)
		}
		if key, err = bwcrypto.SymmetricKeyFromBytes(raw); err != nil {
			return "", fmt.Errorf("open item key: %w", err)
		}
	}
	plain, err := key.DecryptString(value)
	if err != nil {
		return "", fmt.Errorf("decrypt %.12s…: %w", value, err)
	}
	return string(plain), nil
}

// UniqueEmail returns a fresh address at example.com with the given local-part prefix.
func UniqueEmail(prefix string) string {
	return strings.ToLower(prefix) + "-" + uuid.NewString()[:8] + "@example.com"
}
