package policies_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/castellan-vault/castellan/internal/app"
	"github.com/castellan-vault/castellan/internal/bwcrypto"
	"github.com/castellan-vault/castellan/internal/clock"
	"github.com/castellan-vault/castellan/internal/identity/identitytest"
	"github.com/castellan-vault/castellan/internal/mail"
	"github.com/castellan-vault/castellan/internal/storage"
	"github.com/castellan-vault/castellan/internal/storage/storagetest"
)

// env is castellan wired in process (app.New) on a fresh SQLite database, with a fake clock and a
// mail sink from which the tests read invitation tokens. Accounts are real (bwcrypto), so that
// logins go through the real token endpoint and tokens through the real Verifier.
type env struct {
	t     testing.TB
	db    *storage.DB
	app   *app.App
	h     http.Handler
	clock *clock.Fake
	mail  *sink
}

// sink keeps the messages castellan sends.
type sink struct {
	mu   sync.Mutex
	msgs []mail.Message
}

func (s *sink) Send(_ context.Context, m mail.Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs = append(s.msgs, m)
	return nil
}

var inviteToken = regexp.MustCompile(`[?&]token=([^&\s"'<>]+)`)

// lastToken returns the invitation token of the newest message to email.
func (s *sink) lastToken(t testing.TB, email string) string {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := len(s.msgs) - 1; i >= 0; i-- {
		if strings.Contains(strings.Join(s.msgs[i].To, ","), email) {
			m := inviteToken.FindStringSubmatch(s.msgs[i].Text)
			if m == nil {
				t.Fatalf("no token in the message to %s", email)
			}
			tok, err := url.QueryUnescape(m[1])
			if err != nil {
				t.Fatal(err)
			}
			return tok
		}
	}
	t.Fatalf("no message to %s", email)
	return ""
}

func newEnv(t testing.TB, s app.PolicySettings) *env {
	t.Helper()
	return newEnvOn(t, storagetest.OpenFresh(t, storagetest.Engines()[0]), s)
}

// onEveryEngine runs scenario on a fresh database of each engine (SQLite, PostgreSQL, MariaDB), in
// parallel: the policy queries cross the membership and organization tables, so each engine's SQL
// is exercised.
func onEveryEngine(t *testing.T, scenario func(t *testing.T, e *env)) {
	for _, eng := range storagetest.Engines() {
		t.Run(eng.Name, func(t *testing.T) {
			t.Parallel()
			scenario(t, newEnvOn(t, storagetest.OpenFresh(t, eng), app.PolicySettings{}))
		})
	}
}

func newEnvOn(t testing.TB, db *storage.DB, s app.PolicySettings) *env {
	t.Helper()
	e := &env{t: t, db: db, clock: clock.NewFake(time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)), mail: &sink{}}
	a, err := app.New(context.Background(), app.Deps{
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Clock: e.clock, DB: db,
		PublicURL: identitytest.PublicURL, MaxBodyBytes: 1 << 20, DataDir: t.TempDir(), Mail: e.mail, Policies: s,
	})
	if err != nil {
		t.Fatalf("app.New: %v", err)
	}
	e.app, e.h = a, a.Handler()
	return e
}

// user is a registered account with its secrets and an access token.
type user struct {
	ID      string
	Email   string
	Account *bwcrypto.Account
	Token   string
}

var userSeq struct {
	sync.Mutex
	n int
}

// register registers a new account whose address starts with prefix and logs it in.
func (e *env) register(prefix string) *user {
	e.t.Helper()
	userSeq.Lock()
	userSeq.n++
	email := fmt.Sprintf("%s-%d@example.com", prefix, userSeq.n)
	userSeq.Unlock()
	a := identitytest.NewAccount(e.t, email, "correct horse battery "+prefix)
	u := &user{Email: a.Email, Account: a}
	r := e.call("", "POST", "/identity/accounts/register/finish", identitytest.FinishRequest(a))
	r.must(e.t)
	e.login(u)
	var p struct{ ID string }
	e.call(u.Token, "GET", "/api/accounts/profile", nil).must(e.t).decode(e.t, &p)
	u.ID = p.ID
	return u
}

