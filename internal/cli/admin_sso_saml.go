package cli

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/castellan-vault/castellan/internal/adminclient"
)

// `castellan admin sso saml ...`: an organization's SAML 2.0 single sign-on. set reads the
// identity provider's metadata (a file, or a URL the server fetches) and any flags, and saves the
// configuration through the official route; metadata-url prints what to give the identity
// provider; keys shows, rotates and ends the overlap of the service provider's keys.

func (e *adminEnv) ssoSAMLCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "saml", Short: "Set up SAML 2.0 single sign-on and its service provider keys"}
	cmd.AddCommand(e.samlSetCmd(), e.samlMetadataURLCmd(), e.samlKeysCmd())
	return cmd
}

// samlFlags are the settings `sso saml set` can change; only the flags given are applied.
type samlFlags struct {
	org, identifier, metadataURL, metadataFile, metadataEntity               string
	entityID, ssoURL, sloURL, binding, certFile, nameIDFormat, signing       string
	signingAlg, minAlg, userIDClaims, emailClaims, nameClaims                string
	enabled, wantSigned, allowIdPInitiated, noLogoutRequests, uniqueEntityID bool
	wantAssertionsSigned, validateCerts, trustEmails, relink                 bool
}

// samlTextFields map flags to the configuration's text fields.
var samlTextFields = map[string]string{
	"idp-entity-id": "idpEntityId", "idp-sso-url": "idpSingleSignOnServiceUrl",
	"idp-slo-url": "idpSingleLogoutServiceUrl", "user-id-claims": "additionalUserIdClaimTypes",
	"email-claims": "additionalEmailClaimTypes", "name-claims": "additionalNameClaimTypes",
}

// samlBoolFields map flags to the configuration's switches.
var samlBoolFields = map[string]string{
	"idp-want-requests-signed": "idpWantAuthnRequestsSigned", "allow-idp-initiated": "idpAllowUnsolicitedAuthnResponse",
	"disable-logout-requests": "idpDisableOutboundLogoutRequests", "unique-entity-id": "spUniqueEntityId",
	"want-assertions-signed": "spWantAssertionsSigned", "validate-certificates": "spValidateCertificates",
	"trust-idp-emails": "trustIdPEmails", "relink-changed-subject": "relinkChangedSubject",
}

// Names of the enumerated settings (the official numbers are accepted too).
var (
	samlBindings = map[string]int{"redirect": 1, "post": 2}
	samlNameIDs  = map[string]int{"not-configured": 0, "unspecified": 1, "email": 2, "x509-subject": 3,
		"windows-domain": 4, "kerberos": 5, "entity": 6, "persistent": 7, "transient": 8}
	samlSigning = map[string]int{"if-idp-wants": 0, "always": 1, "never": 3}
	samlAlgs    = map[string]string{"sha1": "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
		"sha256": "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
		"sha384": "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384",
		"sha512": "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512"}
)

