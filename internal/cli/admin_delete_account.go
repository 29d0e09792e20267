package cli

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/castellan-vault/castellan/internal/adminclient"
)

// errDeleteAccountNoYes is the refusal of `members delete-account` without --yes: the deletion
// cannot be undone, so it is never the default.
var errDeleteAccountNoYes = errors.New("delete-account deletes each member's whole account (vault, " +
	"devices and memberships in every organization) and cannot be undone; pass --yes to do it")

func (e *adminEnv) membersDeleteAccountCmd() *cobra.Command {
	var yes bool
	cmd := e.memberActionCmd("delete-account",
		"Delete the whole accounts of members the organization claims through a verified domain",
		"deleted", (*adminclient.Client).DeleteAccount)
	cmd.Use = "delete-account --org ID --member ID [--member ID ...] --yes"
	cmd.Long = "Delete the whole accounts of members whose address is on a domain the organization has\n" +
		"verified (castellan admin domains): each account goes with its vault, its devices and its\n" +
		"memberships in every organization; the organization's items stay. This cannot be undone, so\n" +
		"--yes is required. The server refuses members who are not claimed, invited members, your own\n" +
		"account, owners unless you are an owner, and the only owner of any organization."
	run := cmd.RunE
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if !yes {
			return errDeleteAccountNoYes
		}
		return run(cmd, args)
	}
	cmd.Flags().BoolVar(&yes, "yes", false, "delete the accounts (required: the deletion cannot be undone)")
	return cmd
}
