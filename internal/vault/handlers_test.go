package vault_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/castellan-vault/castellan/internal/auth"
	"github.com/castellan-vault/castellan/internal/clock"
	"github.com/castellan-vault/castellan/internal/httpx"
	"github.com/castellan-vault/castellan/internal/storage"
	"github.com/castellan-vault/castellan/internal/storage/storagetest"
	"github.com/castellan-vault/castellan/internal/vault"
)

// fakeAccounts stands in for the accounts concern in /api/sync.
type fakeAccounts struct{}

func (fakeAccounts) SyncAccount(_ context.Context, userID string) (any, any, error) {
	return map[string]any{"id": userID, "object": "profile"},
		map[string]any{"masterPasswordUnlock": map[string]any{"salt": "x"}}, nil
}

// api is the vault's routes in-process, with the caller named by the X-Test-User header instead of
// a token, behind the same body limit as castellan serve.
type api struct {
	db    *storage.DB
	clock *clock.Fake
	h     http.Handler
}

const testBodyLimit = 64 << 10

func newAPI(t testing.TB) *api {
	t.Helper()
	return newAPIOn(t, storagetest.Engines()[0])
}

// newAPIOn is newAPI on a fresh database of the given engine.
func newAPIOn(t testing.TB, eng storagetest.Engine) *api {
	t.Helper()
	db := storagetest.OpenFresh(t, eng)
	a := &api{db: db, clock: clock.NewFake(t0)}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	h := &vault.Handlers{Store: vault.SQLStore{DB: db}, Accounts: fakeAccounts{}, Clock: a.clock,
		Rand: rand.Reader, Logger: logger}
	mux := http.NewServeMux()
	for _, r := range h.Routes() {
		inner := httpx.Handle(logger, r.Handler)
		mux.Handle(r.Pattern, http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			p := auth.Principal{UserID: req.Header.Get("X-Test-User")}
			inner.ServeHTTP(w, req.WithContext(auth.WithPrincipal(req.Context(), p)))
		}))
	}
	a.h = httpx.Chain(mux, httpx.LimitBody(testBodyLimit))
	return a
}

type response struct {
	Status int
	Body   []byte
}

func (r response) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("response is not a JSON object (%v): %s", err, r.Body)
	}
	return m
}

// do sends body (a string is sent as is, anything else as JSON) as user.
func (a *api) do(t testing.TB, user, method, path string, body any) response {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req := httptest.NewRequest(method, path, rd)
	req.Header.Set("X-Test-User", user)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
	}
	rec := httptest.NewRecorder()
	a.h.ServeHTTP(rec, req)
	return response{Status: rec.Code, Body: rec.Body.Bytes()}
}

// must is do that fails the test on any status but 200.
func (a *api) must(t testing.TB, user, method, path string, body any) response {
	t.Helper()
	r := a.do(t, user, method, path, body)
	if r.Status != http.StatusOK {
		t.Fatalf("%s %s: status %d: %s", method, path, r.Status, r.Body)
	}
	return r
}

// loginRequest is a CipherRequest as the CLI sends it.
func loginRequest(t testing.TB, userID string) map[string]any {
	return map[string]any{
		"type": 1, "encryptedFor": userID, "folderId": nil, "organizationId": nil,
		"name": enc(t, "GitHub"), "notes": enc(t, "my notes"), "favorite": false, "reprompt": 0,
		"key": nil, "lastKnownRevisionDate": nil, "archivedDate": nil,
		"login": map[string]any{
			"uris": []any{map[string]any{"uri": enc(t, "https://github.com"), "match": nil,
				"uriChecksum": enc(t, "c")}},
			"username": enc(t, "octocat"), "password": enc(t, "s3cret!"), "passwordRevisionDate": nil,
			"totp": nil, "autofillOnPageLoad": nil, "response": nil,
		},
		"fields": []any{map[string]any{"type": 0, "name": enc(t, "f"), "value": enc(t, "v"),
			"linkedId": nil}},
		"passwordHistory": []any{map[string]any{"password": enc(t, "old"),
			"lastUsedDate": "2026-01-02T03:04:05.678Z"}},
		"attachments": map[string]any{}, "attachments2": map[string]any{},
	}
}