func (e *adminEnv) samlSetCmd() *cobra.Command {
	var f samlFlags
	cmd := &cobra.Command{
		Use:   "set --org ID [--idp-metadata-url URL | --idp-metadata-file FILE] [flags]",
		Short: "Set the organization's SAML 2.0 single sign-on",
		Long: "Set the organization's SAML 2.0 single sign-on. The identity provider's fields can come from\n" +
			"its metadata: a file, or a URL that the server fetches (public or private-network addresses).\n" +
			"Flags given win over the metadata; settings not given keep their stored values. A first SAML\n" +
			"configuration wants signed assertions, a SHA-256 minimum and an entity ID of its own; the\n" +
			"service provider keys are made by the server. Give the identity provider the metadata URL\n" +
			"that is printed (or `sso saml metadata-url`).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return e.samlSet(cmd, f) },
	}
	orgFlag(cmd, &f.org)
	fl := cmd.Flags()
	fl.BoolVar(&f.enabled, "enabled", true, "turn single sign-on on (or off with --enabled=false)")
	fl.StringVar(&f.identifier, "identifier", "", "SSO identifier members type at login (unique on the server)")
	fl.StringVar(&f.metadataURL, "idp-metadata-url", "", "the identity provider's metadata URL (the server fetches it)")
	fl.StringVar(&f.metadataFile, "idp-metadata-file", "", "file with the identity provider's metadata")
	fl.StringVar(&f.metadataEntity, "idp-metadata-entity-id", "", "which identity provider of a metadata aggregate")
	fl.StringVar(&f.entityID, "idp-entity-id", "", "the identity provider's entity ID")
	fl.StringVar(&f.ssoURL, "idp-sso-url", "", "the identity provider's single sign-on URL")
	fl.StringVar(&f.sloURL, "idp-slo-url", "", "the identity provider's single logout URL")
	fl.StringVar(&f.binding, "idp-binding", "", "how AuthnRequests travel: redirect or post")
	fl.StringVar(&f.certFile, "idp-cert-file", "", "file with the identity provider's signing certificate (PEM)")
	fl.BoolVar(&f.wantSigned, "idp-want-requests-signed", false, "the identity provider wants signed requests")
	fl.BoolVar(&f.allowIdPInitiated, "allow-idp-initiated", false, "accept sign-ins started at the identity provider")
	fl.BoolVar(&f.noLogoutRequests, "disable-logout-requests", false, "send no logout requests to the identity provider")
	fl.BoolVar(&f.uniqueEntityID, "unique-entity-id", false, "an SP entity ID of the organization's own")
	fl.StringVar(&f.nameIDFormat, "name-id-format", "", "NameID format to ask for: persistent, email, "+
		"unspecified, transient, not-configured, ... (or the official number 0-8)")
	fl.StringVar(&f.signing, "signing-behavior", "", "when to sign AuthnRequests: if-idp-wants, always or never")
	fl.StringVar(&f.signingAlg, "signing-algorithm", "", "algorithm to sign with: sha256, sha384 or sha512")
	fl.StringVar(&f.minAlg, "min-signing-algorithm", "", "weakest accepted signature: sha1, sha256, sha384 or sha512")
	fl.BoolVar(&f.wantAssertionsSigned, "want-assertions-signed", false, "the assertion itself must be signed")
	fl.BoolVar(&f.validateCerts, "validate-certificates", false, "refuse an expired identity provider certificate")
	fl.StringVar(&f.userIDClaims, "user-id-claims", "", "attribute names of the user id, comma-separated")
	fl.StringVar(&f.emailClaims, "email-claims", "", "attribute names of the email, comma-separated")
	fl.StringVar(&f.nameClaims, "name-claims", "", "attribute names of the display name, comma-separated")
	fl.BoolVar(&f.trustEmails, "trust-idp-emails", false, "the identity provider only sends verified addresses")
	fl.BoolVar(&f.relink, "relink-changed-subject", false, "let a member whose user id at the identity "+
		"provider changed replace the stale link")
	cmd.MarkFlagsMutuallyExclusive("idp-metadata-url", "idp-metadata-file")
	return cmd
}

func (e *adminEnv) samlSet(cmd *cobra.Command, f samlFlags) error {
	imp, err := metadataImport(f)
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
	if imp != nil {
		fields, err := c.ImportIdPMetadata(cmd.Context(), f.org, *imp)
		if err != nil {
			return err
		}
		for k, v := range fields {
			cfg.Data[k] = v
		}
		e.progress(cmd, "read the identity provider's metadata (%v)", fields["idpEntityId"])
	}
	if err := applySAMLFlags(cmd, cfg, f); err != nil {
		return err
	}
	saved, err := c.SetSSO(cmd.Context(), f.org, *cfg, "")
	if err != nil {
		return err
	}
	e.progress(cmd, "saved the SAML single sign-on configuration (enabled: %t)", saved.Enabled)
	return e.printSAML(cmd, saved)
}

// metadataImport builds the import request of the metadata flags, or nil without them.
func metadataImport(f samlFlags) (*adminclient.IdPMetadataImport, error) {
	imp := &adminclient.IdPMetadataImport{URL: f.metadataURL, EntityID: f.metadataEntity}
	if f.binding != "" {
		b, err := enumFlag("idp-binding", f.binding, samlBindings)
		if err != nil {
			return nil, err
		}
		imp.Binding = b
	}
	switch {
	case f.metadataFile != "":
		raw, err := os.ReadFile(f.metadataFile)
		if err != nil {
			return nil, fmt.Errorf("read the metadata file: %w", err)
		}
		imp.XML = string(raw)
	case f.metadataURL == "":
		return nil, nil
	}
	return imp, nil
}

