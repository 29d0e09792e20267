package vault_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/castellan-vault/castellan/internal/accounts"
	"github.com/castellan-vault/castellan/internal/bwcrypto"
	"github.com/castellan-vault/castellan/internal/storage"
	"github.com/castellan-vault/castellan/internal/storage/storagetest"
	"github.com/castellan-vault/castellan/internal/vault"
)

var t0 = time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)

// newUser stores a minimal account and returns its id.
func newUser(t testing.TB, db *storage.DB) string {
	t.Helper()
	id := uuid.NewString()
	u := &accounts.User{ID: id, Email: id + "@example.com", KDF: bwcrypto.KDF{Kind: bwcrypto.KDFPBKDF2,
		Iterations: 5000}, SecurityStamp: uuid.NewString(), APIKey: "k", Culture: "en-US",
		CreatedAt: t0, RevisionDate: t0, AccountRevisionDate: t0}
	if err := (accounts.SQLStore{DB: db}).CreateUser(context.Background(), u); err != nil {
		t.Fatalf("create user: %v", err)
	}
	return id
}

// accountRevision reads a user's account revision date.
func accountRevision(t testing.TB, db *storage.DB, userID string) time.Time {
	t.Helper()
	u, err := (accounts.SQLStore{DB: db}).UserByID(context.Background(), userID)
	if err != nil {
		t.Fatalf("read user: %v", err)
	}
	return u.AccountRevisionDate
}

// enc returns a well-formed type 2 EncString of s under a throwaway key.
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

func newCipher(t testing.TB, userID string, at time.Time) vault.Cipher {
	t.Helper()
	doc, _ := json.Marshal(map[string]any{"name": enc(t, "name"), "notes": nil,
		"login": map[string]any{"username": enc(t, "u"), "password": enc(t, "p")}})
	return vault.Cipher{ID: uuid.NewString(), UserID: userID, Type: vault.TypeLogin, Data: string(doc),
		CreatedAt: at, UpdatedAt: at}
}

func newFolder(userID string, at time.Time) vault.Folder {
	return vault.Folder{ID: uuid.NewString(), UserID: userID, Name: "2.folder", CreatedAt: at, UpdatedAt: at}
}

func TestStoreConformance(t *testing.T) {
	storagetest.ForEachEngine(t, func(t *testing.T, db *storage.DB) {
		s := vault.SQLStore{DB: db}
		t.Run("Folders", func(t *testing.T) { testFolders(t, db, s) })
		t.Run("CipherRoundTrip", func(t *testing.T) { testCipherRoundTrip(t, db, s) })
		t.Run("FolderMustBeOwn", func(t *testing.T) { testFolderMustBeOwn(t, db, s) })
		t.Run("OtherUsersCipher", func(t *testing.T) { testOtherUsersCipher(t, db, s) })
		t.Run("UpdateStale", func(t *testing.T) { testUpdateStale(t, db, s) })
		t.Run("ConcurrentUpdates", func(t *testing.T) { testConcurrentUpdates(t, db, s) })
		t.Run("TrashRestoreDelete", func(t *testing.T) { testTrashRestoreDelete(t, db, s) })
		t.Run("FileCiphers", func(t *testing.T) { testFileCiphers(t, db, s) })
		t.Run("DeleteFolderUnfiles", func(t *testing.T) { testDeleteFolderUnfiles(t, db, s) })
		t.Run("ImportAllOrNothing", func(t *testing.T) { testImportAllOrNothing(t, db, s) })
		t.Run("ImportLarge", func(t *testing.T) { testImportLarge(t, db, s) })
		t.Run("UserDeletionCascades", func(t *testing.T) { testUserDeletionCascades(t, db, s) })
	})
}

