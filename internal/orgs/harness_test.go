package orgs_test

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
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/castellan-vault/castellan/internal/accounts"
	"github.com/castellan-vault/castellan/internal/auth"
	"github.com/castellan-vault/castellan/internal/bwcrypto"
	"github.com/castellan-vault/castellan/internal/clock"
	"github.com/castellan-vault/castellan/internal/httpx"
	"github.com/castellan-vault/castellan/internal/orgs"
	"github.com/castellan-vault/castellan/internal/settings"
	"github.com/castellan-vault/castellan/internal/storage"
	"github.com/castellan-vault/castellan/internal/storage/storagetest"
	"github.com/castellan-vault/castellan/internal/vault"
)

// fakeMailer records what the service would send.
type fakeMailer struct {
	mu        sync.Mutex
	invites   []orgs.Invitation
	confirmed []string
}

func (f *fakeMailer) SendInvite(_ context.Context, inv orgs.Invitation) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.invites = append(f.invites, inv)
	return nil
}

func (f *fakeMailer) SendConfirmed(_ context.Context, _, email string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.confirmed = append(f.confirmed, email)
	return nil
}

// lastInvite returns the newest invitation sent to email.
func (f *fakeMailer) lastInvite(t testing.TB, email string) orgs.Invitation {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := len(f.invites) - 1; i >= 0; i-- {
		if f.invites[i].Email == email {
			return f.invites[i]
		}
	}
	t.Fatalf("no invitation was sent to %s", email)
	return orgs.Invitation{}
}

// fakePasswords accepts the hash "right".
type fakePasswords struct{}

func (fakePasswords) VerifyMasterPassword(_ context.Context, _, hash string) error {
	if hash != "right" {
		return httpx.Invalid("MasterPasswordHash", "Invalid password.")
	}
	return nil
}

// api is the organization routes in-process, with the caller named by the X-Test-User header
// (its email is looked up) instead of a token.
type api struct {
	t      testing.TB
	db     *storage.DB
	clock  *clock.Fake
	mail   *fakeMailer
	svc    *orgs.Service
	h      http.Handler
	emails map[string]string
	users  int
}

func newAPI(t testing.TB, cfg orgs.Config) *api {
	t.Helper()
	return newAPIOn(t, storagetest.OpenFresh(t, storagetest.Engines()[0]), cfg)
}

// forEachEngine runs fn as a sub-test per engine; the handler tests that exercise transactions and
// the cross-table queries run on all three.
func forEachEngine(t *testing.T, fn func(t *testing.T, e storagetest.Engine)) {
	t.Helper()
	for _, e := range storagetest.Engines() {
		t.Run(e.Name, func(t *testing.T) { fn(t, e) })
	}
}

func newAPIOn(t testing.TB, db *storage.DB, cfg orgs.Config) *api {
	t.Helper()
	a := &api{t: t, db: db, clock: clock.NewFake(t0), mail: &fakeMailer{}, emails: map[string]string{}}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, err := orgs.NewService(context.Background(), orgs.Options{
		Store: orgs.NewSQLStore(db), Settings: settings.SQLStore{DB: db}, Passwords: fakePasswords{},
		Mailer: a.mail, Config: cfg, Clock: a.clock, Rand: rand.Reader, Logger: logger,
	})
	if err != nil {
		t.Fatal(err)
	}
	a.svc = svc
	h := &orgs.Handlers{Service: svc, Logger: logger}
	v := &vault.Handlers{Store: vault.SQLStore{DB: db}, Accounts: fakeAccounts{}, Orgs: testVaultOrgs{svc},
		Clock: a.clock, Rand: rand.Reader, Logger: logger}
	mux := http.NewServeMux()
	routes := h.Routes()
	for _, r := range v.Routes() {
		routes = append(routes, orgs.Route{Pattern: r.Pattern, Handler: r.Handler})
	}
	for _, r := range routes {
		inner := httpx.Handle(logger, r.Handler)
		mux.Handle(r.Pattern, http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			id := req.Header.Get("X-Test-User")
			p := auth.Principal{UserID: id, Email: a.emails[id]}
			inner.ServeHTTP(w, req.WithContext(auth.WithPrincipal(req.Context(), p)))
		}))
	}
	a.h = httpx.Chain(mux, httpx.LimitBody(16<<20))
	return a
}