func TestCipherLifecycle(t *testing.T) {
	a := newAPI(t)
	alice := newUser(t, a.db)
	req := loginRequest(t, alice)
	created := a.must(t, alice, "POST", "/api/ciphers", req).json(t)
	id := created["id"].(string)
	assertCipherResponse(t, created, req)
	got := a.must(t, alice, "GET", "/api/ciphers/"+id, nil).json(t)
	if !jsonEqual(got, created) {
		t.Fatalf("GET differs from the create response:\n%v\n%v", got, created)
	}

	a.clock.Advance(time.Minute)
	req["lastKnownRevisionDate"] = created["revisionDate"]
	req["name"] = enc(t, "GitHub (work)")
	req["favorite"] = true
	updated := a.must(t, alice, "PUT", "/api/ciphers/"+id, req).json(t)
	if updated["name"] != req["name"] || updated["favorite"] != true ||
		updated["creationDate"] != created["creationDate"] {
		t.Fatalf("update response: %v", updated)
	}
	if updated["revisionDate"] != "2026-12-03T12:01:00.000Z" {
		t.Fatalf("revisionDate = %v, want the clock's time", updated["revisionDate"])
	}

	a.must(t, alice, "PUT", "/api/ciphers/"+id+"/delete", nil)
	trashed := a.must(t, alice, "GET", "/api/ciphers/"+id, nil).json(t)
	if trashed["deletedDate"] == nil {
		t.Fatal("deletedDate is null after a soft delete")
	}
	restored := a.must(t, alice, "PUT", "/api/ciphers/"+id+"/restore", nil).json(t)
	if restored["deletedDate"] != nil || restored["id"] != id {
		t.Fatalf("restore response: %v", restored)
	}
	list := a.must(t, alice, "GET", "/api/ciphers", nil).json(t)
	if list["object"] != "list" || len(list["data"].([]any)) != 1 {
		t.Fatalf("list: %v", list)
	}
	a.must(t, alice, "DELETE", "/api/ciphers/"+id, nil)
	if r := a.do(t, alice, "GET", "/api/ciphers/"+id, nil); r.Status != http.StatusNotFound {
		t.Fatalf("GET after permanent delete: %d", r.Status)
	}
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

// assertCipherResponse checks the CipherDetails fields the clients read (official-cli.md §4.4).
func assertCipherResponse(t *testing.T, got, req map[string]any) {
	t.Helper()
	want := map[string]any{
		"organizationId": nil, "folderId": nil, "type": float64(1), "favorite": false, "edit": true,
		"viewPassword": true, "permissions": map[string]any{"delete": true, "restore": true},
		"collectionIds": []any{}, "deletedDate": nil, "reprompt": float64(0), "key": nil,
		"object": "cipherDetails", "name": req["name"], "notes": req["notes"],
	}
	for k, v := range want {
		if !jsonEqual(got[k], v) {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	for _, k := range []string{"revisionDate", "creationDate"} {
		if _, err := time.Parse(time.RFC3339, got[k].(string)); err != nil {
			t.Errorf("%s = %v: %v", k, got[k], err)
		}
	}
	login := got["login"].(map[string]any)
	reqLogin := req["login"].(map[string]any)
	for _, k := range []string{"username", "password", "uris"} {
		if !jsonEqual(login[k], reqLogin[k]) {
			t.Errorf("login.%s = %v, want %v", k, login[k], reqLogin[k])
		}
	}
	if _, kept := login["response"]; kept {
		t.Error("login.response, unknown to the server, was stored")
	}
	if !jsonEqual(got["fields"], req["fields"]) ||
		!jsonEqual(got["passwordHistory"], req["passwordHistory"]) {
		t.Errorf("fields %v / passwordHistory %v differ from the request",
			got["fields"], got["passwordHistory"])
	}
}

// Only the object of the item's own type is stored, keys are matched without regard to case, and
// keys the server does not know are dropped.
func TestCipherDocumentIsCleaned(t *testing.T) {
	a := newAPI(t)
	alice := newUser(t, a.db)
	pw := enc(t, "pw")
	req := map[string]any{"Type": 1, "Name": enc(t, "n"),
		"Login": map[string]any{"Password": pw, "Sneaky": "plaintext"},
		"Card":  map[string]any{"number": enc(t, "4111")}}
	got := a.must(t, alice, "POST", "/api/ciphers", req).json(t)
	if login := got["login"].(map[string]any); login["password"] != pw || len(login) != 1 {
		t.Fatalf("login = %v, want only the password", login)
	}
	if _, ok := got["card"]; ok {
		t.Fatalf("a login kept card data: %v", got["card"])
	}
}

func TestBadCipherInput(t *testing.T) {
	a := newAPI(t)
	alice := newUser(t, a.db)
	tests := []struct {
		name   string
		edit   func(m map[string]any)
		raw    string // sent instead of the edited request when set
		status int
		field  string // expected validationErrors key, if any
	}{
		{name: "malformed JSON", raw: `{"type":1,"name":`, status: 400},
		{name: "two JSON values", raw: `{"type":1} {}`, status: 400},
		{name: "empty body", raw: ` `, status: 400},
		{name: "wrong JSON type", raw: `{"type":"login"}`, status: 400, field: "Type"},
		{name: "missing name", edit: func(m map[string]any) { delete(m, "name") },
			status: 400, field: "Name"},
		{name: "plaintext name", edit: func(m map[string]any) { m["name"] = "GitHub" },
			status: 400, field: "Name"},
		{name: "bad MAC length", edit: func(m map[string]any) {
			m["notes"] = "2.AAAAAAAAAAAAAAAAAAAAAA==|AAAAAAAAAAAAAAAAAAAAAA==|AAAA"
		}, status: 400, field: "Notes"},
		{name: "plaintext password", edit: func(m map[string]any) { login(m)["password"] = "hunter2" },
			status: 400, field: "Login.Password"},
		{name: "plaintext uri", edit: func(m map[string]any) {
			login(m)["uris"] = []any{map[string]any{"uri": "https://example.com"}}
		}, status: 400, field: "Login.Uris[0].Uri"},
		{name: "uris not a list", edit: func(m map[string]any) { login(m)["uris"] = "x" }, status: 400,
			field: "Login.Uris"},
		{name: "plaintext field value", edit: func(m map[string]any) {
			m["fields"] = []any{map[string]any{"type": 0, "name": enc(t, "n"), "value": "plain"}}
		}, status: 400, field: "Fields[0].Value"},
		{name: "plaintext password history", edit: func(m map[string]any) {
			m["passwordHistory"] = []any{map[string]any{"password": "old",
				"lastUsedDate": "2026-01-01T00:00:00Z"}}
		}, status: 400, field: "PasswordHistory[0].Password"},
		{name: "bad history date", edit: func(m map[string]any) {
			m["passwordHistory"] = []any{map[string]any{"password": enc(t, "p"), "lastUsedDate": "yesterday"}}
		}, status: 400, field: "PasswordHistory[0].LastUsedDate"},
		{name: "bad cipher key", edit: func(m map[string]any) { m["key"] = "2.nope" },
			status: 400, field: "Key"},
		{name: "unknown type", edit: func(m map[string]any) { m["type"] = 42 }, status: 400, field: "Type"},
		{name: "bad reprompt", edit: func(m map[string]any) { m["reprompt"] = 7 },
			status: 400, field: "Reprompt"},
		{name: "bad folder id", edit: func(m map[string]any) { m["folderId"] = "../x" },
			status: 400, field: "FolderId"},
		{name: "unknown folder", edit: func(m map[string]any) { m["folderId"] = newUser(t, a.db) },
			status: 400, field: "FolderId"},
		{name: "encrypted for someone else",
			edit:   func(m map[string]any) { m["encryptedFor"] = newUser(t, a.db) },
			status: 400, field: "EncryptedFor"},
		{name: "organization item", edit: func(m map[string]any) { m["organizationId"] = newUser(t, a.db) },
			status: 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body any = tt.raw
			if tt.raw == "" {
				req := loginRequest(t, alice)
				tt.edit(req)
				body = req
			}
			r := a.do(t, alice, "POST", "/api/ciphers", body)
			assertError(t, r, tt.status, tt.field)
		})
	}
	if list := a.must(t, alice, "GET", "/api/ciphers", nil).json(t); len(list["data"].([]any)) != 0 {
		t.Fatalf("refused requests stored %d items", len(list["data"].([]any)))
	}
}

func login(m map[string]any) map[string]any { return m["login"].(map[string]any) }

// assertError checks a client-shaped error: status, a message, and the field in validationErrors.
func assertError(t *testing.T, r response, status int, field string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status = %d, want %d: %s", r.Status, status, r.Body)
	}
	var body struct {
		Message          string              `json:"message"`
		ValidationErrors map[string][]string `json:"validationErrors"`
		Object           string              `json:"object"`
	}
	if err := json.Unmarshal(r.Body, &body); err != nil || body.Message == "" || body.Object != "error" {
		t.Fatalf("error body %s (%v)", r.Body, err)
	}
	if field != "" && len(body.ValidationErrors[field]) == 0 {
		t.Fatalf("validationErrors %v has nothing for %q", body.ValidationErrors, field)
	}
}

func TestOversizedBody(t *testing.T) {
	a := newAPI(t)
	alice := newUser(t, a.db)
	req := loginRequest(t, alice)
	req["notes"] = "2." + strings.Repeat("A", testBodyLimit)
	assertError(t, a.do(t, alice, "POST", "/api/ciphers", req), http.StatusRequestEntityTooLarge, "")
	big := map[string]any{"ciphers": []any{req}}
	assertError(t, a.do(t, alice, "POST", "/api/ciphers/import", big), http.StatusRequestEntityTooLarge, "")
}

// Another user's item or folder is answered exactly like a missing one: 404, never 401 or 403.
func TestOtherUsersResourcesAreNotFound(t *testing.T) {
	a := newAPI(t)
	alice, bob := newUser(t, a.db), newUser(t, a.db)
	c := a.must(t, alice, "POST", "/api/ciphers", loginRequest(t, alice)).json(t)
	f := a.must(t, alice, "POST", "/api/folders", map[string]any{"name": enc(t, "f")}).json(t)
	cp, fp := "/api/ciphers/"+c["id"].(string), "/api/folders/"+f["id"].(string)
	bobReq := loginRequest(t, bob)
	for _, tt := range []struct {
		method, path string
		body         any
	}{
		{"GET", cp, nil}, {"GET", cp + "/details", nil}, {"PUT", cp, bobReq}, {"POST", cp, bobReq},
		{"PUT", cp + "/delete", nil}, {"DELETE", cp, nil}, {"POST", cp + "/delete", nil},
		{"PUT", cp + "/restore", nil},
		{"GET", fp, nil}, {"PUT", fp, map[string]any{"name": enc(t, "x")}}, {"DELETE", fp, nil},
		{"GET", "/api/ciphers/not-a-guid", nil},
	} {
		if r := a.do(t, bob, tt.method, tt.path, tt.body); r.Status != http.StatusNotFound {
			t.Errorf("bob %s %s: status %d, want 404: %s", tt.method, tt.path, r.Status, r.Body)
		}
	}
	// Bulk requests skip what is not the caller's.
	a.must(t, bob, "PUT", "/api/ciphers/delete", map[string]any{"ids": []string{c["id"].(string)}})
	a.must(t, bob, "DELETE", "/api/ciphers", map[string]any{"ids": []string{c["id"].(string)}})
	got := a.must(t, alice, "GET", cp, nil).json(t)
	if got["deletedDate"] != nil || got["name"] != c["name"] {
		t.Fatalf("bob's requests changed alice's item: %v", got)
	}
	store := vault.SQLStore{DB: a.db}
	if _, err := store.Folder(context.Background(), alice, f["id"].(string)); err != nil {
		t.Fatalf("bob's requests changed alice's folder: %v", err)
	}
}

func TestStaleUpdate(t *testing.T) {
	a := newAPI(t)
	alice := newUser(t, a.db)
	req := loginRequest(t, alice)
	c := a.must(t, alice, "POST", "/api/ciphers", req).json(t)
	a.clock.Advance(time.Minute)
	req["lastKnownRevisionDate"] = c["revisionDate"]
	a.must(t, alice, "PUT", "/api/ciphers/"+c["id"].(string), req) // moves the revision date on
	req["name"] = enc(t, "from an old copy")
	r := a.do(t, alice, "PUT", "/api/ciphers/"+c["id"].(string), req)
	assertError(t, r, http.StatusBadRequest, "")
	const want = "The client copy of this cipher is out of date. Resync the client and try again."
	if msg := r.json(t)["message"]; msg != want {
		t.Fatalf("message = %q, want %q", msg, want)
	}
}

func TestOrganizationsAreRefusedForNow(t *testing.T) {
	a := newAPI(t)
	alice := newUser(t, a.db)
	org := newUser(t, a.db) // any GUID: no organization exists
	req := loginRequest(t, alice)
	req["organizationId"] = org
	withCols := func(cols ...string) map[string]any {
		return map[string]any{"cipher": req, "collectionIds": cols}
	}
	r := a.do(t, alice, "POST", "/api/ciphers/create", withCols(org))
	assertError(t, r, http.StatusBadRequest, "")
	if msg := r.json(t)["message"]; msg != "Organization not found." {
		t.Fatalf("message = %q", msg)
	}
	req["organizationId"] = nil
	r = a.do(t, alice, "POST", "/api/ciphers/create", withCols(org))
	assertError(t, r, http.StatusBadRequest, "CollectionIds")
	assertError(t, a.do(t, alice, "POST", "/api/ciphers/create", map[string]any{}), 400, "Cipher")
	created := a.must(t, alice, "POST", "/api/ciphers/create", withCols())
	if created.json(t)["object"] != "cipherDetails" {
		t.Fatalf("create without collections: %s", created.Body)
	}
}

func TestFolders(t *testing.T) {
	a := newAPI(t)
	alice := newUser(t, a.db)
	assertError(t, a.do(t, alice, "POST", "/api/folders", map[string]any{"name": "plain"}), 400, "Name")
	assertError(t, a.do(t, alice, "POST", "/api/folders", map[string]any{}), 400, "Name")
	name := enc(t, "Work")
	f := a.must(t, alice, "POST", "/api/folders", map[string]any{"name": name}).json(t)
	if f["name"] != name || f["object"] != "folder" || f["revisionDate"] != "2026-12-03T12:00:00.000Z" {
		t.Fatalf("folder response: %v", f)
	}
	path := "/api/folders/" + f["id"].(string)
	renamed := enc(t, "Work stuff")
	if got := a.must(t, alice, "PUT", path, map[string]any{"name": renamed}).json(t); got["name"] != renamed {
		t.Fatalf("rename: %v", got)
	}
	req := loginRequest(t, alice)
	req["folderId"] = f["id"]
	c := a.must(t, alice, "POST", "/api/ciphers", req).json(t)
	if c["folderId"] != f["id"] {
		t.Fatalf("folderId = %v", c["folderId"])
	}
	list := a.must(t, alice, "GET", "/api/folders", nil).json(t)
	if data := list["data"].([]any); len(data) != 1 || data[0].(map[string]any)["name"] != renamed {
		t.Fatalf("folder list: %v", list)
	}
	a.must(t, alice, "DELETE", path, nil)
	if got := a.must(t, alice, "GET", "/api/ciphers/"+c["id"].(string), nil).json(t); got["folderId"] != nil {
		t.Fatalf("item still in the deleted folder: %v", got["folderId"])
	}
}

func importRequest(t *testing.T, userID string, n int) map[string]any {
	ciphers := make([]any, n)
	rels := make([]any, n)
	for i := range ciphers {
		ciphers[i] = loginRequest(t, userID)
		rels[i] = map[string]any{"key": i, "value": i % 2}
	}
	return map[string]any{"ciphers": ciphers, "folderRelationships": rels,
		"folders": []any{map[string]any{"name": enc(t, "A")}, map[string]any{"name": enc(t, "B")}}}
}

// One bad item, folder or relationship refuses the whole import and stores nothing.
func TestImportIsAtomic(t *testing.T) {
	a := newAPI(t)
	alice := newUser(t, a.db)
	tests := []struct {
		name  string
		edit  func(m map[string]any)
		field string
	}{
		{"bad item", func(m map[string]any) { m["ciphers"].([]any)[3].(map[string]any)["name"] = "plain" },
			"Ciphers[3].Name"},
		{"bad folder", func(m map[string]any) { m["folders"].([]any)[1].(map[string]any)["name"] = "plain" },
			"Folders[1].Name"},
		{"bad relationship", func(m map[string]any) {
			rels := m["folderRelationships"].([]any)
			m["folderRelationships"] = append(rels, map[string]any{"key": 0, "value": 9})
		}, "FolderRelationships[5]"},
		{"unknown folder", func(m map[string]any) {
			m["ciphers"].([]any)[4].(map[string]any)["folderId"] = newUser(t, a.db)
			m["folderRelationships"] = m["folderRelationships"].([]any)[:4]
		}, "FolderId"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := importRequest(t, alice, 5)
			tt.edit(req)
			assertError(t, a.do(t, alice, "POST", "/api/ciphers/import", req), 400, tt.field)
			sync := a.must(t, alice, "GET", "/api/sync", nil).json(t)
			if n, m := len(sync["ciphers"].([]any)), len(sync["folders"].([]any)); n != 0 || m != 0 {
				t.Fatalf("a refused import stored %d items and %d folders", n, m)
			}
		})
	}
	a.must(t, alice, "POST", "/api/ciphers/import", importRequest(t, alice, 5))
	sync := a.must(t, alice, "GET", "/api/sync", nil).json(t)
	folders := map[any]bool{}
	for _, f := range sync["folders"].([]any) {
		folders[f.(map[string]any)["id"]] = true
	}
	for _, c := range sync["ciphers"].([]any) {
		if !folders[c.(map[string]any)["folderId"]] {
			t.Fatalf("imported item not in an imported folder: %v", c)
		}
	}
	if len(sync["ciphers"].([]any)) != 5 || len(folders) != 2 {
		t.Fatalf("import stored %d items, %d folders", len(sync["ciphers"].([]any)), len(folders))
	}
}