// applySAMLFlags writes the flags that were given over the configuration and makes it SAML; a
// configuration that was not SAML before gets castellan's safe defaults first.
func applySAMLFlags(cmd *cobra.Command, cfg *adminclient.SSOConfig, f samlFlags) error {
	fl := cmd.Flags()
	if cfg.Int("configType") != 2 {
		cfg.Data["spUniqueEntityId"], cfg.Data["spWantAssertionsSigned"] = true, true
		cfg.Data["spMinIncomingSigningAlgorithm"] = samlAlgs["sha256"]
	}
	if fl.Changed("enabled") || cfg.Int("configType") == 0 { // a first configuration is enabled
		cfg.Enabled = f.enabled
	}
	cfg.Data["configType"] = 2
	if fl.Changed("identifier") {
		cfg.Identifier = f.identifier
	}
	texts := map[string]string{"idp-entity-id": f.entityID, "idp-sso-url": f.ssoURL, "idp-slo-url": f.sloURL,
		"user-id-claims": f.userIDClaims, "email-claims": f.emailClaims, "name-claims": f.nameClaims}
	for flag, field := range samlTextFields {
		if fl.Changed(flag) {
			cfg.Data[field] = texts[flag]
		}
	}
	bools := map[string]bool{"idp-want-requests-signed": f.wantSigned, "allow-idp-initiated": f.allowIdPInitiated,
		"disable-logout-requests": f.noLogoutRequests, "unique-entity-id": f.uniqueEntityID,
		"want-assertions-signed": f.wantAssertionsSigned, "validate-certificates": f.validateCerts,
		"trust-idp-emails": f.trustEmails, "relink-changed-subject": f.relink}
	for flag, field := range samlBoolFields {
		if fl.Changed(flag) {
			cfg.Data[field] = bools[flag]
		}
	}
	return applySAMLEnums(fl.Changed, cfg, f)
}

// applySAMLEnums applies the enumerated flags and the certificate file.
func applySAMLEnums(changed func(string) bool, cfg *adminclient.SSOConfig, f samlFlags) error {
	enums := []struct {
		flag, field, value string
		names              map[string]int
	}{{"idp-binding", "idpBindingType", f.binding, samlBindings},
		{"name-id-format", "spNameIdFormat", f.nameIDFormat, samlNameIDs},
		{"signing-behavior", "spSigningBehavior", f.signing, samlSigning}}
	for _, en := range enums {
		if changed(en.flag) {
			n, err := enumFlag(en.flag, en.value, en.names)
			if err != nil {
				return err
			}
			cfg.Data[en.field] = n
		}
	}
	for flag, field := range map[string]string{"signing-algorithm": "spOutboundSigningAlgorithm",
		"min-signing-algorithm": "spMinIncomingSigningAlgorithm"} {
		value := map[string]string{"signing-algorithm": f.signingAlg, "min-signing-algorithm": f.minAlg}[flag]
		if changed(flag) {
			uri, ok := samlAlgs[strings.ToLower(value)]
			if !ok {
				return fmt.Errorf("--%s: want sha1, sha256, sha384 or sha512", flag)
			}
			cfg.Data[field] = uri
		}
	}
	if changed("idp-cert-file") {
		raw, err := os.ReadFile(f.certFile)
		if err != nil {
			return fmt.Errorf("read the certificate file: %w", err)
		}
		cfg.Data["idpX509PublicCert"] = string(raw)
	}
	return nil
}

// enumFlag reads an enumerated flag by name or by its official number.
func enumFlag(flag, value string, names map[string]int) (int, error) {
	if n, ok := names[strings.ToLower(strings.TrimSpace(value))]; ok {
		return n, nil
	}
	if n, err := strconv.Atoi(value); err == nil {
		for _, v := range names {
			if v == n {
				return n, nil
			}
		}
	}
	known := make([]string, 0, len(names))
	for k := range names {
		known = append(known, k)
	}
	sort.Strings(known)
	return 0, fmt.Errorf("--%s: %q is none of %s", flag, value, strings.Join(known, ", "))
}

// spURLs are what the identity provider needs from castellan, for the entity ID in effect.
type spURLs struct {
	MetadataURL string `json:"metadataUrl"`
	EntityID    string `json:"entityId"`
	ACSURL      string `json:"acsUrl"`
}

func samlURLs(cfg *adminclient.SSOConfig) spURLs {
	u := spURLs{MetadataURL: cfg.URLs.SpMetadataURL, EntityID: cfg.URLs.SpEntityIDStatic, ACSURL: cfg.URLs.SpAcsURL}
	if cfg.Bool("spUniqueEntityId") {
		u.EntityID = cfg.URLs.SpEntityID
	}
	return u
}

