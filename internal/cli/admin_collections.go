package cli

import (
	"strconv"

	"github.com/spf13/cobra"

	"github.com/castellan-vault/castellan/internal/adminclient"
)

func (e *adminEnv) collectionsCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "collections",
		Short: "Manage collections (names are encrypted under the organization key)"}
	cmd.AddCommand(e.collectionsListCmd(), e.collectionsCreateCmd(), e.collectionsDeleteCmd())
	return cmd
}

func (e *adminEnv) collectionsListCmd() *cobra.Command {
	var org string
	cmd := &cobra.Command{
		Use:   "list --org ID",
		Short: "List an organization's collections with their decrypted names",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := e.login(cmd)
			if err != nil {
				return err
			}
			cs, err := c.Collections(cmd.Context(), org)
			if err != nil {
				return err
			}
			for _, col := range cs {
				if col.Undecryptable {
					e.progress(cmd, "warning: the name of collection %s does not decrypt with the organization key", col.ID)
				}
			}
			return e.printCollections(cmd, cs)
		},
	}
	orgFlag(cmd, &org)
	return cmd
}

func (e *adminEnv) printCollections(cmd *cobra.Command, cs []adminclient.Collection) error {
	return e.output(cmd, nonNilSlice(cs), []string{"ID", "NAME", "TYPE", "EXTERNAL ID"}, func() [][]string {
		rows := make([][]string, 0, len(cs))
		for _, col := range cs {
			kind := "shared"
			if col.Type == 1 {
				kind = "default-user"
			} else if col.Type != 0 {
				kind = "type-" + strconv.Itoa(col.Type)
			}
			rows = append(rows, []string{col.ID, col.Name, kind, orDash(col.ExternalID)})
		}
		return rows
	})
}

func (e *adminEnv) collectionsCreateCmd() *cobra.Command {
	var org string
	var members, groups []string
	var n adminclient.NewCollection
	cmd := &cobra.Command{
		Use:   "create --org ID --name NAME",
		Short: "Create a collection",
		Long: "Create a collection. --member and --group take ID[:ro][:hide][:manage]. Without --member,\n" +
			"you get manage access to it, as with the official clients.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if len(members) > 0 {
				if n.Members, err = parseAccessFlags("member", members); err != nil {
					return err
				}
			}
			if n.Groups, err = parseAccessFlags("group", groups); err != nil {
				return err
			}
			c, err := e.login(cmd)
			if err != nil {
				return err
			}
			out, err := c.CreateCollection(cmd.Context(), org, n)
			if err != nil {
				return err
			}
			e.progress(cmd, "created collection %q", out.Name)
			return e.printCollections(cmd, []adminclient.Collection{*out})
		},
	}
	orgFlag(cmd, &org)
	f := cmd.Flags()
	f.StringVar(&n.Name, "name", "", "collection name (required)")
	f.StringVar(&n.ExternalID, "external-id", "", "the directory's id for the collection")
	f.StringArrayVar(&members, "member", nil, "member access ID[:ro][:hide][:manage] (repeatable)")
	f.StringArrayVar(&groups, "group", nil, "group access ID[:ro][:hide][:manage] (repeatable)")
	_ = cmd.MarkFlagRequired("name")
	return cmd
}

func (e *adminEnv) collectionsDeleteCmd() *cobra.Command {
	var org, id string
	cmd := &cobra.Command{
		Use:   "delete --org ID --collection ID",
		Short: "Delete a collection (its items stay in the organization)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := e.login(cmd)
			if err != nil {
				return err
			}
			if err := c.DeleteCollection(cmd.Context(), org, id); err != nil {
				return err
			}
			e.progress(cmd, "deleted collection %s", id)
			if e.jsonOut {
				return printJSON(cmd, map[string]string{"id": id, "result": "deleted"})
			}
			return nil
		},
	}
	orgFlag(cmd, &org)
	cmd.Flags().StringVar(&id, "collection", "", "collection id (required)")
	_ = cmd.MarkFlagRequired("collection")
	return cmd
}
