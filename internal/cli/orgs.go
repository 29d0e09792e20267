package cli

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/castellan-vault/castellan/internal/accounts"
	"github.com/castellan-vault/castellan/internal/clock"
	"github.com/castellan-vault/castellan/internal/config"
	"github.com/castellan-vault/castellan/internal/orgs"
	"github.com/castellan-vault/castellan/internal/storage"
)

// `castellan orgs ...` are the instance administrator's commands for organizations. Unlike
// `castellan admin`, they work on the database directly (same DATABASE_URL as the server): the seat
// limit is the instance's decision, not an organization owner's.

func init() { extraCommands = append(extraCommands, newOrgs) }

func newOrgs(environ []string) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "orgs",
		Short: "Instance administration of organizations, directly in the database (seats)",
		Long: "Instance administration of organizations, directly in the database that DATABASE_URL names\n" +
			"(the same as the server's; it must be migrated).\n\n" + config.SecretsHelp(&config.Server{}, dbSettings...),
	}
	cmd.AddCommand(newOrgsList(environ), newOrgsSetSeats(environ))
	return cmd
}

// openOrgStore opens the configured database and refuses one that is not migrated to this binary's
// schema, so that the command never writes to tables it does not know.
func openOrgStore(ctx context.Context, cmd *cobra.Command, cfg *config.Server,
	environ []string) (*storage.DB, error) {
	if err := loadServer(cfg, cmd, environ); err != nil {
		return nil, err
	}
	target, err := storage.ParseURL(cfg.DatabaseURL.Reveal(), cfg.DataDir)
	if err != nil {
		return nil, &config.Error{Var: "DATABASE_URL", Reason: err.Error()}
	}
	opts, err := openOptions(cfg)
	if err != nil {
		return nil, err
	}
	opts.Existing = true
	db, err := storage.Open(ctx, target, opts)
	if errors.Is(err, storage.ErrNoDatabase) {
		return nil, fmt.Errorf("%w: run castellan migrate (or start castellan serve) first", err)
	}
	if err != nil {
		return nil, &config.Error{Var: "DATABASE_URL", Reason: err.Error()}
	}
	st, err := db.Status(ctx)
	if err == nil && st.Current != st.Latest {
		err = fmt.Errorf("the database is at schema version %d and this castellan needs %d: "+
			"run castellan migrate (or start castellan serve) first", st.Current, st.Latest)
	}
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	return db, nil
}

func newOrgsList(environ []string) *cobra.Command {
	var cfg config.Server
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the organizations with their seats",
		Long: "List the organizations of the database with their seats in use and their seat limit.\n\n" +
			config.SecretsHelp(&config.Server{}, dbSettings...),
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			db, err := openOrgStore(ctx, cmd, &cfg, environ)
			if err != nil {
				return err
			}
			defer db.Close()
			s := orgs.NewSQLStore(db)
			list, err := s.Organizations(ctx)
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "ID\tNAME\tSEATS USED\tSEAT LIMIT")
			for _, o := range list {
				used, err := s.OccupiedSeats(ctx, o.ID)
				if err != nil {
					return err
				}
				fmt.Fprintf(w, "%s\t%s\t%d\t%s\n", o.ID, singleLine(o.Name),
					used, seatsText(o.Seats))
			}
			return w.Flush()
		},
	}
	config.BindOnly(cmd.Flags(), &cfg, dbSettings...)
	return cmd
}

func newOrgsSetSeats(environ []string) *cobra.Command {
	var cfg config.Server
	cmd := &cobra.Command{
		Use:   "set-seats ORGANIZATION_ID (N | 0 | unlimited)",
		Short: "Set an organization's seat limit",
		Long: "Set how many members an organization may have: invited, accepted and confirmed members\n" +
			"hold a seat, revoked ones do not. 0 or unlimited removes the limit, as 0 does in\n" +
			"CASTELLAN_DEFAULT_SEATS. A limit below the seats in use is allowed; the organization then\n" +
			"cannot invite or restore anyone until members leave or are revoked.\n\n" +
			config.SecretsHelp(&config.Server{}, dbSettings...),
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			orgID := strings.ToLower(args[0])
			if !accounts.IsGUID(orgID) {
				return fmt.Errorf("%q is not an organization id (see castellan orgs list)", args[0])
			}
			seats, err := parseSeats(args[1])
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			db, err := openOrgStore(ctx, cmd, &cfg, environ)
			if err != nil {
				return err
			}
			defer db.Close()
			return setSeats(ctx, cmd, orgs.NewSQLStore(db), orgID, seats)
		},
	}
	config.BindOnly(cmd.Flags(), &cfg, dbSettings...)
	return cmd
}

// parseSeats reads a seat limit; nil means unlimited. 0 means unlimited too, as in
// CASTELLAN_DEFAULT_SEATS: an organization that no one may join is not a limit anyone wants.
func parseSeats(v string) (*int, error) {
	if strings.EqualFold(v, "unlimited") {
		return nil, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return nil, fmt.Errorf("want a number of seats (0 or unlimited for no limit); got %q", v)
	}
	if n == 0 {
		return nil, nil
	}
	return &n, nil
}

func setSeats(ctx context.Context, cmd *cobra.Command, s *orgs.SQLStore,
	orgID string, seats *int) error {
	used := 0
	err := s.InTx(ctx, func(q orgs.Queries) error {
		if _, err := q.LockOrganization(ctx, orgID); err != nil {
			return err
		}
		n, err := q.OccupiedSeats(ctx, orgID)
		if err != nil {
			return err
		}
		used = n
		return q.SetSeats(ctx, orgID, seats, clock.Real{}.Now())
	})
	if errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("no organization %s (see castellan orgs list)", orgID)
	}
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "organization %s: seat limit %s, %d in use\n", orgID, seatsText(seats), used)
	if seats != nil && used > *seats {
		fmt.Fprintf(cmd.ErrOrStderr(),
			"warning: %d seats are in use, more than the new limit; no one can be "+
				"invited or restored until members leave or are revoked\n", used)
	}
	return nil
}

func seatsText(seats *int) string {
	if seats == nil {
		return "unlimited"
	}
	return strconv.Itoa(*seats)
}

// singleLine keeps a name from breaking the table.
func singleLine(s string) string { return strings.Join(strings.Fields(s), " ") }
