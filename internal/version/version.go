// Package version tells which castellan this is.
package version

import "runtime/debug"

// Version is castellan's own release version, set at build time with
// -ldflags "-X github.com/castellan-vault/castellan/internal/version.Version=v1.2.3".
var Version = "0.1.0-dev"

// Revision, when set at build time with
// -ldflags "-X github.com/castellan-vault/castellan/internal/version.Revision=$(git rev-parse --short=12 HEAD)",
// is the commit [Commit] reports. It is for builds that carry no VCS stamp: `go run`, builds with
// -buildvcs=false (GOFLAGS), and builds outside the git checkout (a source archive, some container
// builds). A plain `go build` in a git checkout needs nothing: Go stamps the commit itself.
var Revision = ""

// ServerCompat is the Bitwarden server version castellan reports to the official clients in /api/config.
// The clients parse it as semver and gate features on it, so it names the server release whose wire
// contract castellan follows (see shared/reference/official-cli.md §4.1).
const ServerCompat = "2026.6.0"

// Commit returns the VCS revision the binary was built from: [Revision] if set, else the revision Go
// stamped into the build (vcs.revision, its first 12 digits, with "-dirty" when the checkout had
// uncommitted changes), else "unknown".
func Commit() string {
	if Revision != "" {
		return Revision
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	return fromSettings(info.Settings)
}

// fromSettings reads the VCS stamp of a build.
func fromSettings(settings []debug.BuildSetting) string {
	rev, dirty := "unknown", false
	for _, s := range settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "unknown" {
		return rev
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "-dirty"
	}
	return rev
}