func TestSync(t *testing.T) {
	a := newAPI(t)
	alice := newUser(t, a.db)
	a.must(t, alice, "POST", "/api/ciphers", loginRequest(t, alice))
	a.must(t, alice, "POST", "/api/folders", map[string]any{"name": enc(t, "f")})
	got := a.must(t, alice, "GET", "/api/sync?excludeDomains=true", nil).json(t)
	if got["object"] != "sync" || got["domains"] != nil {
		t.Fatalf("object %v, domains %v", got["object"], got["domains"])
	}
	if p := got["profile"].(map[string]any); p["id"] != alice {
		t.Fatalf("profile = %v", p)
	}
	if got["userDecryption"] == nil {
		t.Fatal("userDecryption missing")
	}
	lists := map[string]int{"ciphers": 1, "folders": 1, "collections": 0, "policies": 0, "sends": 0}
	for k, n := range lists {
		if l, ok := got[k].([]any); !ok || len(l) != n {
			t.Errorf("%s = %v, want a list of %d", k, got[k], n)
		}
	}
	withDomains := a.must(t, alice, "GET", "/api/sync", nil).json(t)
	if d, ok := withDomains["domains"].(map[string]any); !ok || d["object"] != "domains" {
		t.Fatalf("domains without excludeDomains = %v", withDomains["domains"])
	}
}