func testFolders(t *testing.T, db *storage.DB, s vault.SQLStore) {
	ctx := context.Background()
	alice, bob := newUser(t, db), newUser(t, db)
	f := newFolder(alice, t0.Add(time.Minute))
	if err := s.CreateFolder(ctx, f); err != nil {
		t.Fatal(err)
	}
	if got := accountRevision(t, db, alice); !got.Equal(f.UpdatedAt) {
		t.Fatalf("account revision = %v after create, want %v", got, f.UpdatedAt)
	}
	got, err := s.Folder(ctx, alice, f.ID)
	if err != nil || got != f {
		t.Fatalf("Folder = %+v, %v; want %+v", got, err, f)
	}
	if _, err := s.Folder(ctx, bob, f.ID); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("bob reads alice's folder: err = %v, want ErrNotFound", err)
	}
	if _, err := s.RenameFolder(ctx, bob, f.ID, "2.x", t0); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("bob renames alice's folder: err = %v, want ErrNotFound", err)
	}
	later := t0.Add(2 * time.Minute)
	renamed, err := s.RenameFolder(ctx, alice, f.ID, "2.renamed", later)
	if err != nil || renamed.Name != "2.renamed" || !renamed.UpdatedAt.Equal(later) ||
		!renamed.CreatedAt.Equal(f.CreatedAt) {
		t.Fatalf("RenameFolder = %+v, %v", renamed, err)
	}
	if list, err := s.Folders(ctx, bob); err != nil || len(list) != 0 {
		t.Fatalf("bob's folders = %v, %v; want none", list, err)
	}
	if err := s.DeleteFolder(ctx, bob, f.ID, later); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("bob deletes alice's folder: err = %v, want ErrNotFound", err)
	}
	if err := s.DeleteFolder(ctx, alice, f.ID, later); err != nil {
		t.Fatal(err)
	}
	if list, err := s.Folders(ctx, alice); err != nil || len(list) != 0 {
		t.Fatalf("folders after delete = %v, %v", list, err)
	}
}

func testCipherRoundTrip(t *testing.T, db *storage.DB, s vault.SQLStore) {
	ctx := context.Background()
	alice := newUser(t, db)
	f := newFolder(alice, t0)
	if err := s.CreateFolder(ctx, f); err != nil {
		t.Fatal(err)
	}
	c := newCipher(t, alice, t0.Add(time.Hour))
	c.FolderID, c.Favorite, c.Key, c.Reprompt = f.ID, true, enc(t, "key"), 1
	c.CollectionIDs = []string{uuid.NewString()}
	if err := s.CreateCipher(ctx, alice, c); err != nil {
		t.Fatal(err)
	}
	if got := accountRevision(t, db, alice); !got.Equal(c.UpdatedAt) {
		t.Fatalf("account revision = %v, want %v", got, c.UpdatedAt)
	}
	got, err := s.Cipher(ctx, alice, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	assertCipher(t, got, c)
	list, err := s.Ciphers(ctx, alice)
	if err != nil || len(list) != 1 {
		t.Fatalf("Ciphers = %d items, %v", len(list), err)
	}
	assertCipher(t, list[0], c)
}

func assertCipher(t *testing.T, got, want vault.Cipher) {
	t.Helper()
	gotJSON, _ := json.Marshal(got)
	wantJSON, _ := json.Marshal(want)
	if string(gotJSON) != string(wantJSON) {
		t.Fatalf("cipher differs:\n got %s\nwant %s", gotJSON, wantJSON)
	}
}

func testFolderMustBeOwn(t *testing.T, db *storage.DB, s vault.SQLStore) {
	ctx := context.Background()
	alice, bob := newUser(t, db), newUser(t, db)
	bobs := newFolder(bob, t0)
	if err := s.CreateFolder(ctx, bobs); err != nil {
		t.Fatal(err)
	}
	c := newCipher(t, alice, t0)
	c.FolderID = bobs.ID
	if err := s.CreateCipher(ctx, alice, c); !errors.Is(err, vault.ErrFolderNotFound) {
		t.Fatalf("filing in bob's folder: err = %v, want ErrFolderNotFound", err)
	}
	if _, err := s.Cipher(ctx, alice, c.ID); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("the refused item was stored: %v", err)
	}
	c.FolderID = ""
	if err := s.CreateCipher(ctx, alice, c); err != nil {
		t.Fatal(err)
	}
	c.FolderID = bobs.ID
	if _, err := s.UpdateCipher(ctx, alice, c, nil); !errors.Is(err, vault.ErrFolderNotFound) {
		t.Fatalf("moving into bob's folder: err = %v, want ErrFolderNotFound", err)
	}
}