// passwordGrant posts the CLI's password grant for u and returns the answer.
func (e *env) passwordGrant(u *user) response {
	form := identitytest.PasswordForm(u.Account)
	req := httptest.NewRequest("POST", "/identity/connect/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	return response{Status: rec.Code, Body: rec.Body.Bytes()}
}

// login takes an access token for u with the password grant.
func (e *env) login(u *user) {
	e.t.Helper()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	e.passwordGrant(u).must(e.t).decode(e.t, &tok)
	u.Token = tok.AccessToken
}

type response struct {
	Status int
	Body   []byte
}

func (r response) must(t testing.TB) response {
	t.Helper()
	if r.Status != http.StatusOK {
		t.Fatalf("status %d: %s", r.Status, r.Body)
	}
	return r
}

func (r response) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("response is not the expected JSON (%v): %s", err, r.Body)
	}
}

// message returns the message of an error body.
func (r response) message(t testing.TB) string {
	t.Helper()
	var b struct{ Message string }
	r.decode(t, &b)
	return b.Message
}

// call sends body as JSON with token (when not "") and returns the answer.
func (e *env) call(token, method, path string, body any) response {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req := httptest.NewRequest(method, path, rd)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Device-Type", "25")
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	return response{Status: rec.Code, Body: rec.Body.Bytes()}
}

// must is call that fails the test on any status but 200.
func (e *env) must(u *user, method, path string, body any) response {
	e.t.Helper()
	r := e.call(u.Token, method, path, body)
	if r.Status != http.StatusOK {
		e.t.Fatalf("%s %s: status %d: %s", method, path, r.Status, r.Body)
	}
	return r
}

// encTo makes a type 4 EncString of random bytes to u's public key (an organization key, a
// recovery key: the server never opens them).
func encTo(t testing.TB, u *user) string {
	t.Helper()
	e, err := bwcrypto.EncryptToPublicKey(rand.Reader, &u.Account.PrivateKey.PublicKey, make([]byte, 64))
	if err != nil {
		t.Fatal(err)
	}
	return e.String()
}