// printSAML prints the SAML settings and the service provider's addresses.
func (e *adminEnv) printSAML(cmd *cobra.Command, cfg *adminclient.SSOConfig) error {
	if e.jsonOut {
		return printJSON(cmd, map[string]any{"enabled": cfg.Enabled, "identifier": cfg.Identifier,
			"data": cfg.Data, "serviceProvider": samlURLs(cfg)})
	}
	rows := [][]string{{"enabled", fmt.Sprint(cfg.Enabled)}, {"identifier", orDash(cfg.Identifier)}}
	for _, k := range []string{"idpEntityId", "idpSingleSignOnServiceUrl", "idpSingleLogoutServiceUrl",
		"idpBindingType", "idpWantAuthnRequestsSigned", "idpAllowUnsolicitedAuthnResponse", "spUniqueEntityId",
		"spNameIdFormat", "spSigningBehavior", "spWantAssertionsSigned", "spMinIncomingSigningAlgorithm",
		"trustIdPEmails"} {
		rows = append(rows, []string{k, orDash(fmt.Sprint(cfg.Data[k]))})
	}
	u := samlURLs(cfg)
	rows = append(rows, []string{"SP metadata URL (give it to the identity provider)", u.MetadataURL},
		[]string{"SP entity ID", u.EntityID}, []string{"SP assertion consumer URL (HTTP-POST)", u.ACSURL})
	return table(cmd, []string{"SETTING", "VALUE"}, rows)
}

func (e *adminEnv) samlMetadataURLCmd() *cobra.Command {
	var org string
	cmd := &cobra.Command{
		Use:   "metadata-url --org ID",
		Short: "Print the service provider metadata URL to give the identity provider",
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
			if cfg.Int("configType") != 2 {
				e.progress(cmd, "note: the organization's single sign-on is not SAML yet; the metadata "+
					"URL answers once a SAML configuration is saved")
			}
			u := samlURLs(cfg)
			if e.jsonOut {
				return printJSON(cmd, u)
			}
			_, err = fmt.Fprintln(cmd.OutOrStdout(), u.MetadataURL)
			return err
		},
	}
	orgFlag(cmd, &org)
	return cmd
}

func (e *adminEnv) samlKeysCmd() *cobra.Command {
	var org string
	show := func(call func(*adminclient.Client, *cobra.Command) (*adminclient.SAMLKeys, error)) func(
		*cobra.Command, []string) error {
		return func(cmd *cobra.Command, _ []string) error {
			c, err := e.login(cmd)
			if err != nil {
				return err
			}
			keys, err := call(c, cmd)
			if err != nil {
				return err
			}
			return e.printSAMLKeys(cmd, keys)
		}
	}
	cmd := &cobra.Command{Use: "keys --org ID", Short: "Show the service provider's certificates", Args: cobra.NoArgs,
		RunE: show(func(c *adminclient.Client, cmd *cobra.Command) (*adminclient.SAMLKeys, error) {
			return c.SAMLKeys(cmd.Context(), org)
		})}
	rotate := &cobra.Command{Use: "rotate --org ID", Args: cobra.NoArgs,
		Short: "Make new service provider keys current, keeping the old ones until end-overlap",
		Long: "Make new service provider keys current. The previous keys stay valid for decryption and\n" +
			"are listed in the metadata until `keys end-overlap`: update the identity provider's copy of\n" +
			"the metadata first, then end the overlap.",
		RunE: show(func(c *adminclient.Client, cmd *cobra.Command) (*adminclient.SAMLKeys, error) {
			return c.RotateSAMLKeys(cmd.Context(), org)
		})}
	end := &cobra.Command{Use: "end-overlap --org ID", Args: cobra.NoArgs,
		Short: "Drop the previous service provider keys of a rotation",
		RunE: show(func(c *adminclient.Client, cmd *cobra.Command) (*adminclient.SAMLKeys, error) {
			return c.EndSAMLKeyOverlap(cmd.Context(), org)
		})}
	for _, c := range []*cobra.Command{cmd, rotate, end} {
		orgFlag(c, &org)
	}
	cmd.AddCommand(rotate, end)
	return cmd
}

// printSAMLKeys prints the certificates (never a private key: the server does not send them).
func (e *adminEnv) printSAMLKeys(cmd *cobra.Command, k *adminclient.SAMLKeys) error {
	if k == nil {
		return errors.New("the server sent no keys")
	}
	return e.output(cmd, k, []string{"SLOT", "USE", "NOT AFTER", "SHA-256 FINGERPRINT"}, func() [][]string {
		rows := make([][]string, 0, len(k.Keys))
		for _, key := range k.Keys {
			rows = append(rows, []string{key.Slot, key.Use, key.NotAfter.Format("2006-01-02"),
				key.SHA256Fingerprint})
		}
		return rows
	})
}
