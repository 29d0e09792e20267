package sso_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/castellan-vault/castellan/internal/accounts"
	"github.com/castellan-vault/castellan/internal/bwcrypto"
	"github.com/castellan-vault/castellan/internal/orgs"
	"github.com/castellan-vault/castellan/internal/sso"
	"github.com/castellan-vault/castellan/internal/storage"
	"github.com/castellan-vault/castellan/internal/storage/storagetest"
)

// TestStore is the storage contract of migration 00006 on every engine.
func TestStore(t *testing.T) {
	storagetest.ForEachEngine(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		now := time.UnixMilli(time.Now().UnixMilli()).UTC()
		orgID, users := seedStore(t, db, now)
		s := sso.NewStore(db)
		t.Run("Configs", func(t *testing.T) { testConfigs(t, ctx, s, orgID, now) })
		t.Run("Links", func(t *testing.T) { testLinks(t, ctx, s, orgID, users, now) })
		t.Run("Flows", func(t *testing.T) { testFlows(t, ctx, s, orgID, now) })
		t.Run("Codes", func(t *testing.T) { testCodes(t, ctx, s, orgID, users[0], now) })
		t.Run("Replay", func(t *testing.T) { testReplay(t, ctx, s, orgID, now) })
		t.Run("Transaction", func(t *testing.T) { testStoreTx(t, ctx, db, orgID, users[2], now) })
	})
}

func seedStore(t *testing.T, db *storage.DB, now time.Time) (string, []string) {
	t.Helper()
	ctx := context.Background()
	org := orgs.Organization{ID: uuid.NewString(), Name: "Acme", BillingEmail: "a@example.com", Enabled: true,
		CreatedAt: now, RevisionDate: now}
	if err := orgs.QueriesOn(db).CreateOrganization(ctx, org); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i := range 3 {
		u := &accounts.User{ID: uuid.NewString(), Email: uuid.NewString()[:8] + "@example.com",
			KDF: bwcrypto.DefaultKDF(), SecurityStamp: "s", APIKey: "k", Culture: "en-US", CreatedAt: now,
			RevisionDate: now, AccountRevisionDate: now}
		if err := accounts.InsertUser(ctx, db, u); err != nil {
			t.Fatalf("user %d: %v", i, err)
		}
		ids = append(ids, u.ID)
	}
	return org.ID, ids
}

func testConfigs(t *testing.T, ctx context.Context, s sso.Store, orgID string, now time.Time) {
	if _, _, err := s.Config(ctx, orgID); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("missing config: %v", err)
	}
	c := &sso.Config{OrgID: orgID, Enabled: true, Revision: 1, CreatedAt: now, RevisionDate: now,
		Data: sso.Data{ConfigType: sso.ConfigOIDC, Authority: "https://idp.example.com", ClientID: "c",
			AdditionalScopes: "groups", TrustIdPEmails: true}}
	if err := s.PutConfig(ctx, c, "sealed-1"); err != nil {
		t.Fatal(err)
	}
	got, sealed, err := s.Config(ctx, orgID)
	if err != nil || sealed != "sealed-1" || got.Data != c.Data || got.Revision != 1 || !got.Enabled ||
		!got.CreatedAt.Equal(now) {
		t.Fatalf("Config = %+v %q %v", got, sealed, err)
	}
	c.Enabled, c.Revision, c.Data.ClientID = false, 2, "d"
	c.RevisionDate = now.Add(time.Second)
	if err := s.PutConfig(ctx, c, ""); err != nil {
		t.Fatal(err)
	}
	got, sealed, err = s.Config(ctx, orgID)
	if err != nil || sealed != "" || got.Enabled || got.Revision != 2 || got.Data.ClientID != "d" ||
		!got.RevisionDate.Equal(c.RevisionDate) {
		t.Fatalf("updated Config = %+v %q %v", got, sealed, err)
	}
}

