package e2e_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/castellan-vault/castellan/internal/castellantest"
	"github.com/castellan-vault/castellan/internal/e2e"
	"github.com/castellan-vault/castellan/internal/identity"
	"github.com/castellan-vault/castellan/internal/storage/storagetest"
	"github.com/castellan-vault/castellan/internal/testpeers"
)

const password = "Correct-Horse-Battery-1!"

// TestOfficialCLI is issue 3's acceptance test: the official Bitwarden CLI (pinned, from npm)
// against `castellan serve` over TLS, on SQLite and on PostgreSQL. A user registered through the
// API with bwcrypto logs in with the CLI, syncs, creates, lists, reads, edits and deletes items,
// exports and imports the vault, logs in again with the API key and unlocks, and a wrong password
// gets the CLI's own message. What the CLI encrypted is also decrypted on the server's side with
// the harness's copy of the keys. SQLite runs with the default access token algorithm (EdDSA),
// PostgreSQL with ES256 (CASTELLAN_TOKEN_SIGNING_ALG); the server holds only that one key, so every
// token the CLI uses is signed with it.
func TestOfficialCLI(t *testing.T) {
	for _, e := range storagetest.Engines() {
		if e.Name != "sqlite" && e.Name != "postgres" {
			continue
		}
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel() // each engine has its own server and CLI device; the CLI is slow to start
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
			defer cancel()
			_ = testpeers.BWCLI(t, testpeers.BWConfig{}) // the missing-tool rule, before anything starts
			opts, alg := castellantest.Options{DatabaseURL: e.Fresh(t)}, identity.DefaultAlgorithm
			if e.Name == "postgres" {
				opts.Env, alg = []string{"CASTELLAN_TOKEN_SIGNING_ALG=ES256"}, identity.AlgES256
			}
			srv := castellantest.Start(t, opts)
			if got := jwksAlgorithms(t, srv); len(got) != 1 || got[0] != alg {
				t.Fatalf("JWKS algorithms = %v, want only %s", got, alg)
			}
			bw := testpeers.BWCLI(t, testpeers.BWConfig{CAFile: srv.CAFile})
			s := &scenario{t: t, ctx: ctx, srv: srv, bw: bw,
				user: e2e.Register(t, srv, e2e.UniqueEmail("alice"), password)}
			steps := []struct {
				name string
				run  func(t *testing.T)
			}{
				{"PasswordLogin", s.passwordLogin},
				{"ForcedSync", s.forcedSync},
				{"Items", s.items},
				{"TrashRestoreDelete", s.trashRestoreDelete},
				{"ExportImport", s.exportImport},
				{"APIKeyLoginUnlock", s.apiKeyLoginUnlock},
				{"WrongPassword", s.wrongPassword},
				{"NoUnexpectedErrors", s.noUnexpectedErrors},
			}
			for _, step := range steps {
				if !t.Run(step.name, step.run) {
					return // later steps build on this one
				}
			}
		})
	}
}

// scenario is the state the steps share: one server, one CLI device, one user.
type scenario struct {
	t    *testing.T
	ctx  context.Context
	srv  *castellantest.Server
	bw   *testpeers.BW
	user *e2e.User

	folderID string
	itemID   string
	itemName string
	itemPW   string
}

// bwItem is the part of the CLI's decrypted item that the test reads.
type bwItem struct {
	ID       string `json:"id"`
	FolderID string `json:"folderId"`
	Type     int    `json:"type"`
	Name     string `json:"name"`
	Notes    string `json:"notes"`
	Login    struct {
		Username string `json:"username"`
		Password string `json:"password"`
		URIs     []struct {
			URI string `json:"uri"`
		} `json:"uris"`
	} `json:"login"`
}

// storedCipher is the part of the server's CipherDetails that the test decrypts.
type storedCipher struct {
	ID          string  `json:"id"`
	FolderID    *string `json:"folderId"`
	Name        string  `json:"name"`
	Notes       string  `json:"notes"`
	Key         string  `json:"key"`
	DeletedDate *string `json:"deletedDate"`
	Login       struct {
		Username string `json:"username"`
		Password string `json:"password"`
		URIs     []struct {
			URI string `json:"uri"`
		} `json:"uris"`
	} `json:"login"`
	PasswordHistory []struct {
		Password string `json:"password"`
	} `json:"passwordHistory"`
}

// run runs the CLI with --response and returns the envelope's data, failing on any error.
func (s *scenario) run(t *testing.T, out any, args ...string) {
	t.Helper()
	resp, err := s.bw.JSON(s.ctx, args...)
	if err != nil {
		t.Fatalf("bw %s: %v", strings.Join(args[:1], " "), err)
	}
	if out != nil {
		if err := resp.Decode(out); err != nil {
			t.Fatalf("bw %s: %v", args[0], err)
		}
	}
}

