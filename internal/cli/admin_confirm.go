package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/castellan-vault/castellan/internal/adminclient"
)

// confirmation is one member's line in the output of `members confirm`.
type confirmation struct {
	ID          string `json:"id"`
	UserID      string `json:"userId"`
	Email       string `json:"email"`
	Fingerprint string `json:"fingerprint"`
	// Result is confirmed, skipped (not approved at the prompt) or failed.
	Result string `json:"result"`
	Error  string `json:"error,omitempty"`
}

func (e *adminEnv) membersConfirmCmd() *cobra.Command {
	var org string
	var ids []string
	var all, yes bool
	cmd := &cobra.Command{
		Use:   "confirm --org ID (--member ID ... | --all) [--yes]",
		Short: "Confirm members who accepted their invitation, after checking their fingerprint phrase",
		Long: "Confirm members who accepted their invitation: encrypt the organization key to each member's\n" +
			"public key. For each member the fingerprint phrase of that key is shown; ask the member for\n" +
			"the phrase their own client shows (Settings > My account) and confirm only if both match.\n" +
			"--yes confirms without asking.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if all == (len(ids) > 0) {
				return errors.New("pass --member ID (repeatable) or --all")
			}
			c, err := e.login(cmd)
			if err != nil {
				return err
			}
			return e.confirm(cmd, c, org, ids, yes)
		},
	}
	orgFlag(cmd, &org)
	f := cmd.Flags()
	f.StringSliceVar(&ids, "member", nil, "member id to confirm (repeatable)")
	f.BoolVar(&all, "all", false, "confirm every member who has accepted")
	f.BoolVar(&yes, "yes", false, "confirm without asking (check the fingerprints some other way)")
	return cmd
}

func (e *adminEnv) confirm(cmd *cobra.Command, c *adminclient.Client, org string, ids []string, yes bool) error {
	ms, err := c.Members(cmd.Context(), org)
	if err != nil {
		return err
	}
	targets, err := confirmTargets(ms, ids)
	if err != nil {
		return err
	}
	if len(targets) == 0 {
		e.progress(cmd, "no member has accepted an invitation and awaits confirmation")
		if !e.jsonOut {
			return nil
		}
		return e.printConfirmations(cmd, nil)
	}
	keys, err := memberKeys(cmd, c, org, targets)
	if err != nil {
		return err
	}
	rows, chosen, err := e.approve(cmd, targets, keys, yes)
	if err != nil {
		return err
	}
	failed := 0
	if len(chosen) > 0 {
		results, err := c.Confirm(cmd.Context(), org, chosen)
		if err != nil {
			return err
		}
		failed = applyResults(rows, results)
	}
	for _, r := range rows {
		if r.Error != "" {
			e.progress(cmd, "%s %s: %s", r.Result, r.Email, r.Error)
		} else {
			e.progress(cmd, "%s %s", r.Result, r.Email)
		}
	}
	if err := e.printConfirmations(cmd, rows); err != nil {
		return err
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d confirmations failed", failed, len(chosen))
	}
	return nil
}

