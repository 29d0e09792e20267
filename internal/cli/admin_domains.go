package cli

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/castellan-vault/castellan/internal/adminclient"
)

func (e *adminEnv) domainsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "domains",
		Short: "Claim email domains for an organization: list, add, verify, delete",
		Long: "Claim email domains for an organization. Add a domain, publish the TXT record it shows\n" +
			"at the domain itself (e.g. example.com, not a subdomain), then verify it. A verified domain\n" +
			"lets members on it sign in with single sign-on by e-mail address, counts their addresses as\n" +
			"verified, and makes their accounts claimed: they are revoked, not removed. castellan keeps\n" +
			"checking verified domains; a failing one keeps its claim for a grace period and the\n" +
			"administrators are warned by mail.",
	}
	cmd.AddCommand(e.domainsListCmd(), e.domainsAddCmd(), e.domainsVerifyCmd(), e.domainsDeleteCmd())
	return cmd
}

func (e *adminEnv) domainsListCmd() *cobra.Command {
	var org string
	cmd := &cobra.Command{
		Use:   "list --org ID",
		Short: "List the organization's domains with their state and TXT record",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := e.login(cmd)
			if err != nil {
				return err
			}
			ds, err := c.Domains(cmd.Context(), org)
			if err != nil {
				return err
			}
			return e.printDomains(cmd, ds)
		},
	}
	orgFlag(cmd, &org)
	return cmd
}

func (e *adminEnv) printDomains(cmd *cobra.Command, ds []adminclient.Domain) error {
	header := []string{"ID", "DOMAIN", "STATE", "VERIFIED", "LAST CHECK", "NEXT CHECK", "TXT RECORD"}
	return e.output(cmd, nonNilSlice(ds), header, func() [][]string {
		rows := make([][]string, 0, len(ds))
		for _, d := range ds {
			rows = append(rows, []string{d.ID, d.DomainName, d.State, day(d.VerifiedDate),
				day(d.LastCheckedDate), day(d.NextRunDate), d.TXT})
		}
		return rows
	})
}

// day shows an optional time in UTC to the minute, or "-".
func day(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04")
}

func (e *adminEnv) domainsAddCmd() *cobra.Command {
	var org, name string
	cmd := &cobra.Command{
		Use:   "add --org ID --name DOMAIN",
		Short: "Add a domain and show the TXT record to publish",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := e.login(cmd)
			if err != nil {
				return err
			}
			d, err := c.AddDomain(cmd.Context(), org, name)
			if err != nil {
				return err
			}
			e.progress(cmd, "added %s: publish a TXT record at %s with the value %s, then run\n"+
				"  castellan admin domains verify --org %s --domain %s", d.DomainName, d.DomainName, d.TXT,
				org, d.DomainName)
			return e.printDomains(cmd, []adminclient.Domain{*d})
		},
	}
	orgFlag(cmd, &org)
	cmd.Flags().StringVar(&name, "name", "", "the domain, e.g. example.com (required)")
	_ = cmd.MarkFlagRequired("name")
	return cmd
}

func (e *adminEnv) domainsVerifyCmd() *cobra.Command {
	var org, ref string
	cmd := &cobra.Command{
		Use:   "verify --org ID --domain ID|NAME",
		Short: "Look the domain's TXT record up now and verify the domain",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := e.login(cmd)
			if err != nil {
				return err
			}
			d, err := c.FindDomain(cmd.Context(), org, ref)
			if err != nil {
				return err
			}
			if d, err = c.VerifyDomain(cmd.Context(), org, d.ID); err != nil {
				return err
			}
			e.progress(cmd, "verified %s", d.DomainName)
			return e.printDomains(cmd, []adminclient.Domain{*d})
		},
	}
	domainFlags(cmd, &org, &ref)
	return cmd
}

func (e *adminEnv) domainsDeleteCmd() *cobra.Command {
	var org, ref string
	cmd := &cobra.Command{
		Use:   "delete --org ID --domain ID|NAME",
		Short: "Remove a domain from the organization, ending its claim",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := e.login(cmd)
			if err != nil {
				return err
			}
			d, err := c.FindDomain(cmd.Context(), org, ref)
			if err != nil {
				return err
			}
			if err := c.DeleteDomain(cmd.Context(), org, d.ID); err != nil {
				return err
			}
			e.progress(cmd, "deleted domain %s", d.DomainName)
			if e.jsonOut {
				return printJSON(cmd, map[string]string{"id": d.ID, "domainName": d.DomainName,
					"result": "deleted"})
			}
			return nil
		},
	}
	domainFlags(cmd, &org, &ref)
	return cmd
}

// domainFlags are --org and --domain, both required.
func domainFlags(cmd *cobra.Command, org, ref *string) {
	orgFlag(cmd, org)
	cmd.Flags().StringVar(ref, "domain", "", "the domain's id or name (required)")
	_ = cmd.MarkFlagRequired("domain")
}