// sym makes a well-formed type 2 EncString.
func sym(t testing.TB) string {
	t.Helper()
	k, err := bwcrypto.NewSymmetricKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	e, err := k.Encrypt(rand.Reader, []byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	return e.String()
}

// org creates an organization owned by owner and returns its id.
func (e *env) org(owner *user) string {
	e.t.Helper()
	var o struct{ ID string }
	e.must(owner, "POST", "/api/organizations", map[string]any{
		"name": "Org of " + owner.Email, "billingEmail": owner.Email, "key": encTo(e.t, owner), "planType": 20,
		"keys":           map[string]any{"publicKey": owner.Account.PublicKey, "encryptedPrivateKey": sym(e.t)},
		"collectionName": sym(e.t),
	}).decode(e.t, &o)
	return o.ID
}

// invite invites u into orgID as typ and returns the membership id.
func (e *env) invite(admin *user, orgID string, u *user, typ int) string {
	e.t.Helper()
	e.must(admin, "POST", "/api/organizations/"+orgID+"/users/invite", map[string]any{
		"emails": []string{u.Email}, "type": typ, "collections": []any{}, "groups": []any{},
		"permissions": map[string]any{"managePolicies": typ == 4, "manageResetPassword": typ == 4}})
	var l struct {
		Data []struct{ ID, Email string }
	}
	e.must(admin, "GET", "/api/organizations/"+orgID+"/users", nil).decode(e.t, &l)
	for _, m := range l.Data {
		if m.Email == u.Email {
			return m.ID
		}
	}
	e.t.Fatalf("no membership for %s", u.Email)
	return ""
}

// accept has u accept its newest invitation to orgID, with extra fields in the body, and returns
// the answer.
func (e *env) accept(u *user, orgID, memberID string, extra map[string]any) response {
	e.t.Helper()
	body := map[string]any{"token": e.mail.lastToken(e.t, u.Email)}
	for k, v := range extra {
		body[k] = v
	}
	return e.call(u.Token, "POST", "/api/organizations/"+orgID+"/users/"+memberID+"/accept", body)
}

// confirm confirms membership memberID of u.
func (e *env) confirm(admin *user, orgID, memberID string, u *user) response {
	e.t.Helper()
	return e.call(admin.Token, "POST", "/api/organizations/"+orgID+"/users/"+memberID+"/confirm",
		map[string]any{"key": encTo(e.t, u)})
}

// join invites u as typ, has it accept and confirms it; it returns the membership id.
func (e *env) join(admin *user, orgID string, u *user, typ int) string {
	e.t.Helper()
	id := e.invite(admin, orgID, u, typ)
	e.accept(u, orgID, id, nil).must(e.t)
	e.confirm(admin, orgID, id, u).must(e.t)
	return id
}

// putPolicy sets policy typ of orgID as u and returns the answer.
func (e *env) putPolicy(u *user, orgID string, typ int, enabled bool, data any) response {
	e.t.Helper()
	return e.call(u.Token, "PUT", fmt.Sprintf("/api/organizations/%s/policies/%d", orgID, typ),
		map[string]any{"enabled": enabled, "data": data})
}

// snapshot renders every row that a policy change or a membership change may write, so that a
// refused request can be shown to have changed nothing.
func (e *env) snapshot() string {
	e.t.Helper()
	var b strings.Builder
	for _, q := range []string{
		`SELECT id, organization_id, type, enabled, COALESCE(data, ''), revision_date FROM policies ORDER BY id`,
		`SELECT id, COALESCE(user_id, ''), COALESCE(email, ''), status, type, COALESCE(akey, ''),
			COALESCE(reset_password_key, ''), COALESCE(status_before_revoke, -9), COALESCE(revocation_reason, -9),
			revision_date FROM organization_users ORDER BY id`,
		`SELECT id, COALESCE(master_password_hash, ''), COALESCE(akey, ''), security_stamp, revision_date,
			account_revision_date FROM users ORDER BY id`,
		`SELECT COUNT(*) FROM audit_events`,
	} {
		rows, err := e.db.QueryContext(context.Background(), q)
		if err != nil {
			e.t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				e.t.Fatal(err)
			}
			fmt.Fprintln(&b, vals...)
		}
		_ = rows.Close()
		b.WriteString("--\n")
	}
	return b.String()
}

// refused checks that r is a 400 whose message contains want and that nothing changed since before.
func (e *env) refused(r response, before, want string) {
	e.t.Helper()
	if r.Status != http.StatusBadRequest {
		e.t.Fatalf("status %d, want 400: %s", r.Status, r.Body)
	}
	if msg := r.message(e.t); !strings.Contains(msg, want) {
		e.t.Errorf("message %q does not contain %q", msg, want)
	}
	if after := e.snapshot(); after != before {
		e.t.Errorf("a refused request changed the database:\nbefore\n%s\nafter\n%s", before, after)
	}
}

// events counts the audit events of type typ in orgID.
func (e *env) events(orgID string, typ int) int {
	e.t.Helper()
	var n int
	err := e.db.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM audit_events
		WHERE organization_id = ? AND type = ?`, orgID, typ).Scan(&n)
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

// member reads a membership's status, revocation reason and recovery key.
func (e *env) member(id string) (status, reason int, resetKey string) {
	e.t.Helper()
	err := e.db.QueryRowContext(context.Background(), `SELECT status, COALESCE(revocation_reason, -9),
		COALESCE(reset_password_key, '') FROM organization_users WHERE id = ?`, id).Scan(&status, &reason, &resetKey)
	if err != nil {
		e.t.Fatal(err)
	}
	return status, reason, resetKey
}
