package config

import (
	"errors"
	"testing"
	"time"
)

func TestDomainJobSettings(t *testing.T) {
	cfg, err := load(t, nil)
	if err != nil || cfg.DomainCheckInterval != 15*time.Minute || cfg.DomainRecheckInterval != 24*time.Hour ||
		cfg.DomainGracePeriod != 14*24*time.Hour {
		t.Fatalf("defaults: %v %v %v, %v", cfg.DomainCheckInterval, cfg.DomainRecheckInterval,
			cfg.DomainGracePeriod, err)
	}
	for _, name := range []string{"CASTELLAN_DOMAIN_CHECK_INTERVAL", "CASTELLAN_DOMAIN_RECHECK_INTERVAL",
		"CASTELLAN_DOMAIN_GRACE_PERIOD"} {
		for _, bad := range []string{"0s", "-1h", "999ms", "soon"} {
			_, err := load(t, []string{name + "=" + bad})
			var ce *Error
			if !errors.As(err, &ce) || ce.Var != name {
				t.Errorf("%s=%s: err = %v, want one naming the variable", name, bad, err)
			}
		}
	}
	cfg, err = load(t, []string{"CASTELLAN_DOMAIN_RECHECK_INTERVAL=2s"}, "--domain-check-interval", "1s",
		"--domain-grace-period", "10s")
	if err != nil || cfg.DomainCheckInterval != time.Second || cfg.DomainRecheckInterval != 2*time.Second ||
		cfg.DomainGracePeriod != 10*time.Second {
		t.Fatalf("short settings for tests: %+v, %v", cfg, err)
	}
}
