package version

import (
	"runtime/debug"
	"testing"
)

func TestFromSettings(t *testing.T) {
	rev := debug.BuildSetting{Key: "vcs.revision", Value: "956da50972a3979786693ed0a0e30669f2ea9f7a"}
	cases := []struct {
		settings []debug.BuildSetting
		want     string
	}{
		{nil, "unknown"},
		{[]debug.BuildSetting{rev}, "956da50972a3"},
		{[]debug.BuildSetting{rev, {Key: "vcs.modified", Value: "true"}}, "956da50972a3-dirty"},
		{[]debug.BuildSetting{{Key: "vcs.modified", Value: "true"}}, "unknown"},
	}
	for _, c := range cases {
		if got := fromSettings(c.settings); got != c.want {
			t.Errorf("%v: %q, want %q", c.settings, got, c.want)
		}
	}
}

func TestRevisionWins(t *testing.T) {
	defer func(r string) { Revision = r }(Revision)
	Revision = "v1-abc"
	if got := Commit(); got != "v1-abc" {
		t.Fatalf("Commit() = %q, want the -X override", got)
	}
}
