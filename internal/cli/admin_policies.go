package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/castellan-vault/castellan/internal/adminclient"
)

func (e *adminEnv) policiesCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policies",
		Short: "List, show and set an organization's policies",
		Long: "List, show and set an organization's policies. A policy is named by its official number or by\n" +
			"name: single-org (3), require-sso (4), account-recovery (8), master-password (1), ... Require SSO\n" +
			"and account recovery need single-org on first; the server says what to change first when a\n" +
			"change is not possible.",
	}
	cmd.AddCommand(e.policiesListCmd(), e.policiesGetCmd(), e.policiesSetCmd())
	return cmd
}

func (e *adminEnv) policiesListCmd() *cobra.Command {
	var org string
	cmd := &cobra.Command{
		Use:   "list --org ID",
		Short: "List the policies the organization has set",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := e.login(cmd)
			if err != nil {
				return err
			}
			ps, err := c.Policies(cmd.Context(), org)
			if err != nil {
				return err
			}
			return e.printPolicies(cmd, ps)
		},
	}
	orgFlag(cmd, &org)
	return cmd
}

func (e *adminEnv) policiesGetCmd() *cobra.Command {
	var org string
	cmd := &cobra.Command{
		Use:   "get --org ID TYPE",
		Short: "Show one policy (a policy never set shows as off)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			t, err := adminclient.ParsePolicyType(args[0])
			if err != nil {
				return err
			}
			c, err := e.login(cmd)
			if err != nil {
				return err
			}
			p, err := c.Policy(cmd.Context(), org, t)
			if err != nil {
				return err
			}
			if e.jsonOut {
				return printJSON(cmd, p)
			}
			return e.printPolicies(cmd, []adminclient.Policy{*p})
		},
	}
	orgFlag(cmd, &org)
	return cmd
}

// policyFlags are the settings of `admin policies set`.
type policyFlags struct {
	org, data           string
	enabled, autoEnroll bool
}

func (e *adminEnv) policiesSetCmd() *cobra.Command {
	var f policyFlags
	cmd := &cobra.Command{
		Use:   "set --org ID TYPE [--enabled=false] [--data JSON] [--auto-enroll]",
		Short: "Turn a policy on or off, with its settings",
		Long: "Turn a policy on (the default) or off. The policy keeps its stored settings unless --data gives\n" +
			"new ones as a JSON object (e.g. '{\"minLength\":14}' for master-password); --auto-enroll sets the\n" +
			"automatic enrollment of account-recovery. Turning single-org on revokes the members (neither\n" +
			"owners nor admins) who belong to another organization; they can be restored once they leave it.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.policiesSet(cmd, args[0], f)
		},
	}
	orgFlag(cmd, &f.org)
	fl := cmd.Flags()
	fl.BoolVar(&f.enabled, "enabled", true, "turn the policy on (or off with --enabled=false)")
	fl.StringVar(&f.data, "data", "", "the policy's settings as a JSON object (default: keep the stored ones)")
	fl.BoolVar(&f.autoEnroll, "auto-enroll", false, "account-recovery: enroll members automatically when they join")
	return cmd
}

func (e *adminEnv) policiesSet(cmd *cobra.Command, typ string, f policyFlags) error {
	t, err := adminclient.ParsePolicyType(typ)
	if err != nil {
		return err
	}
	autoEnroll := cmd.Flags().Changed("auto-enroll")
	if autoEnroll && t != adminclient.PolicyResetPassword {
		return errors.New("--auto-enroll applies to account-recovery only")
	}
	var data map[string]any
	if cmd.Flags().Changed("data") {
		if err := json.Unmarshal([]byte(f.data), &data); err != nil {
			return fmt.Errorf("--data must be a JSON object: %w", err)
		}
	}
	c, err := e.login(cmd)
	if err != nil {
		return err
	}
	if !cmd.Flags().Changed("data") {
		cur, err := c.Policy(cmd.Context(), f.org, t)
		if err != nil {
			return err
		}
		data = cur.Data
	}
	if autoEnroll {
		if data == nil {
			data = map[string]any{}
		}
		data["autoEnrollEnabled"] = f.autoEnroll
	}
	p, err := c.SetPolicy(cmd.Context(), f.org, t, f.enabled, data)
	if err != nil {
		return err
	}
	e.progress(cmd, "policy %s is %s", t, onOff(p.Enabled))
	if e.jsonOut {
		return printJSON(cmd, p)
	}
	return e.printPolicies(cmd, []adminclient.Policy{*p})
}

func (e *adminEnv) printPolicies(cmd *cobra.Command, ps []adminclient.Policy) error {
	return e.output(cmd, nonNilSlice(ps), []string{"TYPE", "NAME", "ENABLED", "DATA"}, func() [][]string {
		rows := make([][]string, 0, len(ps))
		for _, p := range ps {
			data := "-"
			if p.Data != nil {
				raw, _ := json.Marshal(p.Data)
				data = string(raw)
			}
			rows = append(rows, []string{strconv.Itoa(int(p.Type)), p.Type.String(), onOff(p.Enabled), data})
		}
		return rows
	})
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}
