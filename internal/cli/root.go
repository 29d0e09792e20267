// Package cli holds castellan's command line: `serve`, `migrate`, `version` and, in later files, the
// administrator commands. Each command parses its configuration and calls a few named steps; the work
// itself lives in the concern packages.
package cli

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/castellan-vault/castellan/internal/version"
)

// NewRoot returns the castellan command with every subcommand. environ is the process environment
// (os.Environ() in main), passed in so tests can give their own.
func NewRoot(environ []string, stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "castellan",
		Short: "A self-hosted server for the official Bitwarden apps, built for organizations with single sign-on",
		Long: "castellan is a self-hosted server that the official Bitwarden apps talk to. Members join an\n" +
			"organization through SAML 2.0 or OpenID Connect single sign-on with just-in-time provisioning,\n" +
			"or by invitation, and are confirmed by an administrator. It runs on SQLite by default and on\n" +
			"PostgreSQL or MariaDB.",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(newServe(environ), newMigrate(environ), newVersion())
	for _, add := range extraCommands {
		root.AddCommand(add(environ))
	}
	return root
}

// extraCommands lets later files (admin commands) add subcommands without editing NewRoot.
var extraCommands []func(environ []string) *cobra.Command

func newVersion() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print castellan's version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintf(cmd.OutOrStdout(), "castellan %s (commit %s, Bitwarden server API %s)\n",
				version.Version, version.Commit(), version.ServerCompat)
			return err
		},
	}
}
