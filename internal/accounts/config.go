package accounts

import (
	"context"
	"errors"

	"github.com/castellan-vault/castellan/internal/bwcrypto"
	"github.com/castellan-vault/castellan/internal/storage"
	"github.com/castellan-vault/castellan/internal/version"
)

// ConfigResponse is /api/config: what a client learns about the server before and after login.
// The clients parse Version as semver and gate features on it (official-cli.md §4.1).
type ConfigResponse struct {
	Version       string            `json:"version"`
	GitHash       string            `json:"gitHash"`
	Server        configServer      `json:"server"`
	Environment   configEnvironment `json:"environment"`
	FeatureStates map[string]any    `json:"featureStates"`
	Push          configPush        `json:"push"`
	Settings      configSettings    `json:"settings"`
	Communication any               `json:"communication"`
	Object        string            `json:"object"`
}

type configServer struct {
	Name string `json:"name"`
	URL  string `json:"url"`
}

type configEnvironment struct {
	CloudRegion   *string `json:"cloudRegion"`
	Vault         string  `json:"vault"`
	API           string  `json:"api"`
	Identity      string  `json:"identity"`
	Notifications string  `json:"notifications"`
	SSO           string  `json:"sso"`
}

type configPush struct {
	PushTechnology int     `json:"pushTechnology"`
	VapidPublicKey *string `json:"vapidPublicKey"`
}

type configSettings struct {
	DisableUserRegistration         bool `json:"disableUserRegistration"`
	SuppressOnboardingInterstitials bool `json:"suppressOnboardingInterstitials"`
}

// InstanceConfig builds /api/config. Every URL derives from the public URL, with the self-hosted
// path layout; the feature flags are empty, so each client keeps its defaults.
func (s *Service) InstanceConfig() ConfigResponse {
	base := s.cfg.PublicURL
	return ConfigResponse{
		Version: version.ServerCompat, GitHash: version.Commit(),
		Server: configServer{Name: "castellan", URL: base},
		Environment: configEnvironment{
			Vault: base, API: base + "/api", Identity: base + "/identity",
			Notifications: base + "/notifications", SSO: "",
		},
		FeatureStates: map[string]any{},
		Settings:      configSettings{DisableUserRegistration: s.cfg.RegistrationClosed},
		Object:        "config",
	}
}

// PreloginResponse is the KDF a client must run for an e-mail address.
type PreloginResponse struct {
	Kdf            int  `json:"kdf"`
	KdfIterations  int  `json:"kdfIterations"`
	KdfMemory      *int `json:"kdfMemory"`
	KdfParallelism *int `json:"kdfParallelism"`
}

// Prelogin returns the KDF of the account with that e-mail address. Unknown addresses get the
// clients' default (PBKDF2, 600,000 iterations), so the answer does not tell whether an account
// exists.
func (s *Service) Prelogin(ctx context.Context, email string) (PreloginResponse, error) {
	kdf := bwcrypto.DefaultKDF()
	u, err := s.store.UserByEmail(ctx, NormalizeEmail(email))
	switch {
	case err == nil:
		kdf = u.KDF
	case !errors.Is(err, storage.ErrNotFound):
		return PreloginResponse{}, err
	}
	r := NewKDFResponse(kdf)
	return PreloginResponse{Kdf: r.KdfType, KdfIterations: r.Iterations, KdfMemory: r.Memory,
		KdfParallelism: r.Parallelism}, nil
}
