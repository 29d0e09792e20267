package app

import (
	"context"
	"crypto/rand"

	"github.com/castellan-vault/castellan/internal/accounts"
	"github.com/castellan-vault/castellan/internal/vault"
)

// mountVault mounts folders, items, sync and the event intake. It needs App.Accounts and
// App.Verifier from mountIdentity, App.Orgs from mountOrgs and App.Policies from mountPolicies.
func (a *App) mountVault(context.Context) error {
	h := &vault.Handlers{
		Store:    vault.SQLStore{DB: a.deps.DB},
		Accounts: syncAccounts{a.Accounts},
		Orgs:     vaultOrgs{svc: a.Orgs, ipHeader: a.deps.Accounts.ClientIPHeader},
		Policies: syncPolicies{a.Policies},
		Clock:    a.deps.Clock,
		Rand:     rand.Reader,
		Logger:   a.deps.Logger.With("component", "vault"),
	}
	for _, r := range h.Routes() {
		a.mux.Handle(r.Pattern, a.authed(r.Handler))
	}
	return nil
}

// syncAccounts gives the vault the profile part of /api/sync from the account service.
type syncAccounts struct{ svc *accounts.Service }

func (s syncAccounts) SyncAccount(ctx context.Context, userID string) (any, any, error) {
	p, d, err := s.svc.SyncProfile(ctx, userID)
	return p, d, err
}
