package cli

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/castellan-vault/castellan/internal/app"
	"github.com/castellan-vault/castellan/internal/clock"
	"github.com/castellan-vault/castellan/internal/config"
	"github.com/castellan-vault/castellan/internal/logging"
	"github.com/castellan-vault/castellan/internal/mail"
	"github.com/castellan-vault/castellan/internal/server"
	"github.com/castellan-vault/castellan/internal/storage"
	"github.com/castellan-vault/castellan/internal/tlsutil"
)

func newServe(environ []string) *cobra.Command {
	var cfg config.Server
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the castellan server",
		Long: "Run the castellan server. Every setting comes from an environment variable or the matching\n" +
			"flag (flags win). Migrations run at start.\n\n" + config.SecretsHelp(&config.Server{}),
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := loadServer(&cfg, cmd, environ); err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			return serve(ctx, cfg, cmd)
		},
	}
	config.Bind(cmd.Flags(), &cfg)
	return cmd
}

func loadServer(cfg *config.Server, cmd *cobra.Command, environ []string) error {
	if err := config.Load(cfg, cmd.Flags(), environ, "CASTELLAN_"); err != nil {
		return err
	}
	return cfg.Validate()
}

// serve is the start-up sequence: each step fails with one clear line and leaves nothing behind that
// a second attempt would trip over.
func serve(ctx context.Context, cfg config.Server, cmd *cobra.Command) (err error) {
	started := time.Now()
	logger, err := logging.New(cmd.ErrOrStderr(), cfg.LogLevel, cfg.LogFormat)
	if err != nil {
		return err
	}
	// Deferred first, so it runs last: after the jobs gave back their leases and the database
	// closed, a clean stop is said in so many words.
	defer func() {
		if err == nil {
			logger.Info("castellan stopped", "uptime", time.Since(started).Round(time.Second))
		}
	}()
	var cert *tls.Certificate
	if cfg.TLSCert != "" {
		c, err := tlsutil.Load(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return &config.Error{Var: "CASTELLAN_TLS_CERT", Reason: err.Error()}
		}
		cert = &c
	}
	ln, err := server.Listen(ctx, cfg.Addr)
	if err != nil {
		return &config.Error{Var: "CASTELLAN_ADDR", Reason: err.Error()}
	}
	defer ln.Close()
	db, err := openDatabase(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer db.Close()
	if cert == nil && !cfg.InsecureHTTP {
		if cert, err = selfSigned(cfg, logger); err != nil {
			return err
		}
	}
	sender, err := mail.NewFromConfig(&cfg, mail.Options{Logger: logger, Clock: clock.Real{}})
	if err != nil {
		return err
	}
	a, err := app.New(ctx, app.Deps{
		Logger: logger, Clock: clock.Real{}, DB: db, PublicURL: cfg.PublicURL,
		MaxBodyBytes: cfg.MaxBodyBytes, DataDir: cfg.DataDir, Accounts: app.AccountSettingsFrom(cfg),
		Orgs: app.OrgSettingsFrom(cfg), Mail: sender, SSO: app.SSOSettingsFrom(cfg),
		Policies: app.PolicySettingsFrom(cfg), Domains: app.DomainSettingsFrom(cfg), WebVaultDir: cfg.WebVaultDir,
	})
	if err != nil {
		return fmt.Errorf("build castellan: %w", err)
	}
	stopJobs := a.StartJobs(ctx) // stopped (leases given back) before the database closes
	defer stopJobs()
	logger.Info("castellan listening", "addr", ln.Addr().String(), "public_url", cfg.PublicURL,
		"instance_id", a.InstanceID,
		"tls", cert != nil, "database", db.Describe(), "startup", time.Since(started).Round(time.Millisecond))
	return server.Run(ctx, ln, a.Handler(), server.Options{
		TLS: cert, ShutdownTimeout: cfg.ShutdownTimeout, Logger: logger,
	})
}

// openDatabase opens and migrates the configured database.
func openDatabase(ctx context.Context, cfg config.Server, logger *slog.Logger) (*storage.DB, error) {
	target, err := storage.ParseURL(cfg.DatabaseURL.Reveal(), cfg.DataDir)
	if err != nil {
		return nil, &config.Error{Var: "DATABASE_URL", Reason: err.Error()}
	}
	opts, err := openOptions(&cfg)
	if err != nil {
		return nil, err
	}
	db, err := storage.Open(ctx, target, opts)
	if err != nil {
		return nil, &config.Error{Var: "DATABASE_URL", Reason: err.Error()}
	}
	st, err := db.Migrate(ctx, logger.With("component", "migrate"))
	if err != nil {
		_ = db.Close()
		if errors.Is(err, storage.ErrSchemaTooNew) {
			return nil, err
		}
		return nil, fmt.Errorf("migrate %s: %w", target.Safe, err)
	}
	if err := sealAtRest(ctx, db, logger); err != nil {
		_ = db.Close()
		return nil, err
	}
	logger.Info("database ready", "database", target.Safe, "schema_version", st.Current,
		"secrets_sealed", db.Sealer() != nil)
	return db, nil
}

func selfSigned(cfg config.Server, logger *slog.Logger) (*tls.Certificate, error) {
	var hosts []string
	if u, err := url.Parse(cfg.PublicURL); err == nil {
		hosts = append(hosts, u.Hostname())
	}
	if h, _, err := net.SplitHostPort(cfg.Addr); err == nil && h != "" && h != "0.0.0.0" && h != "::" {
		hosts = append(hosts, h)
	}
	cert, path, made, err := tlsutil.EnsureSelfSigned(cfg.DataDir, hosts, time.Now(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("self-signed certificate: %w", err)
	}
	msg := "using the self-signed certificate"
	if made {
		msg = "made a self-signed certificate"
	}
	logger.Info(msg, "path", path, "hint", "trust it with NODE_EXTRA_CA_CERTS=<path> for the official CLI")
	return &cert, nil
}