func testLinks(t *testing.T, ctx context.Context, s sso.Store, orgID string, users []string, now time.Time) {
	l := sso.Link{OrgID: orgID, ExternalID: "ext-1", UserID: users[0], CreatedAt: now}
	if err := s.InsertLink(ctx, l); err != nil {
		t.Fatal(err)
	}
	for name, dup := range map[string]sso.Link{
		"same external id": {OrgID: orgID, ExternalID: "ext-1", UserID: users[1], CreatedAt: now},
		"same account":     {OrgID: orgID, ExternalID: "ext-2", UserID: users[0], CreatedAt: now},
	} {
		if err := s.InsertLink(ctx, dup); !errors.Is(err, storage.ErrConflict) {
			t.Errorf("%s: %v, want ErrConflict", name, err)
		}
	}
	if got, err := s.LinkByExternalID(ctx, orgID, "ext-1"); err != nil || *got != l {
		t.Errorf("LinkByExternalID = %+v, %v", got, err)
	}
	if got, err := s.LinkOfUser(ctx, orgID, users[0]); err != nil || got.ExternalID != "ext-1" {
		t.Errorf("LinkOfUser = %+v, %v", got, err)
	}
	if _, err := s.LinkByExternalID(ctx, orgID, "EXT-1"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("external ids compare exactly: %v", err)
	}
	if err := s.DeleteLinkOfUser(ctx, orgID, users[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := s.LinkOfUser(ctx, orgID, users[0]); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("deleted link: %v", err)
	}
}

func testFlows(t *testing.T, ctx context.Context, s sso.Store, orgID string, now time.Time) {
	f := sso.Flow{ID: "f1", OrgID: orgID, ConfigType: sso.ConfigOIDC, BindingHash: "b", ClientID: "cli",
		RedirectURI: "http://localhost:8065", ClientState: "st_identifier=acme", CodeChallenge: "cc",
		ProviderData: "sealed", CreatedAt: now, ExpiresAt: now.Add(10 * time.Minute)}
	if err := s.InsertFlow(ctx, f); err != nil {
		t.Fatal(err)
	}
	if err := s.InsertFlow(ctx, f); !errors.Is(err, storage.ErrConflict) {
		t.Errorf("same flow twice: %v", err)
	}
	got, err := s.Flow(ctx, "f1")
	if err != nil || *got != f {
		t.Fatalf("Flow = %+v, %v", got, err)
	}
	// Concurrent consumers: exactly one wins.
	wins := consumeConcurrently(func() error { return s.ConsumeFlow(ctx, "f1") })
	if wins != 1 {
		t.Errorf("%d consumers won the flow", wins)
	}
	if _, err := s.Flow(ctx, "f1"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("consumed flow: %v", err)
	}
}

// consumeConcurrently runs take 8 times at once and counts the successes; the others must be
// ErrConsumed.
func consumeConcurrently(take func() error) int {
	var mu sync.Mutex
	var wg sync.WaitGroup
	wins := 0
	for range 8 {
		wg.Go(func() {
			err := take()
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				wins++
			} else if !errors.Is(err, sso.ErrConsumed) && !errors.Is(err, storage.ErrNotFound) {
				wins += 100 // an unexpected error fails the count
			}
		})
	}
	wg.Wait()
	return wins
}

func testCodes(t *testing.T, ctx context.Context, s sso.Store, orgID, userID string, now time.Time) {
	c := sso.Code{Hash: "h1", UserID: userID, OrgID: orgID, ClientID: "cli", RedirectURI: "http://localhost:8065",
		CodeChallenge: "cc", CreatedAt: now, ExpiresAt: now.Add(5 * time.Minute)}
	if err := s.InsertCode(ctx, c); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var taken []sso.Code
	wins := consumeConcurrently(func() error {
		got, err := s.TakeCode(ctx, "h1")
		if err == nil {
			mu.Lock()
			taken = append(taken, *got)
			mu.Unlock()
		}
		return err
	})
	if wins != 1 || len(taken) != 1 || taken[0] != c {
		t.Errorf("TakeCode: %d winners, %+v", wins, taken)
	}
	old := sso.Code{Hash: "h2", UserID: userID, OrgID: orgID, ClientID: "cli", RedirectURI: "r", CodeChallenge: "c",
		CreatedAt: now, ExpiresAt: now.Add(-time.Second)}
	if err := s.InsertCode(ctx, old); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteExpired(ctx, now); err != nil {
		t.Fatal(err)
	}
	if _, err := s.TakeCode(ctx, "h2"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("expired code after the sweep: %v", err)
	}
}

func testReplay(t *testing.T, ctx context.Context, s sso.Store, orgID string, now time.Time) {
	seen, err := s.Seen(ctx, orgID, "assertion-1", now.Add(time.Minute), now)
	if err != nil || seen {
		t.Fatalf("first: %v %v", seen, err)
	}
	if seen, err = s.Seen(ctx, orgID, "assertion-1", now.Add(time.Minute), now); err != nil || !seen {
		t.Errorf("replay: %v %v", seen, err)
	}
	if seen, err = s.Seen(ctx, uuid.NewString(), "assertion-1", now.Add(time.Minute), now); err != nil || seen {
		t.Errorf("another organization's id space: %v %v", seen, err)
	}
	later := now.Add(2 * time.Minute)
	if seen, err = s.Seen(ctx, orgID, "assertion-1", later.Add(time.Minute), later); err != nil || seen {
		t.Errorf("after expiry: %v %v", seen, err)
	}
}

// testStoreTx: writes through On(tx) roll back with the transaction.
func testStoreTx(t *testing.T, ctx context.Context, db *storage.DB, orgID, userID string, now time.Time) {
	boom := errors.New("boom")
	err := db.InTx(ctx, func(tx *storage.Tx) error {
		if err := sso.NewStore(db).On(tx).InsertLink(ctx, sso.Link{OrgID: orgID, ExternalID: "tx", UserID: userID,
			CreatedAt: now}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if _, err := sso.NewStore(db).LinkByExternalID(ctx, orgID, "tx"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("rolled back link: %v", err)
	}
}