// testKey is one RSA key shared by every test account (generating keys is slow).
var testKey = sync.OnceValue(func() string {
	k, err := bwcrypto.GenerateRSAKey(rand.Reader)
	if err != nil {
		panic(err)
	}
	pub, err := bwcrypto.EncodePublicKey(&k.PublicKey)
	if err != nil {
		panic(err)
	}
	return pub
})

// user registers an account with email and returns its id.
func (a *api) user(email string) string {
	a.t.Helper()
	a.users++
	id := fmt.Sprintf("0000beef-0000-4000-8000-%012x", a.users)
	u := &accounts.User{ID: id, Email: email, Name: "Name of " + email,
		PasswordHash: "$pbkdf2-sha256$i=1$c2FsdA$aGFzaA",
		KDF:          bwcrypto.DefaultKDF(), PublicKey: testKey(), PrivateKey: enc(a.t, "priv"), Key: enc(a.t, "k"),
		SecurityStamp: "s", APIKey: "k", Culture: "en-US", CreatedAt: t0, RevisionDate: t0, AccountRevisionDate: t0}
	if err := (accounts.SQLStore{DB: a.db}).CreateUser(context.Background(), u); err != nil {
		a.t.Fatal(err)
	}
	a.emails[id] = email
	return id
}

type response struct {
	Status int
	Body   []byte
}

// errorBody is the official error shape.
type errorBody struct {
	Message          string              `json:"message"`
	ValidationErrors map[string][]string `json:"validationErrors"`
	Object           string              `json:"object"`
}

func (r response) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("response is not the expected JSON (%v): %s", err, r.Body)
	}
}

// do sends body (a string as is, anything else as JSON) as user.
func (a *api) do(user, method, path string, body any) response {
	a.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			a.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req := httptest.NewRequest(method, path, rd)
	req.Header.Set("X-Test-User", user)
	req.Header.Set("Device-Type", "25")
	if rd != nil {
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
	}
	rec := httptest.NewRecorder()
	a.h.ServeHTTP(rec, req)
	a.clock.Advance(time.Second) // each request happens a second after the previous one
	return response{Status: rec.Code, Body: rec.Body.Bytes()}
}

// must is do that fails the test on any status but 200.
func (a *api) must(user, method, path string, body any) response {
	a.t.Helper()
	r := a.do(user, method, path, body)
	if r.Status != http.StatusOK {
		a.t.Fatalf("%s %s: status %d: %s", method, path, r.Status, r.Body)
	}
	return r
}

// enc makes a well-formed type 2 EncString (of random bytes: the server never opens one).
func enc(t testing.TB, s string) string {
	t.Helper()
	k, err := bwcrypto.NewSymmetricKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	e, err := k.Encrypt(rand.Reader, []byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return e.String()
}

// rsaEnc makes a well-formed type 4 EncString, as an organization key encrypted to a member.
func rsaEnc(t testing.TB) string {
	t.Helper()
	pub, err := bwcrypto.ParsePublicKey(testKey())
	if err != nil {
		t.Fatal(err)
	}
	e, err := bwcrypto.EncryptToPublicKey(rand.Reader, pub, make([]byte, 64))
	if err != nil {
		t.Fatal(err)
	}
	return e.String()
}

// org creates an organization owned by owner, with a first collection, and returns its id.
func (a *api) org(owner string) string {
	a.t.Helper()
	var o struct{ ID string }
	a.must(owner, "POST", "/api/organizations", map[string]any{
		"name": "Acme", "billingEmail": "billing@acme.example", "key": rsaEnc(a.t), "planType": 20,
		"keys": map[string]any{"publicKey": testKey(), "encryptedPrivateKey": enc(a.t,
			"org private")},
		"collectionName": enc(a.t, "Default collection"),
	}).decode(a.t, &o)
	return o.ID
}

// snapshot renders every row the organization owns, so that a refused request can be shown to
// have changed nothing.
func (a *api) snapshot(orgID string) string {
	a.t.Helper()
	var b strings.Builder
	ctx := context.Background()
	queries := []string{
		`SELECT id, name, billing_email, seats, revision_date FROM organizations WHERE id = ?`,
		`SELECT id, COALESCE(user_id, ''), COALESCE(email, ''), status, type, COALESCE(akey, ''),
			COALESCE(status_before_revoke, -9), revision_date FROM organization_users WHERE organization_id = ? ORDER BY id`,
		`SELECT cu.collection_id, cu.organization_user_id FROM collection_users cu JOIN collections c
			ON c.id = cu.collection_id WHERE c.organization_id = ? ORDER BY 1, 2`,
		`SELECT gu.group_id, gu.organization_user_id FROM group_users gu JOIN org_groups g ON g.id = gu.group_id
			WHERE g.organization_id = ? ORDER BY 1, 2`,
		`SELECT id, name FROM collections WHERE organization_id = ? ORDER BY id`,
		`SELECT id, name FROM org_groups WHERE organization_id = ? ORDER BY id`,
		`SELECT COUNT(*) FROM audit_events WHERE organization_id = ?`,
	}
	for _, q := range queries {
		rows, err := a.db.QueryContext(ctx, q, orgID)
		if err != nil {
			a.t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				a.t.Fatal(err)
			}
			fmt.Fprintln(&b, vals...)
		}
		_ = rows.Close()
		b.WriteString("--\n")
	}
	return b.String()
}