func TestEventsCollect(t *testing.T) {
	a := newAPI(t)
	alice := newUser(t, a.db)
	events := []any{map[string]any{"type": 1107, "cipherId": newUser(t, a.db),
		"date": "2026-12-03T12:00:00.000Z", "organizationId": nil}}
	r := a.do(t, alice, "POST", "/events/collect", events)
	if r.Status != http.StatusOK || len(r.Body) != 0 {
		t.Fatalf("POST /events/collect = %d %q, want exactly 200", r.Status, r.Body)
	}
	assertError(t, a.do(t, alice, "POST", "/events/collect", `{"type":`), http.StatusBadRequest, "")
}

func TestBulkLimits(t *testing.T) {
	a := newAPI(t)
	alice := newUser(t, a.db)
	ids := make([]string, vault.MaxBulkIDs+1)
	assertError(t, a.do(t, alice, "PUT", "/api/ciphers/delete", map[string]any{"ids": ids}), 400, "")
	c := a.must(t, alice, "POST", "/api/ciphers", loginRequest(t, alice)).json(t)
	a.must(t, alice, "PUT", "/api/ciphers/delete", map[string]any{"ids": []any{c["id"], "junk"}})
	restored := a.must(t, alice, "PUT", "/api/ciphers/restore", map[string]any{"ids": []any{c["id"]}}).json(t)
	if data := restored["data"].([]any); len(data) != 1 || data[0].(map[string]any)["deletedDate"] != nil {
		t.Fatalf("bulk restore: %v", restored)
	}
}

