package cli

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/castellan-vault/castellan/internal/adminclient"
)

// envAdminSSOSecret holds the OIDC client secret for `admin sso set`; like the master password it
// has no flag, so that it never shows in the process list or a shell history.
const envAdminSSOSecret = "CASTELLAN_ADMIN_SSO_CLIENT_SECRET"

func (e *adminEnv) ssoCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "sso", Short: "Show and set an organization's single sign-on configuration"}
	cmd.AddCommand(e.ssoShowCmd(), e.ssoSetCmd(), e.ssoSAMLCmd()) // SAML: admin_sso_saml.go
	return cmd
}

func (e *adminEnv) ssoShowCmd() *cobra.Command {
	var org string
	cmd := &cobra.Command{
		Use:   "show --org ID",
		Short: "Show the single sign-on configuration and the addresses to register at the identity provider",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := e.login(cmd)
			if err != nil {
				return err
			}
			cfg, err := c.SSO(cmd.Context(), org)
			if err != nil {
				return err
			}
			return e.printSSO(cmd, cfg)
		},
	}
	orgFlag(cmd, &org)
	return cmd
}

// ssoFlags are the settings `admin sso set` can change; only the flags given are applied.
type ssoFlags struct {
	org, identifier, authority, clientID, metadata, scopes, secretFile      string
	userIDClaims, emailClaims, nameClaims, acrValues, expectedACR, redirect string
	enabled, userinfo, trustEmails, relink                                  bool
}

// ssoFields maps each flag to the configuration field it sets.
var ssoFields = map[string]string{
	"authority": "authority", "client-id": "clientId", "metadata-address": "metadataAddress",
	"scopes": "additionalScopes", "user-id-claims": "additionalUserIdClaimTypes",
	"email-claims": "additionalEmailClaimTypes", "name-claims": "additionalNameClaimTypes",
	"acr-values": "acrValues", "expected-acr": "expectedReturnAcrValue",
	"userinfo": "getClaimsFromUserInfoEndpoint", "trust-idp-emails": "trustIdPEmails",
	"relink-changed-subject": "relinkChangedSubject",
}

func (e *adminEnv) ssoSetCmd() *cobra.Command {
	var f ssoFlags
	cmd := &cobra.Command{
		Use:   "set --org ID [flags]",
		Short: "Set the organization's OpenID Connect single sign-on",
		Long: "Set the organization's OpenID Connect single sign-on. Only the settings given change; the\n" +
			"others keep their stored values. The client secret is read from $" + envAdminSSOSecret + "\n" +
			"or from the first line of --client-secret-file, never from an argument; without either, the\n" +
			"stored secret is kept. Register the callback address that `sso show` prints at the provider.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return e.ssoSet(cmd, f)
		},
	}
	orgFlag(cmd, &f.org)
	fl := cmd.Flags()
	fl.BoolVar(&f.enabled, "enabled", true, "turn single sign-on on (or off with --enabled=false)")
	fl.StringVar(&f.identifier, "identifier", "", "SSO identifier members type at login (unique on the server)")
	fl.StringVar(&f.authority, "authority", "", "the provider's issuer URL")
	fl.StringVar(&f.clientID, "client-id", "", "castellan's client id at the provider")
	fl.StringVar(&f.secretFile, "client-secret-file", "", "file whose first line is the client secret "+
		"(or set $"+envAdminSSOSecret+")")
	fl.StringVar(&f.metadata, "metadata-address", "", "discovery document address, when not under the authority")
	fl.StringVar(&f.scopes, "scopes", "", "additional scopes, comma-separated")
	fl.BoolVar(&f.userinfo, "userinfo", false, "also read the claims from the userinfo endpoint")
	fl.StringVar(&f.redirect, "redirect-behavior", "", "how the browser goes to the provider: get or form-post")
	fl.StringVar(&f.userIDClaims, "user-id-claims", "", "additional user id claim types, comma-separated")
	fl.StringVar(&f.emailClaims, "email-claims", "", "additional email claim types, comma-separated")
	fl.StringVar(&f.nameClaims, "name-claims", "", "additional name claim types, comma-separated")
	fl.StringVar(&f.acrValues, "acr-values", "", "acr_values to request")
	fl.StringVar(&f.expectedACR, "expected-acr", "", "acr the ID token must carry")
	fl.BoolVar(&f.trustEmails, "trust-idp-emails", false, "the provider only sends verified addresses")
	fl.BoolVar(&f.relink, "relink-changed-subject", false, "let a member whose provider subject changed "+
		"replace the stale link")
	return cmd
}

