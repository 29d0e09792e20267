// Command castellan is a self-hosted server for the official Bitwarden apps. See README.md.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/castellan-vault/castellan/internal/cli"
)

func main() {
	root := cli.NewRoot(os.Environ(), os.Stdout, os.Stderr)
	if err := root.ExecuteContext(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "castellan:", err)
		os.Exit(1)
	}
}