// confirmTargets picks the members to confirm: the named ones, each of which must have accepted,
// or (no ids) every member who has.
func confirmTargets(ms []adminclient.Member, ids []string) ([]adminclient.Member, error) {
	if len(ids) == 0 {
		var out []adminclient.Member
		for _, m := range ms {
			if m.Status == adminclient.StatusAccepted {
				out = append(out, m)
			}
		}
		return out, nil
	}
	byID := map[string]adminclient.Member{}
	for _, m := range ms {
		byID[strings.ToLower(m.ID)] = m
	}
	out := make([]adminclient.Member, 0, len(ids))
	for _, id := range ids {
		m, ok := byID[strings.ToLower(strings.TrimSpace(id))]
		if !ok {
			return nil, fmt.Errorf("member %s is not in this organization (see `members list`)", id)
		}
		if err := confirmable(m); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// confirmable explains why a member cannot be confirmed.
func confirmable(m adminclient.Member) error {
	who := fmt.Sprintf("member %s (%s)", m.Email, m.ID)
	switch m.Status {
	case adminclient.StatusAccepted:
		return nil
	case adminclient.StatusInvited:
		return fmt.Errorf("%s has not accepted the invitation yet: only members who accepted can be confirmed", who)
	case adminclient.StatusConfirmed:
		return fmt.Errorf("%s is already confirmed", who)
	case adminclient.StatusRevoked:
		return fmt.Errorf("%s is revoked: restore the member first", who)
	}
	return fmt.Errorf("%s is %s: only members who accepted can be confirmed", who, m.Status)
}

// memberKeys fetches the targets' public keys, in the targets' order.
func memberKeys(cmd *cobra.Command, c *adminclient.Client, org string, targets []adminclient.Member) (
	[]adminclient.MemberKey, error) {
	ids := make([]string, len(targets))
	for i, m := range targets {
		ids[i] = m.ID
	}
	got, err := c.PublicKeys(cmd.Context(), org, ids)
	if err != nil {
		return nil, err
	}
	byID := map[string]adminclient.MemberKey{}
	for _, k := range got {
		byID[strings.ToLower(k.MemberID)] = k
	}
	keys := make([]adminclient.MemberKey, len(targets))
	for i, m := range targets {
		k, ok := byID[strings.ToLower(m.ID)]
		if !ok || k.PublicKey == "" || k.UserID == "" {
			return nil, fmt.Errorf("member %s (%s): the server has no public key for this member", m.Email, m.ID)
		}
		keys[i] = k
	}
	return keys, nil
}

// approve shows each fingerprint phrase and, without --yes, asks whether to confirm.
func (e *adminEnv) approve(cmd *cobra.Command, targets []adminclient.Member, keys []adminclient.MemberKey,
	yes bool) ([]confirmation, []adminclient.MemberKey, error) {
	in := bufio.NewReader(cmd.InOrStdin())
	rows := make([]confirmation, len(targets))
	var chosen []adminclient.MemberKey
	for i, m := range targets {
		fp, err := keys[i].Fingerprint()
		if err != nil {
			return nil, nil, err
		}
		rows[i] = confirmation{ID: m.ID, UserID: keys[i].UserID, Email: m.Email, Fingerprint: fp, Result: "skipped"}
		e.progress(cmd, "%s (%s) fingerprint phrase: %s", m.Email, m.ID, fp)
		ok := yes
		if !yes {
			if ok, err = ask(cmd, in, fmt.Sprintf("Confirm %s? [y/N] ", m.Email)); err != nil {
				return nil, nil, err
			}
		}
		if ok {
			rows[i].Result = "confirmed"
			chosen = append(chosen, keys[i])
		}
	}
	return rows, chosen, nil
}

// ask prompts on stderr and reads a yes/no answer; end of input is no.
func ask(cmd *cobra.Command, in *bufio.Reader, prompt string) (bool, error) {
	_, _ = fmt.Fprint(cmd.ErrOrStderr(), prompt)
	line, err := in.ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return false, fmt.Errorf("read answer: %w", err)
	}
	if errors.Is(err, io.EOF) && line == "" {
		_, _ = fmt.Fprintln(cmd.ErrOrStderr(), "(no answer: not confirmed; pass --yes to confirm without asking)")
		return false, nil
	}
	a := strings.ToLower(strings.TrimSpace(line))
	return a == "y" || a == "yes", nil
}

// applyResults marks the rows the server refused and returns how many.
func applyResults(rows []confirmation, results []adminclient.BulkResult) int {
	failed := 0
	for _, res := range results {
		if res.Error == "" {
			continue
		}
		for i := range rows {
			if strings.EqualFold(rows[i].ID, res.ID) {
				rows[i].Result, rows[i].Error = "failed", res.Error
				failed++
			}
		}
	}
	return failed
}

func (e *adminEnv) printConfirmations(cmd *cobra.Command, rows []confirmation) error {
	return e.output(cmd, nonNilSlice(rows), []string{"ID", "EMAIL", "FINGERPRINT", "RESULT"}, func() [][]string {
		out := make([][]string, 0, len(rows))
		for _, r := range rows {
			res := r.Result
			if r.Error != "" {
				res += ": " + r.Error
			}
			out = append(out, []string{r.ID, r.Email, r.Fingerprint, res})
		}
		return out
	})
}
