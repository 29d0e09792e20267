package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/castellan-vault/castellan/internal/config"
	"github.com/castellan-vault/castellan/internal/logging"
	"github.com/castellan-vault/castellan/internal/storage"
)

func newMigrate(environ []string) *cobra.Command {
	var cfg config.Server
	var statusOnly bool
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Apply database migrations, or show the current and latest schema version",
		Long: "Apply the database migrations this castellan knows (castellan serve does the same at\n" +
			"start). With --status, only show the database's schema version and the latest one: nothing\n" +
			"is created or changed, not even a missing SQLite file or its folder.\n\n" +
			config.SecretsHelp(&config.Server{}, dbSettings...),
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := loadServer(&cfg, cmd, environ); err != nil {
				return err
			}
			logger, err := logging.New(cmd.ErrOrStderr(), cfg.LogLevel, cfg.LogFormat)
			if err != nil {
				return err
			}
			target, err := storage.ParseURL(cfg.DatabaseURL.Reveal(), cfg.DataDir)
			if err != nil {
				return &config.Error{Var: "DATABASE_URL", Reason: err.Error()}
			}
			opts, err := openOptions(&cfg)
			if err != nil {
				return err
			}
			opts.Existing = statusOnly
			db, err := storage.Open(cmd.Context(), target, opts)
			if errors.Is(err, storage.ErrNoDatabase) {
				return printNoDatabase(cmd, target)
			}
			if err != nil {
				return &config.Error{Var: "DATABASE_URL", Reason: err.Error()}
			}
			defer db.Close()
			var st storage.SchemaStatus
			if statusOnly {
				st, err = db.Status(cmd.Context())
			} else if st, err = db.Migrate(cmd.Context(), logger.With("component", "migrate")); err == nil {
				err = sealAtRest(cmd.Context(), db, logger)
			}
			if err != nil {
				return err
			}
			current := fmt.Sprint(st.Current)
			if st.Current == 0 {
				current += " (empty database: castellan migrate creates the schema)"
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "database: %s\ncurrent version: %s\nlatest version: %d\n",
				target.Safe, current, st.Latest)
			return err
		},
	}
	cmd.Flags().BoolVar(&statusOnly, "status", false, "only show the current and latest version; change nothing")
	config.BindOnly(cmd.Flags(), &cfg, append(dbSettings, "CASTELLAN_LOG_LEVEL", "CASTELLAN_LOG_FORMAT")...)
	return cmd
}

// dbSettings are the settings of the commands that work on the database directly (migrate, orgs).
// They still read, and check, the whole configuration from the environment, so that a mistake in
// it shows up before it stops castellan serve.
var dbSettings = []string{"DATABASE_URL", "CASTELLAN_SEAL_KEY", "CASTELLAN_DATA_DIR"}

// printNoDatabase is migrate --status on a SQLite file that does not exist.
func printNoDatabase(cmd *cobra.Command, target storage.Target) error {
	latest, err := storage.LatestVersion(target.Dialect)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(cmd.OutOrStdout(), "database: %s\ncurrent version: none (no database: the file "+
		"does not exist; castellan migrate or castellan serve creates it)\nlatest version: %d\n",
		target.Safe, latest)
	return err
}
