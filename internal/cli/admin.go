package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/castellan-vault/castellan/internal/adminclient"
)

// Admin command line: `castellan admin ...` is a client of a running castellan (any URL), not of
// its database. It logs in as an organization administrator with the master password and does the
// administrator's client-side cryptography through adminclient. Files: admin.go (settings and
// login), admin_output.go (printing), and one file per command group (admin_org.go,
// admin_members.go, admin_groups.go, admin_collections.go). A later group (sso, domains,
// policies) is one more file and one more line in newAdmin.

func init() { extraCommands = append(extraCommands, newAdmin) }

// Environment variables of the admin commands. The password has no flag on purpose: arguments are
// visible to every user of the machine (ps, /proc) and end up in shell histories.
const (
	envAdminServer       = "CASTELLAN_ADMIN_SERVER"
	envAdminCAFile       = "CASTELLAN_ADMIN_CA_FILE"
	envAdminEmail        = "CASTELLAN_ADMIN_EMAIL"
	envAdminPassword     = "CASTELLAN_ADMIN_PASSWORD"
	envAdminPasswordFile = "CASTELLAN_ADMIN_PASSWORD_FILE"
)

// clientVars are the environment variables of a family of client commands (castellan admin,
// castellan account): every variable with the prefix must be one of them, so that a misspelt one
// is refused rather than silently ignored.
type clientVars struct {
	command                                       string // for messages: "castellan admin"
	prefix                                        string
	emailFlag                                     string // the flag of one's own address
	server, caFile, email, password, passwordFile string
	extra                                         []string // more variables some commands read
}

// adminVars are castellan admin's variables.
var adminVars = clientVars{command: "castellan admin", prefix: "CASTELLAN_ADMIN_", emailFlag: "admin-email",
	server: envAdminServer, caFile: envAdminCAFile, email: envAdminEmail, password: envAdminPassword,
	passwordFile: envAdminPasswordFile, extra: []string{envAdminSSOSecret}}

// known lists the variables of the family, sorted.
func (v clientVars) known() []string {
	out := append([]string{v.server, v.caFile, v.email, v.password, v.passwordFile}, v.extra...)
	sort.Strings(out)
	return out
}

