package testpeers

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Paths of Debian's simplesamlphp package.
const (
	sspShare  = "/usr/share/simplesamlphp"
	sspConfig = "/etc/simplesamlphp"
)

// SAMLServiceProvider is an SP's remote metadata as SimpleSAMLphp knows it.
type SAMLServiceProvider struct {
	EntityID string
	ACSURL   string // HTTP-POST AssertionConsumerService
	// CertPEM is the SP's certificate; with EncryptAssertion the assertion is encrypted to it.
	CertPEM          []byte
	EncryptAssertion bool
	// UnsignedResponse / UnsignedAssertion turn off SimpleSAMLphp's default of signing both.
	UnsignedResponse  bool
	UnsignedAssertion bool
	// NameIDFormat defaults to emailAddress, filled from NameIDAttribute (default mail).
	NameIDFormat    string
	NameIDAttribute string
}

// SimpleSAMLphpConfig configures StartSimpleSAMLphp. Empty Users take DefaultSAMLUsers.
type SimpleSAMLphpConfig struct {
	SPs   []SAMLServiceProvider
	Users []SAMLUser
}

// SimpleSAMLphp is a running SimpleSAMLphp IdP (Debian package, `php -S`) with a scratch
// config dir; /etc/simplesamlphp is only read.
type SimpleSAMLphp struct {
	BaseURL     string // http://127.0.0.1:<port>/simplesaml/
	EntityID    string // = MetadataURL
	MetadataURL string
	SSOURL      string // HTTP-Redirect/POST SingleSignOnService
	KeyPair     *KeyPair
}

// StartSimpleSAMLphp lays out the config dir, starts php's built-in server with 4 workers
// and waits for the IdP metadata.
func StartSimpleSAMLphp(t testing.TB, cfg SimpleSAMLphpConfig) *SimpleSAMLphp {
	t.Helper()
	php := systemPath(t, "php (apt php8.2-cli)", "/usr/bin/php")
	systemPath(t, "SimpleSAMLphp (apt simplesamlphp)", filepath.Join(sspShare, "www"))
	if len(cfg.Users) == 0 {
		cfg.Users = DefaultSAMLUsers()
	}
	port := FreePort(t)
	base := "http://127.0.0.1:" + strconv.Itoa(port) + "/simplesaml/"
	s := &SimpleSAMLphp{BaseURL: base, MetadataURL: base + "saml2/idp/metadata.php",
		SSOURL: base + "saml2/idp/SSOService.php", KeyPair: NewKeyPair(t, "ssp-test-idp")}
	s.EntityID = s.MetadataURL
	dir := t.TempDir()
	if err := s.layout(t, dir, cfg); err != nil {
		t.Fatalf("testpeers: simplesamlphp config: %v", err)
	}
	cmd := exec.Command(php, "-S", "127.0.0.1:"+strconv.Itoa(port), "-t", filepath.Join(dir, "docroot"))
	cmd.Env = append(os.Environ(), "SIMPLESAMLPHP_CONFIG_DIR="+filepath.Join(dir, "config"),
		"PHP_CLI_SERVER_WORKERS=4")
	p := startProcess(t, "simplesamlphp", cmd)
	p.waitReady(t, probeContains(s.MetadataURL, "EntityDescriptor"))
	return s
}

// layout writes the scratch dir: config (Debian's config.php with overrides appended),
// authsources, hosted IdP and remote SP metadata, the IdP key pair and the docroot link.
func (s *SimpleSAMLphp) layout(t testing.TB, dir string, cfg SimpleSAMLphpConfig) error {
	for _, sub := range []string{"config", "cert", "log", "data", "tmp", "metadata", "docroot", "sessions"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			return fmt.Errorf("mkdir %s: %w", sub, err)
		}
	}
	s.KeyPair.WriteFiles(t, filepath.Join(dir, "cert"), "idp")
	if err := os.Symlink(filepath.Join(sspShare, "www"), filepath.Join(dir, "docroot", "simplesaml")); err != nil {
		return fmt.Errorf("link docroot: %w", err)
	}
	if err := copyFile(filepath.Join(sspConfig, "acl.php"), filepath.Join(dir, "config", "acl.php")); err != nil {
		return err
	}
	if err := os.Symlink(filepath.Join(sspConfig, "attributemap"), filepath.Join(dir, "config", "attributemap")); err != nil {
		return fmt.Errorf("link attributemap: %w", err)
	}
	files := map[string]string{
		"config/config.php":              s.configPHP(t, dir),
		"config/authsources.php":         authsourcesPHP(cfg.Users),
		"metadata/saml20-idp-hosted.php": idpHostedPHP,
		"metadata/saml20-sp-remote.php":  spRemotePHP(cfg.SPs),
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
	}
	return nil
}

// configPHP is Debian's config.php with our settings appended (later assignments win).
func (s *SimpleSAMLphp) configPHP(t testing.TB, dir string) string {
	t.Helper()
	orig, err := os.ReadFile(filepath.Join(sspConfig, "config.php"))
	if err != nil {
		missing(t, "SimpleSAMLphp config.php", err.Error())
	}
	set := []struct{ key, value string }{
		{"baseurlpath", phpString(s.BaseURL)},
		{"certdir", phpString(filepath.Join(dir, "cert") + "/")},
		{"loggingdir", phpString(filepath.Join(dir, "log") + "/")},
		{"datadir", phpString(filepath.Join(dir, "data") + "/")},
		{"tempdir", phpString(filepath.Join(dir, "tmp"))},
		{"metadatadir", phpString(filepath.Join(dir, "metadata") + "/")},
		{"attributenamemapdir", phpString(filepath.Join(dir, "config", "attributemap") + "/")},
		{"secretsalt", phpString("castellan-test-salt")},
		{"auth.adminpassword", phpString("castellan-test-admin")},
		{"admin.checkforupdates", "false"},
		{"logging.handler", phpString("file")},
		{"logging.level", `SimpleSAML\Logger::DEBUG`},
		{"enable.saml20-idp", "true"},
		{"module.enable", "['exampleauth' => true, 'core' => true, 'saml' => true]"},
		{"session.cookie.secure", "false"},
		{"session.cookie.samesite", "null"},
		{"session.phpsession.savepath", phpString(filepath.Join(dir, "sessions"))},
		{"store.type", phpString("phpsession")},
	}
	var b strings.Builder
	b.Write(orig)
	b.WriteString("\n// castellan test overrides\n")
	for _, kv := range set {
		fmt.Fprintf(&b, "$config[%s] = %s;\n", phpString(kv.key), kv.value)
	}
	return b.String()
}

