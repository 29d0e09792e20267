package cli

import (
	"context"
	"encoding/pem"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/castellan-vault/castellan/internal/adminclient"
	"github.com/castellan-vault/castellan/internal/app"
	"github.com/castellan-vault/castellan/internal/bwcrypto"
	"github.com/castellan-vault/castellan/internal/clock"
	"github.com/castellan-vault/castellan/internal/mail"
	"github.com/castellan-vault/castellan/internal/storage/storagetest"
)

// outbox keeps the messages castellan sends in process.
type outbox struct {
	mu   sync.Mutex
	msgs []mail.Message
}

func (o *outbox) Send(_ context.Context, m mail.Message) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.msgs = append(o.msgs, m)
	return nil
}

// TestAcceptInviteExpired: an invitation older than its lifetime is refused with the server's
// "Expired token." (castellan in process over TLS with a fake clock, so the test need not wait
// five days), and the membership stays invited.
func TestAcceptInviteExpired(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewFake(time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC))
	box := &outbox{}
	ts := httptest.NewUnstartedServer(nil)
	ts.StartTLS()
	defer ts.Close()
	a, err := app.New(ctx, app.Deps{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Clock: clk,
		DB: storagetest.OpenFresh(t, storagetest.Engines()[0]), PublicURL: ts.URL, MaxBodyBytes: 1 << 20,
		DataDir: t.TempDir(), Mail: box})
	if err != nil {
		t.Fatal(err)
	}
	ts.Config.Handler = a.Handler()
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE",
		Bytes: ts.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}

	fast := bwcrypto.KDF{Kind: bwcrypto.KDFPBKDF2, Iterations: bwcrypto.PBKDF2MinIterations}
	client := func(email, pw string, register bool) *adminclient.Client {
		c, err := adminclient.New(adminclient.Options{Server: ts.URL, HTTPClient: ts.Client()})
		if err != nil {
			t.Fatal(err)
		}
		if register {
			if _, err := c.Register(ctx, adminclient.Registration{Email: email, Password: pw, KDF: fast}); err != nil {
				t.Fatal(err)
			}
		}
		if err := c.Login(ctx, email, pw); err != nil {
			t.Fatal(err)
		}
		return c
	}
	owner := client("owner@example.com", "Owner-Password-1", true)
	client("bob@example.com", "Bob-Password-123", true)
	org, err := owner.CreateOrganization(ctx, adminclient.NewOrganization{Name: "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	if err := owner.Invite(ctx, org.ID, adminclient.Invitation{Emails: []string{"bob@example.com"},
		Type: adminclient.RoleUser}); err != nil {
		t.Fatal(err)
	}
	link := regexp.MustCompile(`https://\S+/#/accept-organization\?\S+`).FindString(box.msgs[len(box.msgs)-1].Text)
	if link == "" {
		t.Fatalf("no Join link in %q", box.msgs[len(box.msgs)-1].Text)
	}

	clk.Advance(121 * time.Hour) // the default lifetime is 120 h
	_, _, err = runAccount(t, []string{"CASTELLAN_ACCOUNT_CA_FILE=" + caFile,
		"CASTELLAN_ACCOUNT_PASSWORD=Bob-Password-123"}, "accept-invite", link)
	if err == nil || !strings.Contains(err.Error(), "Expired token.") {
		t.Fatalf("err = %v, want the server's Expired token.", err)
	}
	owner = client("owner@example.com", "Owner-Password-1", false) // the first access token has expired too
	ms, err := owner.Members(ctx, org.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.Email == "bob@example.com" && m.Status != adminclient.StatusInvited {
			t.Errorf("bob is %s after the refusal, want invited", m.Status)
		}
	}
}
