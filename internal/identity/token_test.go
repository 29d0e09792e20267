package identity_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/castellan-vault/castellan/internal/app"
	"github.com/castellan-vault/castellan/internal/bwcrypto"
	"github.com/castellan-vault/castellan/internal/identity"
	"github.com/castellan-vault/castellan/internal/identity/identitytest"
	"github.com/castellan-vault/castellan/internal/storage/storagetest"
)

const badPasswordBody = `{"error":"invalid_grant","error_description":"invalid_username_or_password",
	"ErrorModel":{"Message":"Username or password is incorrect. Try again.","Object":"error"}}`

func TestPasswordLoginResponse(t *testing.T) {
	e := newEnv(t)
	a := identitytest.NewAccount(t, " Ada@Example.com ", "correct horse")
	e.Register(t, a)
	w := e.Token(identitytest.PasswordForm(a))
	if w.Code != http.StatusOK {
		t.Fatalf("login: %d %s", w.Code, w.Body)
	}
	m := decode(t, w)
	for k, want := range map[string]any{
		"token_type": "Bearer", "expires_in": 3600.0, "scope": "api offline_access", "Key": a.Key,
		"PrivateKey": a.EncryptedPrivateKey, "Kdf": 0.0, "KdfIterations": 5000.0, "ForcePasswordReset": false,
		"ResetMasterPassword": false,
	} {
		if m[k] != want {
			t.Errorf("%s = %v, want %v", k, m[k], want)
		}
	}
	if m["refresh_token"] == "" || m["refresh_token"] == nil {
		t.Error("no refresh_token for offline_access")
	}
	keys, _ := json.Marshal(m["AccountKeys"])
	wantKeys := `{"object":"privateKeys","publicKeyEncryptionKeyPair":{"object":"publicKeyEncryptionKeyPair",` +
		`"publicKey":"` + a.PublicKey + `","signedPublicKey":null,"wrappedPrivateKey":"` + a.EncryptedPrivateKey +
		`"},"securityState":null,"signatureKeyPair":null}`
	if string(keys) != wantKeys {
		t.Errorf("AccountKeys = %s\nwant %s", keys, wantKeys)
	}
	udo, _ := json.Marshal(m["UserDecryptionOptions"])
	wantUDO := `{"HasMasterPassword":true,"MasterPasswordUnlock":{"Kdf":{"Iterations":5000,"KdfType":0,` +
		`"Memory":null,"Parallelism":null},"MasterKeyEncryptedUserKey":"` + a.Key + `","MasterKeyWrappedUserKey":"` +
		a.Key + `","Salt":"ada@example.com"},"Object":"userDecryptionOptions"}`
	if string(udo) != wantUDO {
		t.Errorf("UserDecryptionOptions = %s\nwant %s", udo, wantUDO)
	}
	if p, _ := json.Marshal(m["MasterPasswordPolicy"]); string(p) != `{"Object":"masterPasswordPolicy"}` {
		t.Errorf("MasterPasswordPolicy = %s", p)
	}
	// The unlock data the client gets back opens the account.
	if _, err := bwcrypto.UnlockAccount("ada@example.com", "correct horse", identitytest.TestKDF, m["Key"].(string),
		m["PrivateKey"].(string)); err != nil {
		t.Fatalf("the returned keys do not unlock: %v", err)
	}
	checkClaims(t, m["access_token"].(string), a)
	if n := count(t, e.DB, "devices"); n != 1 {
		t.Errorf("devices = %d, want the CLI's device recorded", n)
	}
}

func checkClaims(t *testing.T, token string, a *bwcrypto.Account) {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("access token is not a JWS: %q", token)
	}
	raw, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var c map[string]any
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	now := float64(time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC).Unix())
	if c["email"] != a.Email || c["name"] != "Test User" || c["email_verified"] != false || c["premium"] != true ||
		c["client_id"] != "cli" || c["sstamp"] == "" || c["device"] != "0d1c2b3a-4f5e-4d6c-8b7a-9f8e7d6c5b4a" ||
		c["iss"] != identitytest.PublicURL+"/identity" || c["nbf"] != now || c["exp"].(float64) < now+3600 ||
		c["jti"] == "" {
		t.Errorf("claims = %v", c)
	}
	if amr, _ := json.Marshal(c["amr"]); string(amr) != `["Application"]` {
		t.Errorf("amr = %s", amr)
	}
	if sc, _ := json.Marshal(c["scope"]); string(sc) != `["api","offline_access"]` {
		t.Errorf("scope = %s", sc)
	}
	if sub, _ := c["sub"].(string); len(sub) != 36 || strings.ToLower(sub) != sub {
		t.Errorf("sub %q is not a lower-case GUID", sub)
	}
}

