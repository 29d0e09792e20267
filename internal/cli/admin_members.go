package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/castellan-vault/castellan/internal/adminclient"
)

func (e *adminEnv) membersCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "members",
		Short: "List, invite, confirm, revoke, restore and remove members; delete claimed accounts"}
	cmd.AddCommand(e.membersListCmd(), e.membersInviteCmd(), e.membersConfirmCmd(),
		e.memberActionCmd("revoke", "Revoke members: they keep their account but lose the organization's items",
			"revoked", (*adminclient.Client).Revoke),
		e.memberActionCmd("restore", "Restore revoked members to the status they had before",
			"restored", (*adminclient.Client).Restore),
		e.memberActionCmd("remove", "Remove members from the organization", "removed", (*adminclient.Client).Remove),
		e.memberActionCmd("reinvite", "Send invited members a fresh invitation", "reinvited",
			(*adminclient.Client).Reinvite),
		e.membersDeleteAccountCmd(),
	)
	return cmd
}

// orgFlag declares the --org flag every member, group and collection command takes.
func orgFlag(cmd *cobra.Command, org *string) {
	cmd.Flags().StringVar(org, "org", "", "organization id (required; see castellan admin org list)")
	_ = cmd.MarkFlagRequired("org")
}

func (e *adminEnv) membersListCmd() *cobra.Command {
	var org string
	cmd := &cobra.Command{
		Use:   "list --org ID",
		Short: "List an organization's members",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := e.login(cmd)
			if err != nil {
				return err
			}
			ms, err := c.Members(cmd.Context(), org)
			if err != nil {
				return err
			}
			return e.printMembers(cmd, ms)
		},
	}
	orgFlag(cmd, &org)
	return cmd
}

func (e *adminEnv) printMembers(cmd *cobra.Command, ms []adminclient.Member) error {
	return e.output(cmd, nonNilSlice(ms), []string{"ID", "EMAIL", "NAME", "TYPE", "STATUS", "COLLECTIONS", "GROUPS"},
		func() [][]string {
			rows := make([][]string, 0, len(ms))
			for _, m := range ms {
				colls := make([]string, 0, len(m.Collections))
				for _, a := range m.Collections {
					colls = append(colls, a.String())
				}
				rows = append(rows, []string{m.ID, m.Email, orDash(m.Name), m.Type.String(), m.Status.String(),
					orDash(strings.Join(colls, ",")), orDash(strings.Join(m.Groups, ","))})
			}
			return rows
		})
}

func (e *adminEnv) membersInviteCmd() *cobra.Command {
	var org, role string
	var emails, colls, perms []string
	var inv adminclient.Invitation
	cmd := &cobra.Command{
		Use:   "invite --org ID --email ADDRESS [--email ADDRESS ...]",
		Short: "Invite people by e-mail",
		Long: "Invite people by e-mail. Each receives a message with a link to join; once they have accepted,\n" +
			"confirm them with `castellan admin members confirm`.\n\n" +
			"--collection takes ID[:ro][:hide][:manage]: read-only, hide passwords, or manage the collection.\n" +
			"--permission (for --type custom) takes the official names, e.g. manageUsers, manageGroups,\n" +
			"editAnyCollection.\n\n" +
			"--email names the people to invite; your own address is --admin-email or\n" +
			"$CASTELLAN_ADMIN_EMAIL, as in every admin command.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if inv, err = buildInvitation(inv, emails, role, colls, perms); err != nil {
				return err
			}
			c, err := e.login(cmd)
			if err != nil {
				return err
			}
			if err := c.Invite(cmd.Context(), org, inv); err != nil {
				return err
			}
			e.progress(cmd, "invited %d address(es); each receives an e-mail with a link to join", len(inv.Emails))
			return e.printInvited(cmd, c, org, inv.Emails)
		},
	}
	orgFlag(cmd, &org)
	f := cmd.Flags()
	f.StringSliceVar(&emails, "email", nil, "address to invite (repeat or separate with commas)")
	f.StringVar(&role, "type", "user", "member type: user, admin, owner or custom")
	f.StringArrayVar(&colls, "collection", nil, "collection access ID[:ro][:hide][:manage] (repeatable)")
	f.StringSliceVar(&inv.Groups, "group", nil, "group id to add the members to (repeatable)")
	f.StringSliceVar(&perms, "permission", nil, "permission of a custom member (repeatable)")
	_ = cmd.MarkFlagRequired("email")
	return cmd
}

func buildInvitation(inv adminclient.Invitation, emails []string, role string, colls, perms []string) (
	adminclient.Invitation, error) {
	var err error
	for _, em := range emails {
		if em = strings.TrimSpace(em); em != "" {
			inv.Emails = append(inv.Emails, em)
		}
	}
	if len(inv.Emails) == 0 {
		return inv, fmt.Errorf("--email is required")
	}
	if inv.Type, err = adminclient.ParseRole(role); err != nil {
		return inv, err
	}
	for _, s := range colls {
		a, err := adminclient.ParseAccess(s)
		if err != nil {
			return inv, fmt.Errorf("--collection: %w", err)
		}
		inv.Collections = append(inv.Collections, a)
	}
	if len(perms) > 0 {
		if inv.Type != adminclient.RoleCustom {
			return inv, fmt.Errorf("--permission needs --type custom")
		}
		if inv.Permissions, err = adminclient.ParsePermissions(perms); err != nil {
			return inv, fmt.Errorf("--permission: %w", err)
		}
	}
	return inv, nil
}

// printInvited lists the memberships of the invited addresses, so that scripts get their ids.
func (e *adminEnv) printInvited(cmd *cobra.Command, c *adminclient.Client, org string, emails []string) error {
	ms, err := c.Members(cmd.Context(), org)
	if err != nil {
		return err
	}
	want := map[string]bool{}
	for _, em := range emails {
		want[strings.ToLower(em)] = true
	}
	var invited []adminclient.Member
	for _, m := range ms {
		if want[strings.ToLower(m.Email)] {
			invited = append(invited, m)
		}
	}
	return e.printMembers(cmd, invited)
}

// memberActionCmd builds revoke, restore, remove and reinvite, which take members by id.
func (e *adminEnv) memberActionCmd(verb, short, done string,
	act func(*adminclient.Client, context.Context, string, string) error) *cobra.Command {
	var org string
	var ids []string
	cmd := &cobra.Command{
		Use:   verb + " --org ID --member ID [--member ID ...]",
		Short: short,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := e.login(cmd)
			if err != nil {
				return err
			}
			type result struct {
				ID     string `json:"id"`
				Status string `json:"result"`
			}
			var out []result
			for _, id := range ids {
				if err := act(c, cmd.Context(), org, id); err != nil {
					return err
				}
				e.progress(cmd, "%s member %s", done, id)
				out = append(out, result{ID: id, Status: done})
			}
			if e.jsonOut {
				return printJSON(cmd, out)
			}
			return nil
		},
	}
	orgFlag(cmd, &org)
	cmd.Flags().StringSliceVar(&ids, "member", nil, "member id (repeatable; see members list)")
	_ = cmd.MarkFlagRequired("member")
	return cmd
}
