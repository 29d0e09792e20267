package cli

import (
	"strconv"

	"github.com/spf13/cobra"

	"github.com/castellan-vault/castellan/internal/adminclient"
)

func (e *adminEnv) orgCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "org", Short: "Create and list organizations"}
	cmd.AddCommand(e.orgCreateCmd(), e.orgListCmd())
	return cmd
}

func (e *adminEnv) orgCreateCmd() *cobra.Command {
	var n adminclient.NewOrganization
	cmd := &cobra.Command{
		Use:   "create --name NAME",
		Short: "Create an organization that you own",
		Long: "Create an organization that you own. Its keys are made here: a fresh organization key,\n" +
			"encrypted to your public key, and an RSA key pair whose private key is encrypted under it.\n" +
			"Its first collection is named by --collection-name.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := e.login(cmd)
			if err != nil {
				return err
			}
			o, err := c.CreateOrganization(cmd.Context(), n)
			if err != nil {
				return err
			}
			e.progress(cmd, "created organization %q", o.Name)
			return e.output(cmd, o, []string{"ID", "NAME", "BILLING EMAIL"}, func() [][]string {
				return [][]string{{o.ID, o.Name, o.BillingEmail}}
			})
		},
	}
	cmd.Flags().StringVar(&n.Name, "name", "", "organization name (required)")
	cmd.Flags().StringVar(&n.BillingEmail, "billing-email", "", "billing address (default your e-mail address)")
	cmd.Flags().StringVar(&n.CollectionName, "collection-name", adminclient.DefaultCollectionName,
		"name of the first collection")
	_ = cmd.MarkFlagRequired("name")
	return cmd
}

func (e *adminEnv) orgListCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the organizations you belong to",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := e.login(cmd)
			if err != nil {
				return err
			}
			orgs, err := c.Organizations(cmd.Context())
			if err != nil {
				return err
			}
			return e.output(cmd, nonNilSlice(orgs), []string{"ID", "NAME", "YOUR ROLE", "YOUR STATUS", "SEATS"},
				func() [][]string {
					rows := make([][]string, 0, len(orgs))
					for _, o := range orgs {
						seats := "unlimited"
						if o.Seats != nil {
							seats = strconv.Itoa(*o.Seats)
						}
						rows = append(rows, []string{o.ID, o.Name, o.Type.String(), o.Status.String(), seats})
					}
					return rows
				})
		},
	}
}

// nonNilSlice makes an empty list print as [] rather than null.
func nonNilSlice[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