// members lists the organization's members as owner sees them.
func (a *api) members(owner, orgID string) []memberRow {
	a.t.Helper()
	var l struct{ Data []memberRow }
	a.must(owner, "GET", "/api/organizations/"+orgID+"/users?", nil).decode(a.t, &l)
	return l.Data
}

type memberRow struct {
	ID     string
	UserID *string
	Email  string
	Status int
	Type   int
}

// memberByEmail finds a member row by email.
func (a *api) memberByEmail(owner, orgID, email string) memberRow {
	a.t.Helper()
	for _, m := range a.members(owner, orgID) {
		if m.Email == email {
			return m
		}
	}
	a.t.Fatalf("no member %s", email)
	return memberRow{}
}

// invite invites emails as type and returns the membership id of the first.
func (a *api) invite(owner, orgID string, typ int, emails ...string) string {
	a.t.Helper()
	a.must(owner, "POST", "/api/organizations/"+orgID+"/users/invite", map[string]any{
		"emails": emails, "type": typ, "collections": []any{}, "groups": []any{}, "accessSecretsManager": false})
	return a.memberByEmail(owner, orgID, strings.ToLower(emails[0])).ID
}

// join invites email and has the account userID accept; it returns the membership id.
func (a *api) join(owner, orgID, userID string, typ int) string {
	a.t.Helper()
	email := a.emails[userID]
	id := a.invite(owner, orgID, typ, email)
	tok := a.mail.lastInvite(a.t, email).Token.Reveal()
	a.must(userID, "POST", "/api/organizations/"+orgID+"/users/"+id+"/accept", map[string]any{"token": tok})
	return id
}

// confirmed makes userID a confirmed member and returns the membership id.
func (a *api) confirmed(owner, orgID, userID string, typ int) string {
	a.t.Helper()
	id := a.join(owner, orgID, userID, typ)
	a.must(owner, "POST", "/api/organizations/"+orgID+"/users/"+id+"/confirm",
		map[string]any{"key": rsaEnc(a.t), "defaultUserCollectionName": enc(a.t, "My Items")})
	return id
}

// fakeAccounts stands in for the accounts concern in /api/sync.
type fakeAccounts struct{}

func (fakeAccounts) SyncAccount(_ context.Context, userID string) (any, any, error) {
	return map[string]any{"id": userID, "object": "profile"}, map[string]any{}, nil
}

// testVaultOrgs is the app's adapter between the vault and the organization service.
type testVaultOrgs struct{ svc *orgs.Service }

func (v testVaultOrgs) CheckNewCipher(ctx context.Context, userID, orgID string, cols []string) error {
	return v.svc.CheckNewCipher(ctx, userID, orgID, cols)
}

func (v testVaultOrgs) SyncCollections(ctx context.Context, userID string) (any, error) {
	return v.svc.UserCollections(ctx, userID)
}

func (v testVaultOrgs) ExportCollections(ctx context.Context, userID, orgID string) (any, error) {
	return v.svc.ExportCollections(ctx, userID, orgID)
}

func (v testVaultOrgs) PlanImport(r *http.Request, userID, orgID string,
	cols []orgs.ImportCollection) (orgs.ImportPlan, error) {
	return v.svc.PlanImport(r.Context(), userID, orgID, cols, orgs.MetaFrom(r, ""))
}

func (v testVaultOrgs) RecordClientEvents(r *http.Request, userID string, events []orgs.ClientEvent) error {
	_, err := v.svc.RecordClientEvents(r.Context(), userID, events, orgs.MetaFrom(r, ""))
	return err
}
