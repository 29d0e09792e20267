package cli

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/castellan-vault/castellan/internal/adminclient"
)

func (e *adminEnv) groupsCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "groups", Short: "Manage groups: members that receive collection access together"}
	cmd.AddCommand(e.groupsListCmd(), e.groupsCreateCmd(), e.groupsDeleteCmd(), e.groupsMembersCmd())
	return cmd
}

func (e *adminEnv) groupsListCmd() *cobra.Command {
	var org string
	cmd := &cobra.Command{
		Use:   "list --org ID",
		Short: "List an organization's groups",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := e.login(cmd)
			if err != nil {
				return err
			}
			gs, err := c.Groups(cmd.Context(), org)
			if err != nil {
				return err
			}
			return e.printGroups(cmd, gs)
		},
	}
	orgFlag(cmd, &org)
	return cmd
}

func (e *adminEnv) printGroups(cmd *cobra.Command, gs []adminclient.Group) error {
	return e.output(cmd, nonNilSlice(gs), []string{"ID", "NAME", "EXTERNAL ID", "COLLECTIONS"}, func() [][]string {
		rows := make([][]string, 0, len(gs))
		for _, g := range gs {
			rows = append(rows, []string{g.ID, g.Name, orDash(g.ExternalID), orDash(accessList(g.Collections))})
		}
		return rows
	})
}

// accessList spells grants as the flags take them, comma-separated.
func accessList(as []adminclient.Access) string {
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = a.String()
	}
	return strings.Join(s, ",")
}

// parseAccessFlags reads repeated ID[:ro][:hide][:manage] flags.
func parseAccessFlags(flag string, values []string) ([]adminclient.Access, error) {
	out := make([]adminclient.Access, 0, len(values))
	for _, v := range values {
		a, err := adminclient.ParseAccess(v)
		if err != nil {
			return nil, fmt.Errorf("--%s: %w", flag, err)
		}
		out = append(out, a)
	}
	return out, nil
}

func (e *adminEnv) groupsCreateCmd() *cobra.Command {
	var org string
	var colls []string
	var g adminclient.NewGroup
	cmd := &cobra.Command{
		Use:   "create --org ID --name NAME",
		Short: "Create a group",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if g.Collections, err = parseAccessFlags("collection", colls); err != nil {
				return err
			}
			c, err := e.login(cmd)
			if err != nil {
				return err
			}
			out, err := c.CreateGroup(cmd.Context(), org, g)
			if err != nil {
				return err
			}
			e.progress(cmd, "created group %q", out.Name)
			return e.printGroups(cmd, []adminclient.Group{*out})
		},
	}
	orgFlag(cmd, &org)
	f := cmd.Flags()
	f.StringVar(&g.Name, "name", "", "group name (required)")
	f.StringVar(&g.ExternalID, "external-id", "", "the directory's id for the group")
	f.StringArrayVar(&colls, "collection", nil, "collection access ID[:ro][:hide][:manage] (repeatable)")
	f.StringSliceVar(&g.Members, "member", nil, "member id to add (repeatable)")
	_ = cmd.MarkFlagRequired("name")
	return cmd
}

func (e *adminEnv) groupsDeleteCmd() *cobra.Command {
	var org, id string
	cmd := &cobra.Command{
		Use:   "delete --org ID --group ID",
		Short: "Delete a group (its members stay in the organization)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := e.login(cmd)
			if err != nil {
				return err
			}
			if err := c.DeleteGroup(cmd.Context(), org, id); err != nil {
				return err
			}
			e.progress(cmd, "deleted group %s", id)
			if e.jsonOut {
				return printJSON(cmd, map[string]string{"id": id, "result": "deleted"})
			}
			return nil
		},
	}
	orgFlag(cmd, &org)
	cmd.Flags().StringVar(&id, "group", "", "group id (required)")
	_ = cmd.MarkFlagRequired("group")
	return cmd
}

func (e *adminEnv) groupsMembersCmd() *cobra.Command {
	var org, id string
	var add, remove []string
	cmd := &cobra.Command{
		Use:   "members --org ID --group ID [--add MEMBER ...] [--remove MEMBER ...]",
		Short: "List a group's members, or add and remove some",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := e.login(cmd)
			if err != nil {
				return err
			}
			ids, err := c.GroupMembers(cmd.Context(), org, id)
			if err != nil {
				return err
			}
			if len(add) > 0 || len(remove) > 0 {
				ids = changeSet(ids, add, remove)
				if err := c.SetGroupMembers(cmd.Context(), org, id, ids); err != nil {
					return err
				}
				e.progress(cmd, "group %s now has %d member(s)", id, len(ids))
			}
			return e.output(cmd, nonNilSlice(ids), []string{"MEMBER ID"}, func() [][]string {
				rows := make([][]string, len(ids))
				for i, m := range ids {
					rows[i] = []string{m}
				}
				return rows
			})
		},
	}
	orgFlag(cmd, &org)
	f := cmd.Flags()
	f.StringVar(&id, "group", "", "group id (required)")
	f.StringSliceVar(&add, "add", nil, "member id to add (repeatable)")
	f.StringSliceVar(&remove, "remove", nil, "member id to remove (repeatable)")
	_ = cmd.MarkFlagRequired("group")
	return cmd
}

// changeSet returns ids plus add minus remove, without duplicates, compared without regard to case.
func changeSet(ids, add, remove []string) []string {
	out := []string{}
	has := func(list []string, id string) bool {
		return slices.ContainsFunc(list, func(s string) bool { return strings.EqualFold(s, id) })
	}
	for _, id := range append(slices.Clone(ids), add...) {
		id = strings.TrimSpace(id)
		if id != "" && !has(out, id) && !has(remove, id) {
			out = append(out, id)
		}
	}
	return out
}
