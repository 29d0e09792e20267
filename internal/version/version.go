// Package version tells which castellan this is.
package version

import "runtime/debug"

// Version is castellan's own release version, set at build time with
// -ldflags "-X github.com/castellan-vault/castellan/internal/version.Version=v1.2.3".
var Version = "0.1.0-dev"

// ServerCompat is the Bitwarden server version castellan reports to the official clients in /api/config.
// The clients parse it as semver and gate features on it, so it names the server release whose wire
// contract castellan follows (see shared/reference/official-cli.md §4.1).
const ServerCompat = "2026.6.0"

// Commit returns the VCS revision the binary was built from, or "unknown".
func Commit() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	rev, dirty := "unknown", false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "-dirty"
	}
	return rev
}