// checkEnviron refuses variables with the family's prefix that no command reads.
func (v clientVars) checkEnviron(environ []string) error {
	known := v.known()
	var unknown []string
	for _, kv := range environ {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, v.prefix) && !slices.Contains(known, k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	sort.Strings(unknown)
	return fmt.Errorf("unknown variable %s: %s reads only %s", strings.Join(unknown, ", "), v.command,
		strings.Join(known, ", "))
}

// adminEnv is what every admin (and account) command shares: the settings, the streams and, once
// logged in, the client.
type adminEnv struct {
	environ []string
	vars    clientVars

	server, caFile, email, passwordFile string
	jsonOut                             bool

	client *adminclient.Client
}

func newAdmin(environ []string) *cobra.Command {
	e := &adminEnv{environ: environ, vars: adminVars}
	cmd := &cobra.Command{
		Use:   "admin",
		Short: "Administer organizations on a castellan server as an organization owner or admin",
		Long: "Administer organizations on a running castellan server (any URL) as an organization owner or\n" +
			"admin. The command logs in with your e-mail address and master password and does the\n" +
			"client-side encryption itself, as the web vault would: the master password never leaves this\n" +
			"machine.\n\n" +
			"The master password is read from $" + envAdminPassword + ", or from the first line of the\n" +
			"file named by --password-file or $" + envAdminPasswordFile + "; never from an argument.\n" +
			"Progress goes to stderr; results go to stdout (as JSON with --json).",
		PersistentPreRunE: func(*cobra.Command, []string) error { return e.vars.checkEnviron(environ) },
	}
	pf := cmd.PersistentFlags()
	pf.StringVar(&e.server, "server", "", "castellan's URL, e.g. https://vault.example.com [$"+envAdminServer+"]")
	pf.StringVar(&e.caFile, "ca-file", "", "PEM file of the CA to trust for the server, e.g. its self-signed "+
		"certificate [$"+envAdminCAFile+"]")
	pf.StringVar(&e.email, "admin-email", "", "your e-mail address [$"+envAdminEmail+"]")
	// --email was the first name of --admin-email. `members invite` takes --email for the invitees,
	// so one name could not serve everywhere; the old one stays, hidden, for scripts that use it.
	pf.StringVar(&e.email, "email", "", "your e-mail address")
	_ = pf.MarkDeprecated("email", "use --admin-email")
	pf.StringVar(&e.passwordFile, "password-file", "", "file whose first line is your master password "+
		"[$"+envAdminPasswordFile+"] (or set $"+envAdminPassword+")")
	pf.BoolVar(&e.jsonOut, "json", false, "print results as JSON")
	cmd.AddCommand(e.orgCmd(), e.membersCmd(), e.groupsCmd(), e.collectionsCmd(), e.ssoCmd(),
		e.policiesCmd(), e.domainsCmd())
	return cmd
}

// env returns the value of an environment variable from the environment NewRoot was given.
func (e *adminEnv) env(key string) string {
	for _, kv := range e.environ {
		if k, v, ok := strings.Cut(kv, "="); ok && k == key {
			return v
		}
	}
	return ""
}

// settings fills what the flags left empty from the environment and checks that nothing is missing.
func (e *adminEnv) settings() error {
	fill := func(v *string, key string) {
		if *v == "" {
			*v = e.env(key)
		}
	}
	fill(&e.server, e.vars.server)
	fill(&e.caFile, e.vars.caFile)
	fill(&e.email, e.vars.email)
	fill(&e.passwordFile, e.vars.passwordFile)
	if e.server == "" {
		return errors.New("no server: pass --server or set " + e.vars.server)
	}
	if e.email == "" {
		return errors.New("no e-mail address: pass --" + e.vars.emailFlag + " or set " + e.vars.email)
	}
	return nil
}

// password reads the master password from the environment or the password file.
func (e *adminEnv) password() (string, error) {
	pw := e.env(e.vars.password)
	if e.passwordFile != "" {
		if pw != "" {
			return "", errors.New("set either " + e.vars.password + " or a password file, not both")
		}
		raw, err := os.ReadFile(e.passwordFile)
		if err != nil {
			return "", fmt.Errorf("read the password file: %w", err)
		}
		pw, _, _ = strings.Cut(string(raw), "\n")
		pw = strings.TrimSuffix(pw, "\r")
	}
	if pw == "" {
		return "", errors.New("no master password: set " + e.vars.password + " or pass --password-file " +
			"(it is never taken as an argument)")
	}
	return pw, nil
}

// login logs in once per command and returns the client.
func (e *adminEnv) login(cmd *cobra.Command) (*adminclient.Client, error) {
	if e.client != nil {
		return e.client, nil
	}
	if err := e.settings(); err != nil {
		return nil, err
	}
	pw, err := e.password()
	if err != nil {
		return nil, err
	}
	c, err := adminclient.New(adminclient.Options{Server: e.server, CAFile: e.caFile})
	if err != nil {
		return nil, err
	}
	if strings.HasPrefix(c.Server(), "http://") {
		e.progress(cmd, "warning: %s is plain HTTP: the password hash and the access token travel unencrypted",
			c.Server())
	}
	e.progress(cmd, "logging in to %s as %s", c.Server(), strings.ToLower(strings.TrimSpace(e.email)))
	if err := c.Login(cmd.Context(), e.email, pw); err != nil {
		return nil, err
	}
	e.client = c
	return c, nil
}

// progress writes one line to stderr.
func (e *adminEnv) progress(cmd *cobra.Command, format string, args ...any) {
	_, _ = fmt.Fprintf(cmd.ErrOrStderr(), format+"\n", args...)
}

// stdout is where results go.
func stdout(cmd *cobra.Command) io.Writer { return cmd.OutOrStdout() }

// requireFlag fails when a required string flag is empty.
func requireFlag(name, value string) error {
	if strings.TrimSpace(value) == "" {
		return fmt.Errorf("--%s is required", name)
	}
	return nil
}
