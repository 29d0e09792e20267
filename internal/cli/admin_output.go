package cli

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

// printJSON writes v as indented JSON to stdout.
func printJSON(cmd *cobra.Command, v any) error {
	enc := json.NewEncoder(stdout(cmd))
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("write JSON: %w", err)
	}
	return nil
}

// table prints rows under a header, in aligned columns, to stdout.
func table(cmd *cobra.Command, header []string, rows [][]string) error {
	w := tabwriter.NewWriter(stdout(cmd), 0, 4, 2, ' ', 0)
	_, _ = fmt.Fprintln(w, strings.Join(header, "\t"))
	for _, r := range rows {
		_, _ = fmt.Fprintln(w, strings.Join(r, "\t"))
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("write table: %w", err)
	}
	return nil
}

// output prints v as JSON with --json, else the table that rows builds.
func (e *adminEnv) output(cmd *cobra.Command, v any, header []string, rows func() [][]string) error {
	if e.jsonOut {
		return printJSON(cmd, v)
	}
	return table(cmd, header, rows())
}

// orDash shows an empty value as "-".
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