func testOtherUsersCipher(t *testing.T, db *storage.DB, s vault.SQLStore) {
	ctx := context.Background()
	alice, bob := newUser(t, db), newUser(t, db)
	c := newCipher(t, alice, t0)
	if err := s.CreateCipher(ctx, alice, c); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Cipher(ctx, bob, c.ID); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("bob reads: %v", err)
	}
	if _, err := s.UpdateCipher(ctx, bob, c, nil); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("bob updates: %v", err)
	}
	for name, op := range map[string]func() (int, error){
		"trash":  func() (int, error) { return s.SoftDeleteCiphers(ctx, bob, []string{c.ID}, t0) },
		"delete": func() (int, error) { return s.DeleteCiphers(ctx, bob, []string{c.ID}, t0) },
		"restore": func() (int, error) {
			r, err := s.RestoreCiphers(ctx, bob, []string{c.ID}, t0)
			return len(r), err
		},
	} {
		if n, err := op(); n != 0 || err != nil {
			t.Fatalf("bob's %s of alice's item: %d, %v; want 0, nil", name, n, err)
		}
	}
	if list, _ := s.Ciphers(ctx, bob); len(list) != 0 {
		t.Fatalf("bob sees %d items", len(list))
	}
	if got, err := s.Cipher(ctx, alice, c.ID); err != nil || got.DeletedAt != nil {
		t.Fatalf("alice's item after bob's attempts: %+v, %v", got, err)
	}
}

func testUpdateStale(t *testing.T, db *storage.DB, s vault.SQLStore) {
	ctx := context.Background()
	alice := newUser(t, db)
	c := newCipher(t, alice, t0)
	if err := s.CreateCipher(ctx, alice, c); err != nil {
		t.Fatal(err)
	}
	old := t0.Add(-2 * time.Second)
	c.UpdatedAt = t0.Add(time.Hour)
	if _, err := s.UpdateCipher(ctx, alice, c, &old); !errors.Is(err, vault.ErrStale) {
		t.Fatalf("update from a copy 2s older: err = %v, want ErrStale", err)
	}
	near := t0.Add(-500 * time.Millisecond) // within the one second the official server allows
	got, err := s.UpdateCipher(ctx, alice, c, &near)
	if err != nil || !got.UpdatedAt.Equal(c.UpdatedAt) || !got.CreatedAt.Equal(t0) {
		t.Fatalf("UpdateCipher = %+v, %v", got, err)
	}
	if got := accountRevision(t, db, alice); !got.Equal(c.UpdatedAt) {
		t.Fatalf("account revision = %v, want %v", got, c.UpdatedAt)
	}
}

