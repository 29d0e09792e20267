package cli

import (
	"fmt"
	"io"

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
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := loadServer(&cfg, cmd, environ); err != nil {
				return err
			}
			logger, err := logging.New(io.Discard, "error", "text")
			if err != nil {
				return err
			}
			target, err := storage.ParseURL(cfg.DatabaseURL.Reveal(), cfg.DataDir)
			if err != nil {
				return &config.Error{Var: "DATABASE_URL", Reason: err.Error()}
			}
			db, err := storage.Open(cmd.Context(), target, storage.OpenOptions{})
			if err != nil {
				return &config.Error{Var: "DATABASE_URL", Reason: err.Error()}
			}
			defer db.Close()
			var st storage.SchemaStatus
			if statusOnly {
				st, err = db.Status(cmd.Context())
			} else {
				st, err = db.Migrate(cmd.Context(), logger)
			}
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "database: %s\ncurrent version: %d\nlatest version: %d\n",
				target.Safe, st.Current, st.Latest)
			return err
		},
	}
	cmd.Flags().BoolVar(&statusOnly, "status", false, "only show the current and latest version; change nothing")
	config.Bind(cmd.Flags(), &cfg)
	return cmd
}