func (e *adminEnv) ssoSet(cmd *cobra.Command, f ssoFlags) error {
	secret, err := e.ssoSecret(f.secretFile)
	if err != nil {
		return err
	}
	c, err := e.login(cmd)
	if err != nil {
		return err
	}
	cfg, err := c.SSO(cmd.Context(), f.org)
	if err != nil {
		return err
	}
	if err := applySSOFlags(cmd, cfg, f); err != nil {
		return err
	}
	saved, err := c.SetSSO(cmd.Context(), f.org, *cfg, secret)
	if err != nil {
		return err
	}
	e.progress(cmd, "saved the single sign-on configuration (enabled: %t)", saved.Enabled)
	return e.printSSO(cmd, saved)
}

// applySSOFlags writes the flags that were given over the stored configuration.
func applySSOFlags(cmd *cobra.Command, cfg *adminclient.SSOConfig, f ssoFlags) error {
	fl := cmd.Flags()
	values := map[string]any{"authority": f.authority, "client-id": f.clientID, "metadata-address": f.metadata,
		"scopes": f.scopes, "user-id-claims": f.userIDClaims, "email-claims": f.emailClaims,
		"name-claims": f.nameClaims, "acr-values": f.acrValues, "expected-acr": f.expectedACR,
		"userinfo": f.userinfo, "trust-idp-emails": f.trustEmails, "relink-changed-subject": f.relink}
	for flag, field := range ssoFields {
		if fl.Changed(flag) {
			cfg.Data[field] = values[flag]
		}
	}
	if fl.Changed("redirect-behavior") {
		switch f.redirect {
		case "get":
			cfg.Data["redirectBehavior"] = 0
		case "form-post":
			cfg.Data["redirectBehavior"] = 1
		default:
			return errors.New("--redirect-behavior: want get or form-post")
		}
	}
	if fl.Changed("identifier") {
		cfg.Identifier = f.identifier
	}
	if fl.Changed("enabled") || cfg.Int("configType") == 0 { // a first configuration is enabled
		cfg.Enabled = f.enabled
	}
	cfg.Data["configType"] = 1
	return nil
}

// ssoSecret reads the client secret from the environment or the secret file; "" keeps the stored one.
func (e *adminEnv) ssoSecret(file string) (string, error) {
	secret := e.env(envAdminSSOSecret)
	if file == "" {
		return strings.TrimSpace(secret), nil
	}
	if secret != "" {
		return "", errors.New("set either " + envAdminSSOSecret + " or --client-secret-file, not both")
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("read the client secret file: %w", err)
	}
	line, _, _ := strings.Cut(string(raw), "\n")
	if line = strings.TrimSpace(line); line == "" {
		return "", errors.New("the client secret file is empty")
	}
	return line, nil
}

// printSSO prints the configuration: JSON with --json, else one setting per line.
func (e *adminEnv) printSSO(cmd *cobra.Command, cfg *adminclient.SSOConfig) error {
	if e.jsonOut {
		return printJSON(cmd, cfg)
	}
	rows := [][]string{{"enabled", fmt.Sprint(cfg.Enabled)}, {"identifier", orDash(cfg.Identifier)}}
	keys := make([]string, 0, len(cfg.Data))
	for k := range cfg.Data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if v := cfg.Data[k]; v != nil && v != "" && v != false {
			rows = append(rows, []string{k, fmt.Sprint(v)})
		}
	}
	rows = append(rows, []string{"callback URL (register at the provider)", cfg.URLs.CallbackPath},
		[]string{"signed-out callback URL", cfg.URLs.SignedOutCallbackPath})
	return table(cmd, []string{"SETTING", "VALUE"}, rows)
}