// Several clients update one item from the same copy: exactly one wins, the others are stale.
func testConcurrentUpdates(t *testing.T, db *storage.DB, s vault.SQLStore) {
	ctx := context.Background()
	alice := newUser(t, db)
	c := newCipher(t, alice, t0)
	if err := s.CreateCipher(ctx, alice, c); err != nil {
		t.Fatal(err)
	}
	const n = 6
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			u := c
			u.UpdatedAt = t0.Add(time.Duration(i+1) * time.Minute)
			_, errs[i] = s.UpdateCipher(ctx, alice, u, &t0)
		}()
	}
	wg.Wait()
	wins := 0
	for i, err := range errs {
		switch {
		case err == nil:
			wins++
		case !errors.Is(err, vault.ErrStale):
			t.Fatalf("update %d: %v", i, err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d concurrent updates from one copy succeeded, want 1", wins)
	}
}

func testTrashRestoreDelete(t *testing.T, db *storage.DB, s vault.SQLStore) {
	ctx := context.Background()
	alice := newUser(t, db)
	a, b := newCipher(t, alice, t0), newCipher(t, alice, t0)
	for _, c := range []vault.Cipher{a, b} {
		if err := s.CreateCipher(ctx, alice, c); err != nil {
			t.Fatal(err)
		}
	}
	t1 := t0.Add(time.Hour)
	n, err := s.SoftDeleteCiphers(ctx, alice, []string{a.ID, b.ID, uuid.NewString()}, t1)
	if n != 2 || err != nil {
		t.Fatalf("SoftDeleteCiphers = %d, %v; want 2", n, err)
	}
	got, _ := s.Cipher(ctx, alice, a.ID)
	if got.DeletedAt == nil || !got.DeletedAt.Equal(t1) || !got.UpdatedAt.Equal(t1) {
		t.Fatalf("trashed item: deleted %v, revised %v; want both %v", got.DeletedAt, got.UpdatedAt, t1)
	}
	t2 := t1.Add(time.Hour)
	restored, err := s.RestoreCiphers(ctx, alice, []string{a.ID}, t2)
	if err != nil || len(restored) != 1 || restored[0].DeletedAt != nil || !restored[0].UpdatedAt.Equal(t2) {
		t.Fatalf("RestoreCiphers = %+v, %v", restored, err)
	}
	if n, err := s.DeleteCiphers(ctx, alice, []string{a.ID, b.ID}, t2); n != 2 || err != nil {
		t.Fatalf("DeleteCiphers = %d, %v; want 2", n, err)
	}
	if list, err := s.Ciphers(ctx, alice); err != nil || len(list) != 0 {
		t.Fatalf("items after delete: %d, %v", len(list), err)
	}
	if got := accountRevision(t, db, alice); !got.Equal(t2) {
		t.Fatalf("account revision = %v, want %v", got, t2)
	}
}

func testDeleteFolderUnfiles(t *testing.T, db *storage.DB, s vault.SQLStore) {
	ctx := context.Background()
	alice := newUser(t, db)
	f := newFolder(alice, t0)
	if err := s.CreateFolder(ctx, f); err != nil {
		t.Fatal(err)
	}
	c := newCipher(t, alice, t0)
	c.FolderID, c.Favorite = f.ID, true
	if err := s.CreateCipher(ctx, alice, c); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteFolder(ctx, alice, f.ID, t0); err != nil {
		t.Fatal(err)
	}
	got, err := s.Cipher(ctx, alice, c.ID)
	if err != nil || got.FolderID != "" || !got.Favorite {
		t.Fatalf("item after its folder was deleted: folder %q favorite %v, %v",
			got.FolderID, got.Favorite, err)
	}
}

func testImportAllOrNothing(t *testing.T, db *storage.DB, s vault.SQLStore) {
	ctx := context.Background()
	alice, bob := newUser(t, db), newUser(t, db)
	bobs := newFolder(bob, t0)
	if err := s.CreateFolder(ctx, bobs); err != nil {
		t.Fatal(err)
	}
	folders := []vault.Folder{newFolder(alice, t0)}
	ciphers := make([]vault.Cipher, 150) // the bad one is in the second insert batch
	for i := range ciphers {
		ciphers[i] = newCipher(t, alice, t0)
		ciphers[i].FolderID = folders[0].ID
	}
	ciphers[120].FolderID = bobs.ID
	err := s.Import(ctx, alice, folders, ciphers, t0.Add(time.Hour))
	if !errors.Is(err, vault.ErrFolderNotFound) {
		t.Fatalf("Import = %v, want ErrFolderNotFound", err)
	}
	list, _ := s.Ciphers(ctx, alice)
	fl, _ := s.Folders(ctx, alice)
	if len(list) != 0 || len(fl) != 0 || !accountRevision(t, db, alice).Equal(t0) {
		t.Fatalf("a failed import left %d items and %d folders behind", len(list), len(fl))
	}
}

func testImportLarge(t *testing.T, db *storage.DB, s vault.SQLStore) {
	ctx := context.Background()
	alice := newUser(t, db)
	folders := []vault.Folder{newFolder(alice, t0), newFolder(alice, t0)}
	ciphers := make([]vault.Cipher, 345)
	for i := range ciphers {
		ciphers[i] = newCipher(t, alice, t0)
		ciphers[i].FolderID = folders[i%2].ID
	}
	if err := s.Import(ctx, alice, folders, ciphers, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	list, err := s.Ciphers(ctx, alice)
	if err != nil || len(list) != len(ciphers) {
		t.Fatalf("imported %d items, read back %d (%v)", len(ciphers), len(list), err)
	}
	inFolder := map[string]int{}
	for _, c := range list {
		inFolder[c.FolderID]++
	}
	if inFolder[folders[0].ID] != 173 || inFolder[folders[1].ID] != 172 {
		t.Fatalf("items per folder = %v", inFolder)
	}
	if got := accountRevision(t, db, alice); !got.Equal(t0.Add(time.Hour)) {
		t.Fatalf("account revision = %v", got)
	}
}

func testUserDeletionCascades(t *testing.T, db *storage.DB, s vault.SQLStore) {
	ctx := context.Background()
	alice := newUser(t, db)
	f := newFolder(alice, t0)
	c := newCipher(t, alice, t0)
	c.FolderID = f.ID
	if err := s.Import(ctx, alice, []vault.Folder{f}, []vault.Cipher{c}, t0); err != nil {
		t.Fatal(err)
	}
	storagetest.MustExec(t, db, `DELETE FROM users WHERE id = ?`, alice)
	if _, err := s.Cipher(ctx, alice, c.ID); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("item of a deleted user: %v", err)
	}
	var n int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM cipher_user_prefs WHERE cipher_id = ?`, c.ID).
		Scan(&n); err != nil || n != 0 {
		t.Fatalf("prefs of a deleted user's item: %d, %v", n, err)
	}
	err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM folders WHERE id = ?`, f.ID).Scan(&n)
	if err != nil || n != 0 {
		t.Fatalf("folders of a deleted user: %d, %v", n, err)
	}
}