func TestPasswordLoginRefusals(t *testing.T) {
	e := newEnv(t)
	a := identitytest.NewAccount(t, "ada@example.com", "right")
	e.Register(t, a)
	wrong := identitytest.NewAccount(t, "ada@example.com", "wrong")
	stranger := identitytest.NewAccount(t, "nobody@example.com", "right")
	devices, tokens := count(t, e.DB, "devices"), count(t, e.DB, "refresh_tokens")

	for name, form := range map[string]url.Values{
		"WrongPassword": identitytest.PasswordForm(wrong),
		"UnknownUser":   identitytest.PasswordForm(stranger),
		"OverlongHash":  with(identitytest.PasswordForm(a), "password", strings.Repeat("A", 300)),
	} {
		t.Run(name, func(t *testing.T) {
			wantBody(t, e.Token(form), http.StatusBadRequest, badPasswordBody)
		})
	}
	cases := []struct {
		name   string
		form   url.Values
		status int
		body   string
	}{
		{"UnknownGrant", with(identitytest.PasswordForm(a), "grant_type", "implicit"), 400,
			`{"error":"unsupported_grant_type","error_description":"The grant type is not supported."}`},
		{"AuthorizationCodeWithoutCode", with(identitytest.PasswordForm(a), "grant_type", "authorization_code"), 400,
			`{"error":"invalid_grant","error_description":"The authorization code is invalid or has expired.",` +
				`"ErrorModel":{"Message":"The authorization code is invalid or has expired.","Object":"error"}}`},
		{"UnknownGrant", with(identitytest.PasswordForm(a), "grant_type", "urn:ietf:params:oauth:grant-type:device_code"), 400,
			`{"error":"unsupported_grant_type","error_description":"The grant type is not supported."}`},
		{"UnknownClient", with(identitytest.PasswordForm(a), "client_id", "evil"), 400, `{"error":"invalid_client"}`},
		{"BadScope", with(identitytest.PasswordForm(a), "scope", "api admin"), 400,
			`{"error":"invalid_scope","error_description":"The scope admin is not available.",` +
				`"ErrorModel":{"Message":"The scope admin is not available.","Object":"error"}}`},
		{"NoGrant", with(identitytest.PasswordForm(a), "grant_type", ""), 400,
			`{"error":"invalid_request","error_description":"The grant_type parameter is required.",` +
				`"ErrorModel":{"Message":"The grant_type parameter is required.","Object":"error"}}`},
		{"BadDeviceType", with(identitytest.PasswordForm(a), "deviceType", "linux"), 400,
			`{"error":"invalid_request","error_description":"The deviceType parameter is not a device type.",` +
				`"ErrorModel":{"Message":"The deviceType parameter is not a device type.","Object":"error"}}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { wantBody(t, e.Token(c.form), c.status, c.body) })
	}
	if count(t, e.DB, "devices") != devices || count(t, e.DB, "refresh_tokens") != tokens {
		t.Fatal("a refused login stored a device or a refresh token")
	}
}

func with(v url.Values, k, val string) url.Values {
	out := url.Values{}
	for key, vs := range v {
		out[key] = append([]string(nil), vs...)
	}
	out.Set(k, val)
	return out
}

func TestTokenRequestShape(t *testing.T) {
	e := newEnv(t)
	a := identitytest.NewAccount(t, "ada@example.com", "pw")
	form := identitytest.PasswordForm(a).Encode()
	cases := []struct {
		name, body, ctype string
		status            int
		errCode           string
	}{
		{"JSONInsteadOfForm", `{"grant_type":"password"}`, "application/json", 400, "invalid_request"},
		{"NoContentType", form, "", 400, "invalid_request"},
		{"BrokenEncoding", "grant_type=%zz", "application/x-www-form-urlencoded", 400, "invalid_request"},
		{"RepeatedParameter", form + "&grant_type=password", "application/x-www-form-urlencoded", 400, "invalid_request"},
		{"Oversized", form + "&pad=" + strings.Repeat("x", 100<<10), "application/x-www-form-urlencoded", 413, "invalid_request"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := e.Do(http.MethodPost, "/identity/connect/token", strings.NewReader(c.body), "Content-Type", c.ctype)
			if w.Code != c.status || decode(t, w)["error"] != c.errCode {
				t.Fatalf("got %d %s, want %d with error %s", w.Code, w.Body, c.status, c.errCode)
			}
		})
	}
	// The clients' snake_case spellings are accepted too.
	e.Register(t, a)
	snake := url.Values{"grant_type": {"password"}, "username": {a.Email}, "password": {a.MasterPasswordHash},
		"scope": {"api"}, "client_id": {"web"}, "device_type": {"9"}, "device_identifier": {"web-1"},
		"device_name": {"firefox"}}
	if w := e.Token(snake); w.Code != 200 || decode(t, w)["refresh_token"] != nil {
		t.Fatalf("snake_case login without offline_access: %d %s", w.Code, w.Body)
	}
}

func TestRefreshTokenRotation(t *testing.T) {
	e := newEnv(t)
	_, tok := e.RegisterAndLogin(t, "ada@example.com", "pw")
	refresh := func(rt string) map[string]any {
		w := e.Token(url.Values{"grant_type": {"refresh_token"}, "client_id": {"cli"}, "refresh_token": {rt}})
		m := decode(t, w)
		m["status"] = w.Code
		return m
	}
	second := refresh(tok.RefreshToken)
	if second["status"] != 200 || second["refresh_token"] == tok.RefreshToken || second["access_token"] == "" {
		t.Fatalf("first refresh: %v", second)
	}
	if w := authedGet(e, "/api/accounts/revision-date", second["access_token"].(string)); w.Code != 200 {
		t.Fatalf("refreshed access token refused: %d", w.Code)
	}
	third := refresh(second["refresh_token"].(string))
	if third["status"] != 200 {
		t.Fatalf("second refresh: %v", third)
	}
	// Presenting an already-rotated token is a replay: refused, and the newest token dies with it.
	if replay := refresh(tok.RefreshToken); replay["status"] != 400 || replay["error"] != "invalid_grant" {
		t.Fatalf("replayed token: %v", replay)
	}
	if after := refresh(third["refresh_token"].(string)); after["status"] != 400 || after["error"] != "invalid_grant" {
		t.Fatalf("the family's newest token still works after a replay: %v", after)
	}
	if bogus := refresh("not-a-token"); bogus["status"] != 400 || bogus["error"] != "invalid_grant" {
		t.Fatalf("unknown refresh token: %v", bogus)
	}
}

func TestRefreshTokenLimits(t *testing.T) {
	e := newEnv(t)
	_, tok := e.RegisterAndLogin(t, "ada@example.com", "pw")
	other := url.Values{"grant_type": {"refresh_token"}, "client_id": {"web"}, "refresh_token": {tok.RefreshToken}}
	if w := e.Token(other); w.Code != 400 || decode(t, w)["error"] != "invalid_grant" {
		t.Fatalf("refresh with another client id: %d %s", w.Code, w.Body)
	}
	e.Clock.Advance(identity.DefaultRefreshTokenTTL + time.Second)
	w := e.Token(url.Values{"grant_type": {"refresh_token"}, "client_id": {"cli"}, "refresh_token": {tok.RefreshToken}})
	if w.Code != 400 || decode(t, w)["error_description"] != "The refresh token has expired." {
		t.Fatalf("expired refresh token: %d %s", w.Code, w.Body)
	}
}

func TestClientCredentials(t *testing.T) {
	e := newEnv(t)
	a, tok := e.RegisterAndLogin(t, "ada@example.com", "pw")
	w := e.JSON(http.MethodPost, "/api/accounts/api-key", map[string]string{"masterPasswordHash": a.MasterPasswordHash},
		tok.AccessToken)
	key := decode(t, w)
	if w.Code != 200 || key["object"] != "apiKey" || len(key["apiKey"].(string)) != 30 {
		t.Fatalf("api-key: %d %s", w.Code, w.Body)
	}
	userID := subject(t, tok.AccessToken)
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {"user." + userID},
		"client_secret": {key["apiKey"].(string)}, "scope": {"api"}, "deviceType": {"25"},
		"deviceIdentifier": {"cli-2"}, "deviceName": {"linux"}}
	w = e.Token(form)
	m := decode(t, w)
	if w.Code != 200 || m["refresh_token"] != nil || m["Key"] != a.Key || m["AccountKeys"] == nil {
		t.Fatalf("api key login: %d %s", w.Code, w.Body)
	}
	for name, f := range map[string]url.Values{
		"WrongSecret":  with(form, "client_secret", "nope"),
		"UnknownUser":  with(form, "client_id", "user.00000000-0000-4000-8000-000000000000"),
		"NotAGUID":     with(form, "client_id", "user.ada"),
		"Organization": with(form, "client_id", "organization."+userID),
	} {
		t.Run(name, func(t *testing.T) { wantBody(t, e.Token(f), 400, `{"error":"invalid_client"}`) })
	}
	if w := e.Token(with(form, "scope", "api offline_access")); w.Code != 400 || decode(t, w)["error"] != "invalid_scope" {
		t.Fatalf("api key with offline_access: %d %s", w.Code, w.Body)
	}
	// Rotation ends the old key.
	rot := e.JSON(http.MethodPost, "/api/accounts/rotate-api-key", map[string]string{"masterPasswordHash": a.MasterPasswordHash},
		tok.AccessToken)
	if rot.Code != 200 || decode(t, rot)["apiKey"] == key["apiKey"] {
		t.Fatalf("rotate-api-key: %d %s", rot.Code, rot.Body)
	}
	wantBody(t, e.Token(form), 400, `{"error":"invalid_client"}`)
}

func subject(t *testing.T, token string) string {
	t.Helper()
	raw, _ := base64.RawURLEncoding.DecodeString(strings.Split(token, ".")[1])
	var c struct{ Sub string }
	_ = json.Unmarshal(raw, &c)
	return c.Sub
}

func TestRateLimit(t *testing.T) {
	db := storagetest.OpenFresh(t, storagetest.Engines()[0])
	e := identitytest.New(t, db, app.AccountSettings{
		Limits: identity.Limits{PerAccount: 3, PerAddress: 5, Window: 10 * time.Minute}})
	a := identitytest.NewAccount(t, "ada@example.com", "right")
	e.Register(t, a)
	wrong := identitytest.PasswordForm(identitytest.NewAccount(t, "ada@example.com", "wrong"))
	for range 3 {
		wantBody(t, e.Token(wrong), 400, badPasswordBody)
	}
	// The account is now locked, even for the right password; the body is client-shaped.
	w := e.Token(identitytest.PasswordForm(a))
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "600" {
		t.Fatalf("4th attempt: %d Retry-After=%q %s", w.Code, w.Header().Get("Retry-After"), w.Body)
	}
	wantBody(t, w, 429, `{"error":"rate_limited","error_description":"too_many_failed_logins",`+
		`"ErrorModel":{"Message":"Too many failed logins. Try again later.","Object":"error"}}`)
	// Two more failures for other accounts fill the address bucket (3 + 2 = 5).
	for _, email := range []string{"x@example.com", "y@example.com"} {
		wantBody(t, e.Token(identitytest.PasswordForm(identitytest.NewAccount(t, email, "p"))), 400, badPasswordBody)
	}
	if w := e.Token(identitytest.PasswordForm(identitytest.NewAccount(t, "z@example.com", "p"))); w.Code != 429 {
		t.Fatalf("address bucket full, got %d", w.Code)
	}
	// Another address is not limited by this one's failures, but still by the account's.
	other := []string{"X-Forwarded-For", "198.51.100.7"} // ignored: no trusted proxy header configured
	if w := e.Token(identitytest.PasswordForm(a), other...); w.Code != 429 {
		t.Fatalf("a forged X-Forwarded-For escaped the limit: %d", w.Code)
	}
	e.Clock.Advance(10 * time.Minute)
	e.Login(t, a)
}

func TestRateLimitBehindProxy(t *testing.T) {
	db := storagetest.OpenFresh(t, storagetest.Engines()[0])
	e := identitytest.New(t, db, app.AccountSettings{ClientIPHeader: "X-Forwarded-For",
		Limits: identity.Limits{PerAccount: 100, PerAddress: 2, Window: time.Minute}})
	form := identitytest.PasswordForm(identitytest.NewAccount(t, "ada@example.com", "p"))
	for range 2 {
		e.Token(form, "X-Forwarded-For", "203.0.113.5, 198.51.100.1")
	}
	if w := e.Token(form, "X-Forwarded-For", "198.51.100.1"); w.Code != 429 {
		t.Fatalf("same proxied address: %d, want 429", w.Code)
	}
	if w := e.Token(form, "X-Forwarded-For", "198.51.100.2"); w.Code != 400 {
		t.Fatalf("another proxied address: %d, want 400", w.Code)
	}
}