const idpHostedPHP = `<?php
$metadata['__DYNAMIC:1__'] = [
    'host' => '__DEFAULT__',
    'privatekey' => 'idp.key',
    'certificate' => 'idp.crt',
    'auth' => 'example-userpass',
    'NameIDFormat' => 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
    'simplesaml.nameidattribute' => 'mail',
    'attributes.NameFormat' => 'urn:oasis:names:tc:SAML:2.0:attrname-format:basic',
];
`

// authsourcesPHP renders the admin source and exampleauth:UserPass with the users.
func authsourcesPHP(users []SAMLUser) string {
	var b strings.Builder
	b.WriteString("<?php\n$config = [\n    'admin' => ['core:AdminPassword'],\n" +
		"    'example-userpass' => [\n        'exampleauth:UserPass',\n")
	for _, u := range users {
		attrs := []string{"'uid' => [" + phpString(u.Name) + "]"}
		if u.Email != "" {
			attrs = append(attrs, "'mail' => ["+phpString(u.Email)+"]")
		}
		if u.CommonName != "" {
			attrs = append(attrs, "'displayName' => ["+phpString(u.CommonName)+"]")
		}
		if u.GivenName != "" {
			attrs = append(attrs, "'givenName' => ["+phpString(u.GivenName)+"]")
		}
		if u.Surname != "" {
			attrs = append(attrs, "'sn' => ["+phpString(u.Surname)+"]")
		}
		if len(u.Groups) > 0 {
			attrs = append(attrs, "'memberOf' => "+phpList(u.Groups))
		}
		fmt.Fprintf(&b, "        %s => [%s],\n", phpString(u.Name+":"+u.Password), strings.Join(attrs, ", "))
	}
	b.WriteString("    ],\n];\n")
	return b.String()
}

// spRemotePHP renders the SPs' remote metadata.
func spRemotePHP(sps []SAMLServiceProvider) string {
	var b strings.Builder
	b.WriteString("<?php\n")
	for _, sp := range sps {
		format := sp.NameIDFormat
		if format == "" {
			format = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
		}
		attr := sp.NameIDAttribute
		if attr == "" {
			attr = "mail"
		}
		fmt.Fprintf(&b, "$metadata[%s] = [\n", phpString(sp.EntityID))
		fmt.Fprintf(&b, "    'AssertionConsumerService' => [['Binding' => %s, 'Location' => %s]],\n",
			phpString("urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"), phpString(sp.ACSURL))
		fmt.Fprintf(&b, "    'NameIDFormat' => %s,\n    'simplesaml.nameidattribute' => %s,\n",
			phpString(format), phpString(attr))
		fmt.Fprintf(&b, "    'saml20.sign.response' => %t,\n    'saml20.sign.assertion' => %t,\n",
			!sp.UnsignedResponse, !sp.UnsignedAssertion)
		if len(sp.CertPEM) > 0 {
			fmt.Fprintf(&b, "    'certData' => %s,\n", phpString(pemBody(sp.CertPEM)))
		}
		fmt.Fprintf(&b, "    'assertion.encryption' => %t,\n];\n", sp.EncryptAssertion)
	}
	return b.String()
}

// pemBody returns the base64 body of the first PEM block, without armour or newlines.
func pemBody(p []byte) string {
	var body []string
	for _, line := range strings.Split(string(p), "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "-----END") {
			break
		}
		if line != "" && !strings.HasPrefix(line, "-----") {
			body = append(body, line)
		}
	}
	return strings.Join(body, "")
}

// phpString quotes s as a single-quoted PHP string literal.
func phpString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

func phpList(items []string) string {
	q := make([]string, len(items))
	for i, it := range items {
		q[i] = phpString(it)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

func copyFile(from, to string) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return fmt.Errorf("read %s: %w", from, err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		return fmt.Errorf("write %s: %w", to, err)
	}
	return nil
}

// IdPInitiatedURL returns the URL that starts an unsolicited (IdP-initiated) login for the
// SP with the given entity ID.
func (s *SimpleSAMLphp) IdPInitiatedURL(spEntityID string) string {
	return s.SSOURL + "?spentityid=" + url.QueryEscape(spEntityID)
}

// Login drives SimpleSAMLphp's username/password form in client (nil makes a
// cookie-keeping one) from startURL (the SP's AuthnRequest redirect, or IdPInitiatedURL)
// and returns the auto-POST form with SAMLResponse and RelayState.
func (s *SimpleSAMLphp) Login(ctx context.Context, client *http.Client, startURL, user,
	password string) (*SAMLPost, error) {
	post, err := samlLogin(ctx, client, startURL, "username", "password", user, password)
	if err != nil {
		return nil, fmt.Errorf("simplesamlphp login: %w", err)
	}
	return post, nil
}