func testFileCiphers(t *testing.T, db *storage.DB, s vault.SQLStore) {
	ctx := context.Background()
	alice, bob := newUser(t, db), newUser(t, db)
	f, bobs := newFolder(alice, t0), newFolder(bob, t0)
	a, b := newCipher(t, alice, t0), newCipher(t, alice, t0)
	b.Favorite = true
	if err := s.Import(ctx, alice, []vault.Folder{f}, []vault.Cipher{a, b}, t0); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateFolder(ctx, bobs); err != nil {
		t.Fatal(err)
	}
	t1 := t0.Add(time.Hour)
	_, err := s.FileCiphers(ctx, alice, []string{a.ID}, bobs.ID, nil, t1)
	if !errors.Is(err, vault.ErrFolderNotFound) {
		t.Fatalf("filing in bob's folder: %v, want ErrFolderNotFound", err)
	}
	n, err := s.FileCiphers(ctx, bob, []string{a.ID}, bobs.ID, nil, t1)
	if n != 0 || err != nil {
		t.Fatalf("bob filing alice's item: %d, %v", n, err)
	}
	n, err = s.FileCiphers(ctx, alice, []string{a.ID, b.ID, uuid.NewString()}, f.ID, nil, t1)
	if n != 2 || err != nil {
		t.Fatalf("FileCiphers = %d, %v; want 2", n, err)
	}
	got, _ := s.Cipher(ctx, alice, b.ID)
	if got.FolderID != f.ID || !got.Favorite || !got.UpdatedAt.Equal(t0) {
		t.Fatalf("filed item: folder %q favorite %v revised %v", got.FolderID, got.Favorite, got.UpdatedAt)
	}
	if !accountRevision(t, db, alice).Equal(t1) {
		t.Fatal("filing did not move the account revision date")
	}
	no := false
	if _, err := s.FileCiphers(ctx, alice, []string{b.ID}, "", &no, t1); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Cipher(ctx, alice, b.ID); got.FolderID != "" || got.Favorite {
		t.Fatalf("unfiled item: folder %q favorite %v", got.FolderID, got.Favorite)
	}
}