// listItems runs `bw list items` with extra arguments and returns the items.
func (s *scenario) listItems(t *testing.T, extra ...string) []bwItem {
	t.Helper()
	var out struct{ Data []bwItem }
	s.run(t, &out, append([]string{"list", "items"}, extra...)...)
	return out.Data
}

// runString runs a CLI command whose --response data is a string response.
func (s *scenario) runString(t *testing.T, args ...string) string {
	t.Helper()
	var out struct{ Data string }
	s.run(t, &out, args...)
	return out.Data
}

func encode(t *testing.T, v any) string {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(raw)
}

func (s *scenario) passwordLogin(t *testing.T) {
	if _, stderr, err := s.bw.Run(s.ctx, nil, "config", "server", s.srv.URL); err != nil {
		t.Fatalf("bw config server: %v (%s)", err, stderr)
	}
	s.bw.Setenv("BW_PASSWORD", password)
	session, stderr, err := s.bw.Run(s.ctx, nil,
		"login", s.user.Email, "--passwordenv", "BW_PASSWORD", "--raw")
	session = strings.TrimSpace(session)
	if err != nil || session == "" {
		t.Fatalf("bw login: %v (stderr: %s)", err, stderr)
	}
	s.bw.Setenv("BW_SESSION", session)
	status := s.status(t, s.bw)
	if status.Status != "unlocked" || status.UserEmail != s.user.Email || status.UserID != s.user.ID {
		t.Fatalf("bw status after login = %+v, want unlocked as %s (%s)", status, s.user.Email, s.user.ID)
	}
}

// bwStatus is what `bw status` reports.
type bwStatus struct {
	Status    string `json:"status"`
	UserEmail string `json:"userEmail"`
	UserID    string `json:"userId"`
}

func (s *scenario) status(t *testing.T, bw *testpeers.BW) bwStatus {
	t.Helper()
	var out struct{ Template bwStatus }
	resp, err := bw.JSON(s.ctx, "status")
	if err != nil || resp.Decode(&out) != nil {
		t.Fatalf("bw status: %v", err)
	}
	return out.Template
}

func (s *scenario) forcedSync(t *testing.T) {
	s.run(t, nil, "sync", "-f")
	last := s.runString(t, "sync", "--last")
	when, err := time.Parse(time.RFC3339, last)
	if err != nil || time.Since(when).Abs() > 5*time.Minute {
		t.Fatalf("bw sync --last = %q (%v), want about now", last, err)
	}
}

func (s *scenario) items(t *testing.T) {
	var folder struct{ ID, Name string }
	s.run(t, &folder, "create", "folder", encode(t, map[string]any{"name": "Work"}))
	if folder.ID == "" || folder.Name != "Work" {
		t.Fatalf("bw create folder = %+v", folder)
	}
	s.folderID = folder.ID

	var tmpl map[string]any
	s.run(t, &tmpl, "get", "template", "item")
	tmpl["type"], tmpl["name"], tmpl["folderId"] = 1, "GitHub", folder.ID
	tmpl["notes"] = "recovery codes in the safe"
	tmpl["login"] = map[string]any{
		"uris":     []any{map[string]any{"match": nil, "uri": "https://github.com/login"}},
		"username": "octocat", "password": "first-S3cret!", "totp": nil}
	var created bwItem
	s.run(t, &created, "create", "item", encode(t, tmpl))
	if created.ID == "" || created.Name != "GitHub" || created.Login.Password != "first-S3cret!" ||
		created.FolderID != folder.ID {
		t.Fatalf("bw create item = %+v", created)
	}
	s.itemID = created.ID
	s.assertStored(t, "GitHub", "first-S3cret!")

	list := s.listItems(t, "--search", "GitHub")
	if len(list) != 1 || list[0].ID != created.ID || list[0].Login.Username != "octocat" {
		t.Fatalf("bw list items --search GitHub = %+v", list)
	}
	var got bwItem
	s.run(t, &got, "get", "item", created.ID)
	if got.Notes != "recovery codes in the safe" || len(got.Login.URIs) != 1 ||
		got.Login.URIs[0].URI != "https://github.com/login" {
		t.Fatalf("bw get item = %+v", got)
	}
	if pw := s.runString(t, "get", "password", created.ID); pw != "first-S3cret!" {
		t.Fatalf("bw get password = %q", pw)
	}
	s.editItem(t)
}