func TestPartialAndMove(t *testing.T) {
	a := newAPI(t)
	alice, bob := newUser(t, a.db), newUser(t, a.db)
	f := a.must(t, alice, "POST", "/api/folders", map[string]any{"name": enc(t, "f")}).json(t)
	c := a.must(t, alice, "POST", "/api/ciphers", loginRequest(t, alice)).json(t)
	path := "/api/ciphers/" + c["id"].(string)
	got := a.must(t, alice, "PUT", path+"/partial",
		map[string]any{"folderId": f["id"], "favorite": true}).json(t)
	if got["folderId"] != f["id"] || got["favorite"] != true || got["revisionDate"] != c["revisionDate"] {
		t.Fatalf("partial: %v", got)
	}
	if r := a.do(t, bob, "PUT", path+"/partial", map[string]any{"favorite": true}); r.Status != 404 {
		t.Fatalf("bob's partial on alice's item: %d", r.Status)
	}
	a.must(t, alice, "PUT", "/api/ciphers/move", map[string]any{"ids": []any{c["id"]}, "folderId": nil})
	if got := a.must(t, alice, "GET", path, nil).json(t); got["folderId"] != nil || got["favorite"] != true {
		t.Fatalf("after move out of the folder: %v", got)
	}
	r := a.do(t, alice, "PUT", "/api/ciphers/move", map[string]any{"ids": []any{c["id"]}, "folderId": bob})
	assertError(t, r, 400, "FolderId")
}