// editItem changes the name and password with `bw edit item` and checks both sides, including
// the password history the CLI keeps when a password changes.
func (s *scenario) editItem(t *testing.T) {
	var raw map[string]any
	s.run(t, &raw, "get", "item", s.itemID)
	raw["name"] = "GitHub (work)"
	raw["login"].(map[string]any)["password"] = "second-S3cret!"
	var edited bwItem
	s.run(t, &edited, "edit", "item", s.itemID, encode(t, raw))
	if edited.Name != "GitHub (work)" || edited.Login.Password != "second-S3cret!" {
		t.Fatalf("bw edit item = %+v", edited)
	}
	s.itemName, s.itemPW = edited.Name, edited.Login.Password
	c := s.assertStored(t, s.itemName, s.itemPW)
	if len(c.PasswordHistory) != 1 {
		t.Fatalf("stored password history has %d entries, want 1", len(c.PasswordHistory))
	}
	old, err := s.user.Decrypt(c.Key, c.PasswordHistory[0].Password)
	if err != nil || old != "first-S3cret!" {
		t.Fatalf("stored password history decrypts to %q, %v", old, err)
	}
}

// assertStored reads the item through the API as the harness and decrypts it with the harness's
// own copy of the user key.
func (s *scenario) assertStored(t *testing.T, name, pw string) storedCipher {
	t.Helper()
	var c storedCipher
	e2e.Call(t, s.srv, s.user.Token, "GET", "/api/ciphers/"+s.itemIDOr(t), nil, &c)
	want := map[string][2]string{
		"name": {c.Name, name}, "password": {c.Login.Password, pw}, "username": {c.Login.Username, "octocat"},
		"notes": {c.Notes, "recovery codes in the safe"},
	}
	for field, v := range want {
		if !strings.HasPrefix(v[0], "2.") {
			t.Fatalf("stored %s %q is not a type 2 EncString", field, v[0])
		}
		plain, err := s.user.Decrypt(c.Key, v[0])
		if err != nil || plain != v[1] {
			t.Fatalf("stored %s decrypts to %q, %v; want %q", field, plain, err, v[1])
		}
	}
	if c.FolderID == nil || *c.FolderID != s.folderID {
		t.Fatalf("stored folderId = %v, want %s", c.FolderID, s.folderID)
	}
	return c
}

func (s *scenario) itemIDOr(t *testing.T) string {
	if s.itemID == "" {
		t.Fatal("no item yet")
	}
	return s.itemID
}

func (s *scenario) trashRestoreDelete(t *testing.T) {
	var tmpl map[string]any
	s.run(t, &tmpl, "get", "template", "item")
	tmpl["type"], tmpl["name"], tmpl["notes"] = 2, "Throwaway note", "delete me"
	tmpl["secureNote"], tmpl["login"] = map[string]any{"type": 0}, nil
	var note bwItem
	s.run(t, &note, "create", "item", encode(t, tmpl))

	s.run(t, nil, "delete", "item", note.ID)
	var stored storedCipher
	e2e.Call(t, s.srv, s.user.Token, "GET", "/api/ciphers/"+note.ID, nil, &stored)
	if stored.DeletedDate == nil {
		t.Fatal("the server did not record the soft delete")
	}
	if ids := s.listIDs(t); ids[note.ID] || !ids[s.itemID] {
		t.Fatalf("bw list items after a soft delete: %v", ids)
	}
	if ids := s.listIDs(t, "--trash"); !ids[note.ID] {
		t.Fatalf("bw list items --trash lacks the deleted note: %v", ids)
	}
	s.run(t, nil, "restore", "item", note.ID)
	if ids := s.listIDs(t); !ids[note.ID] {
		t.Fatalf("bw list items after restore lacks the note: %v", ids)
	}
	s.run(t, nil, "delete", "item", note.ID, "--permanent")
	status, _ := e2e.Do(t, s.srv, s.user.Token, "GET", "/api/ciphers/"+note.ID, nil)
	if status != http.StatusNotFound {
		t.Fatalf("GET of a permanently deleted item: status %d, want 404", status)
	}
}

// listIDs returns the ids `bw list items` shows.
func (s *scenario) listIDs(t *testing.T, extra ...string) map[string]bool {
	t.Helper()
	ids := map[string]bool{}
	list := s.listItems(t, extra...)
	for _, it := range list {
		ids[it.ID] = true
	}
	return ids
}

func (s *scenario) exportImport(t *testing.T) {
	file := filepath.Join(t.TempDir(), "export.json")
	s.run(t, nil, "export", "--format", "json", "--output", file)
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var export struct {
		Encrypted bool                    `json:"encrypted"`
		Folders   []struct{ Name string } `json:"folders"`
		Items     []bwItem                `json:"items"`
	}
	if err := json.Unmarshal(raw, &export); err != nil || export.Encrypted {
		t.Fatalf("export file: %v (encrypted %v)", err, export.Encrypted)
	}
	if len(export.Items) != 1 || export.Items[0].Name != s.itemName ||
		export.Items[0].Login.Password != s.itemPW {
		t.Fatalf("export items = %+v", export.Items)
	}
	if len(export.Folders) != 1 || export.Folders[0].Name != "Work" {
		t.Fatalf("export = %+v", export)
	}

	s.run(t, nil, "import", "bitwardenjson", file)
	s.run(t, nil, "sync", "-f")
	list := s.listItems(t, "--search", s.itemName)
	if len(list) != 2 || list[0].Login.Password != s.itemPW || list[1].Login.Password != s.itemPW {
		t.Fatalf("after import, bw list items = %+v; want the item twice", list)
	}
	var sync struct {
		Ciphers []storedCipher          `json:"ciphers"`
		Folders []struct{ Name string } `json:"folders"`
	}
	e2e.Call(t, s.srv, s.user.Token, "GET", "/api/sync?excludeDomains=true", nil, &sync)
	if len(sync.Ciphers) != 2 || len(sync.Folders) == 0 {
		t.Fatalf("server after import: %d items, %d folders", len(sync.Ciphers), len(sync.Folders))
	}
	for _, c := range sync.Ciphers {
		if name, err := s.user.Decrypt(c.Key, c.Name); err != nil || name != s.itemName {
			t.Fatalf("imported item name decrypts to %q, %v", name, err)
		}
	}
}

func (s *scenario) apiKeyLoginUnlock(t *testing.T) {
	var key struct {
		APIKey string `json:"apiKey"`
	}
	e2e.Call(t, s.srv, s.user.Token, "POST", "/api/accounts/api-key",
		map[string]any{"masterPasswordHash": s.user.Account.MasterPasswordHash}, &key)
	s.run(t, nil, "logout")
	s.bw.Setenv("BW_SESSION", "")
	s.bw.Setenv("BW_CLIENTID", "user."+s.user.ID)
	s.bw.Setenv("BW_CLIENTSECRET", key.APIKey)
	s.run(t, nil, "login", "--apikey")
	if status := s.status(t, s.bw); status.Status != "locked" {
		t.Fatalf("bw status after an API-key login = %+v, want locked", status)
	}
	session, stderr, err := s.bw.Run(s.ctx, nil, "unlock", "--passwordenv", "BW_PASSWORD", "--raw")
	if session = strings.TrimSpace(session); err != nil || session == "" {
		t.Fatalf("bw unlock: %v (stderr: %s)", err, stderr)
	}
	s.bw.Setenv("BW_SESSION", session)
	list := s.listItems(t)
	if len(list) != 2 || list[0].Name != s.itemName {
		t.Fatalf("bw list items after unlock = %+v", list)
	}
}

// wrongPassword logs in from a new CLI device with a wrong password and expects the CLI's own
// message, which it only shows for the exact error the official server sends.
func (s *scenario) wrongPassword(t *testing.T) {
	bw := testpeers.BWCLI(t, testpeers.BWConfig{CAFile: s.srv.CAFile})
	if _, stderr, err := bw.Run(s.ctx, nil, "config", "server", s.srv.URL); err != nil {
		t.Fatalf("bw config server: %v (%s)", err, stderr)
	}
	bw.Setenv("BW_PASSWORD", password+"-wrong")
	resp, err := bw.JSON(s.ctx, "login", s.user.Email, "--passwordenv", "BW_PASSWORD")
	if err == nil {
		t.Fatal("bw login with a wrong password succeeded")
	}
	if resp == nil || !strings.Contains(resp.Message, "Invalid master password") {
		t.Fatalf("bw login with a wrong password: %v; want the CLI's own \"Invalid master password\"", err)
	}
	if status := s.status(t, bw); status.Status != "unauthenticated" {
		t.Fatalf("bw status after a failed login = %+v", status)
	}
}

var accessLine = regexp.MustCompile(`msg="http request".* method=(\S+) path=(\S+) status=(\d+)`)

// noUnexpectedErrors reads castellan's access log: the CLI must not have met an error anywhere
// along the way, even one it tolerated. The only failures are the ones the test provoked: the
// wrong password, and the harness reading an item it had deleted.
func (s *scenario) noUnexpectedErrors(t *testing.T) {
	expected := map[string]bool{ // seen yet?
		"POST /identity/connect/token 400": false,
		"GET /api/ciphers/{id} 404":        false,
	}
	ids := regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	requests := 0
	for _, line := range strings.Split(s.srv.Log(), "\n") {
		m := accessLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		requests++
		if status, _ := strconv.Atoi(m[3]); status < 400 {
			continue
		}
		key := m[1] + " " + ids.ReplaceAllString(m[2], "{id}") + " " + m[3]
		if _, ok := expected[key]; !ok {
			t.Errorf("unexpected error response: %s", key)
		}
		expected[key] = true
	}
	if requests == 0 || !expected["POST /identity/connect/token 400"] {
		t.Fatalf("the access log was not read: %d requests, and no sign of the wrong password", requests)
	}
}
