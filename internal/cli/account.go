package cli

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/spf13/cobra"

	"github.com/castellan-vault/castellan/internal/adminclient"
	"github.com/castellan-vault/castellan/internal/bwcrypto"
)

// Account command line: `castellan account ...` is what a person without a web vault needs to get
// from nothing to a logged-in official client: create an account (register) and accept an
// organization invitation (accept-invite). Like `castellan admin` it is a client of a running
// castellan that makes every secret on this machine (adminclient, bwcrypto); it shares admin.go's
// settings, with CASTELLAN_ACCOUNT_ variables.

func init() { extraCommands = append(extraCommands, newAccount) }

// Environment variables of the account commands. The password has no flag, as for admin.
const (
	envAccountServer       = "CASTELLAN_ACCOUNT_SERVER"
	envAccountCAFile       = "CASTELLAN_ACCOUNT_CA_FILE"
	envAccountEmail        = "CASTELLAN_ACCOUNT_EMAIL"
	envAccountPassword     = "CASTELLAN_ACCOUNT_PASSWORD"
	envAccountPasswordFile = "CASTELLAN_ACCOUNT_PASSWORD_FILE"
)

var accountVars = clientVars{command: "castellan account", prefix: "CASTELLAN_ACCOUNT_", emailFlag: "email",
	server: envAccountServer, caFile: envAccountCAFile, email: envAccountEmail, password: envAccountPassword,
	passwordFile: envAccountPasswordFile}

func newAccount(environ []string) *cobra.Command {
	e := &adminEnv{environ: environ, vars: accountVars}
	cmd := &cobra.Command{
		Use:   "account",
		Short: "Create your account on a castellan server, and accept organization invitations",
		Long: "Create your account on a castellan server and accept organization invitations, for those\n" +
			"without a web vault (the official CLI can do neither). The keys are made on this machine from\n" +
			"your master password, as a Bitwarden app makes them: the password never leaves it.\n\n" +
			"The master password is read from $" + envAccountPassword + ", or from the first line of the\n" +
			"file named by --password-file or $" + envAccountPasswordFile + "; never from an argument.\n" +
			"The server is --server or $" + envAccountServer + "; with a link from an e-mail, the link's\n" +
			"own server by default, named before anything is sent. An http:// link is refused, and so is a\n" +
			"link to another server than the one named. Progress goes to stderr; results go to stdout (as\n" +
			"JSON with --json).",
		PersistentPreRunE: func(*cobra.Command, []string) error { return e.vars.checkEnviron(environ) },
	}
	pf := cmd.PersistentFlags()
	pf.StringVar(&e.server, "server", "", "castellan's URL, e.g. https://vault.example.com [$"+envAccountServer+
		"] (default: the server of the link given)")
	pf.StringVar(&e.caFile, "ca-file", "", "PEM file of the CA to trust for the server, e.g. its self-signed "+
		"certificate [$"+envAccountCAFile+"]")
	pf.StringVar(&e.email, "email", "", "your e-mail address [$"+envAccountEmail+"] (default: the link's)")
	pf.StringVar(&e.passwordFile, "password-file", "", "file whose first line is your master password "+
		"[$"+envAccountPasswordFile+"] (or set $"+envAccountPassword+")")
	pf.BoolVar(&e.jsonOut, "json", false, "print results as JSON")
	cmd.AddCommand(e.accountRegisterCmd(), e.accountAcceptCmd())
	return cmd
}

// registerFlags are the options of `account register`.
type registerFlags struct {
	name, hint, verificationLink, inviteLink string
	kdf                                      string
	iterations, memory, parallelism          int
}

func (e *adminEnv) accountRegisterCmd() *cobra.Command {
	var f registerFlags
	cmd := &cobra.Command{
		Use:   "register --email ADDRESS [--name NAME]",
		Short: "Create an account",
		Long: "Create an account with your e-mail address and master password (at least 12 characters).\n\n" +
			"Where the server verifies addresses, the first run makes it e-mail you a link; run the command\n" +
			"again with --verification-link and that link to finish (the account is made then: give the\n" +
			"--kdf options at that step). With --invite-link and the Join link of an organization\n" +
			"invitation, the invitation proves the address instead (this works where registration is\n" +
			"closed too): it is checked first, and accepted right after the account is made.\n\n" +
			"Then log in with the official CLI: bw config server URL; bw login ADDRESS.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return e.register(cmd, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.name, "name", "", "your name, as others see it (optional)")
	fl.StringVar(&f.hint, "hint", "", "a master password hint (optional; never the password itself)")
	fl.StringVar(&f.verificationLink, "verification-link", "", "the link of the verification e-mail")
	fl.StringVar(&f.inviteLink, "invite-link", "", "the Join link of an organization invitation")
	fl.StringVar(&f.kdf, "kdf", "pbkdf2", "key derivation: pbkdf2 or argon2id (with the official defaults)")
	fl.IntVar(&f.iterations, "kdf-iterations", 0, "KDF iterations (default 600000 for pbkdf2, 6 for argon2id)")
	fl.IntVar(&f.memory, "kdf-memory", 0, "argon2id memory in MiB (default 32)")
	fl.IntVar(&f.parallelism, "kdf-parallelism", 0, "argon2id parallelism (default 4)")
	cmd.MarkFlagsMutuallyExclusive("verification-link", "invite-link")
	return cmd
}

// kdf builds the KDF the flags ask for, on the official defaults.
func (f registerFlags) kdfSettings() (bwcrypto.KDF, error) {
	var k bwcrypto.KDF
	switch strings.ToLower(f.kdf) {
	case "pbkdf2":
		k = bwcrypto.DefaultKDF()
		if f.memory != 0 || f.parallelism != 0 {
			return k, errors.New("--kdf-memory and --kdf-parallelism are for --kdf argon2id")
		}
	case "argon2id":
		k = bwcrypto.DefaultArgon2id()
		if f.memory != 0 {
			k.MemoryMiB = f.memory
		}
		if f.parallelism != 0 {
			k.Parallelism = f.parallelism
		}
	default:
		return k, fmt.Errorf("--kdf %q: want pbkdf2 or argon2id", f.kdf)
	}
	if f.iterations != 0 {
		k.Iterations = f.iterations
	}
	if err := k.Validate(); err != nil {
		return k, fmt.Errorf("--kdf: %w", err)
	}
	return k, nil
}

func (e *adminEnv) register(cmd *cobra.Command, f registerFlags) error {
	kdf, err := f.kdfSettings()
	if err != nil {
		return err
	}
	reg := adminclient.Registration{Name: f.name, Hint: f.hint, KDF: kdf}
	var link string
	switch {
	case f.verificationLink != "":
		v, err := adminclient.ParseVerificationLink(f.verificationLink)
		if err != nil {
			return err
		}
		link, reg.VerificationToken = f.verificationLink, v.Token
		if err := e.linkDefaults(cmd, link, v.Email, "verification link"); err != nil {
			return err
		}
	case f.inviteLink != "":
		inv, err := adminclient.ParseInviteLink(f.inviteLink)
		if err != nil {
			return err
		}
		link, reg.Invitation = f.inviteLink, &inv
		if err := e.linkDefaults(cmd, link, inv.Email, "invitation"); err != nil {
			return err
		}
	}
	if err := e.settings(); err != nil {
		return err
	}
	if reg.Password, err = e.password(); err != nil {
		return err
	}
	reg.Email = strings.ToLower(strings.TrimSpace(e.email))
	c, err := e.newClient(cmd)
	if err != nil {
		return err
	}
	if link == "" {
		token, mailed, err := c.StartRegistration(cmd.Context(), reg.Email, reg.Name)
		if err != nil {
			return err
		}
		if mailed {
			return e.verificationMailed(cmd, reg.Email, kdfArgs(cmd))
		}
		reg.VerificationToken = token
	}
	if reg.Invitation != nil {
		// Check the invitation first (GET .../policies/token changes nothing): a link whose
		// organization, membership, address or token the server does not know creates no account.
		if _, err := c.InvitationPolicies(cmd.Context(), *reg.Invitation); err != nil {
			return fmt.Errorf("%s does not take this invitation, so no account was created: %w\n(copy the "+
				"whole Join link from the e-mail, or ask for a new invitation)", c.Server(), err)
		}
	}
	e.progress(cmd, "creating the account %s on %s (making its keys here)", reg.Email, c.Server())
	if _, err := c.Register(cmd.Context(), reg); err != nil {
		return err
	}
	if reg.Invitation == nil {
		return e.registered(cmd, c, reg.Email)
	}
	e.progress(cmd, "account created; accepting the invitation to %s", orgName(*reg.Invitation))
	err = c.Login(cmd.Context(), reg.Email, reg.Password)
	if err == nil {
		err = e.accept(cmd, c, *reg.Invitation, reg.Password)
	}
	if err != nil {
		return fmt.Errorf("%w\n(the account %s was created; accept the invitation with the same link: "+
			"castellan account accept-invite '%s')", err, reg.Email, strings.TrimSpace(link))
	}
	return nil
}

// kdfArgs repeats the key derivation flags given, for the command that finishes a registration:
// the account, and so its KDF, is made at that step.
func kdfArgs(cmd *cobra.Command) string {
	var out string
	for _, name := range []string{"kdf", "kdf-iterations", "kdf-memory", "kdf-parallelism"} {
		if fl := cmd.Flags().Lookup(name); fl != nil && fl.Changed {
			out += " --" + name + " " + fl.Value.String()
		}
	}
	return out
}

// linkDefaults checks a link's server and takes the server and the address from the link's, where
// not given; a given address must be the link's. The command sends the master password hash (or
// the new account's keys) to the server, so a link from an e-mail, which anyone can forge, must
// not pick a server silently: a plain-HTTP link is refused, a link to another server than the one
// given is refused, and the server taken from a link is named before anything is sent.
func (e *adminEnv) linkDefaults(cmd *cobra.Command, link, linkEmail, what string) error {
	u, err := url.Parse(strings.TrimSpace(link))
	if err == nil && u.Scheme != "" && u.Host != "" {
		origin := strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Host)
		if !strings.EqualFold(u.Scheme, "https") {
			return fmt.Errorf("the %s points to %s, which is not HTTPS: castellan account would send your "+
				"master password hash there unencrypted, so it refuses the link (ask for a link to the "+
				"server's https:// address)", what, origin)
		}
		given := e.server
		if given == "" {
			given = e.env(e.vars.server)
		}
		if given == "" {
			e.server = origin
			e.progress(cmd, "the %s points to %s: that server receives your login (pass --server or set %s "+
				"to name the server yourself)", what, origin, e.vars.server)
		} else if g := serverOrigin(given); g != origin {
			return fmt.Errorf("the %s points to %s, but the server is %s (--server or %s): castellan account "+
				"refuses a link to another server than the one named; check where the link came from, or "+
				"name the link's server if you trust it", what, origin, g, e.vars.server)
		}
	}
	given := e.email
	if given == "" {
		given = e.env(e.vars.email)
	}
	if given != "" && !strings.EqualFold(strings.TrimSpace(given), linkEmail) {
		return fmt.Errorf("the %s is for %s, not for %s: use it as %s (or ask for one to %s)", what, linkEmail,
			strings.TrimSpace(given), linkEmail, strings.TrimSpace(given))
	}
	e.email = linkEmail
	return nil
}

// serverOrigin is the scheme and host of a server URL as given, lower-cased, with the default port
// dropped, to compare with a link's.
func serverOrigin(raw string) string {
	raw = strings.TrimSpace(raw)
	if !strings.Contains(raw, "://") {
		raw = "https://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return strings.ToLower(raw)
	}
	scheme, host := strings.ToLower(u.Scheme), strings.ToLower(u.Host)
	if (scheme == "https" && u.Port() == "443") || (scheme == "http" && u.Port() == "80") {
		host = strings.ToLower(u.Hostname())
		if strings.Contains(host, ":") {
			host = "[" + host + "]"
		}
	}
	return scheme + "://" + host
}

// newClient builds the client for the settings, without logging in.
func (e *adminEnv) newClient(cmd *cobra.Command) (*adminclient.Client, error) {
	c, err := adminclient.New(adminclient.Options{Server: e.server, CAFile: e.caFile})
	if err != nil {
		return nil, err
	}
	if strings.HasPrefix(c.Server(), "http://") {
		e.progress(cmd, "warning: %s is plain HTTP: the password hash and the access token travel unencrypted",
			c.Server())
	}
	return c, nil
}

// accountResult is what register and accept-invite print with --json.
type accountResult struct {
	Status string `json:"status"` // verification_mailed, registered, accepted
	Email  string `json:"email"`
	Server string `json:"server"`
	// Invitation is set by an acceptance.
	Invitation *adminclient.Accepted `json:"invitation,omitempty"`
}

func (e *adminEnv) verificationMailed(cmd *cobra.Command, email, kdf string) error {
	if kdf != "" {
		// The account is made at the second step: options of its key derivation given now would be
		// lost there unless repeated (say so on stderr too, for --json).
		e.progress(cmd, "note: the account is created at the next step; repeat%s there", kdf)
	}
	if e.jsonOut {
		return printJSON(cmd, accountResult{Status: "verification_mailed", Email: email, Server: e.server})
	}
	_, err := fmt.Fprintf(stdout(cmd), "The server e-mailed a verification link to %s.\n"+
		"Finish with: castellan account register --verification-link 'LINK FROM THE E-MAIL'%s\n"+
		"(with the same master password; the link is valid for 24 hours).\n", email, kdf)
	return err
}

func (e *adminEnv) registered(cmd *cobra.Command, c *adminclient.Client, email string) error {
	if e.jsonOut {
		return printJSON(cmd, accountResult{Status: "registered", Email: email, Server: c.Server()})
	}
	_, err := fmt.Fprintf(stdout(cmd), "Created the account %s.\nLog in with the official CLI:\n"+
		"  bw config server %s\n  bw login %s\n", email, c.Server(), email)
	return err
}

func (e *adminEnv) accountAcceptCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "accept-invite LINK",
		Short: "Accept an organization invitation with your master password",
		Long: "Accept an organization invitation: LINK is the Join link of the invitation e-mail (or its\n" +
			"part after '?'). The command logs in as the invited address with your master password and\n" +
			"accepts as the web vault does; where the organization enrols its members in account recovery\n" +
			"automatically, your user key is encrypted to the organization's public key here and sent\n" +
			"with the acceptance. An administrator then confirms you; after that the organization's items\n" +
			"appear in your vault.\n\n" +
			"Without an account yet, create it from the invitation:\n" +
			"  castellan account register --invite-link LINK",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			inv, err := adminclient.ParseInviteLink(args[0])
			if err != nil {
				return err
			}
			if err := e.linkDefaults(cmd, args[0], inv.Email, "invitation"); err != nil {
				return err
			}
			c, err := e.login(cmd)
			var ae *adminclient.APIError
			if errors.As(err, &ae) && ae.Status == http.StatusBadRequest && !inv.ExistingUser {
				// The server answers a wrong password and a missing account alike, so the hint
				// claims neither: it names the way out of the second.
				return fmt.Errorf("%w\n(if %s has no account yet, create it from the invitation with: "+
					"castellan account register --invite-link LINK)", err, inv.Email)
			}
			if err != nil {
				return err
			}
			pw, err := e.password()
			if err != nil {
				return err
			}
			return e.accept(cmd, c, inv, pw)
		},
	}
}

// accept accepts inv as the logged-in c and prints the outcome.
func (e *adminEnv) accept(cmd *cobra.Command, c *adminclient.Client, inv adminclient.InviteLink,
	password string) error {
	res, err := c.AcceptInvitation(cmd.Context(), inv, password)
	if err != nil {
		return err
	}
	if len(res.PolicyWarnings) > 0 {
		e.progress(cmd, "warning: %s asks for a master password with %s; yours does not meet that",
			orgName(inv), strings.Join(res.PolicyWarnings, ", "))
	}
	if e.jsonOut {
		return printJSON(cmd, accountResult{Status: "accepted", Email: c.Email(), Server: c.Server(),
			Invitation: &res})
	}
	msg := fmt.Sprintf("Accepted the invitation to %s as %s.\n", orgName(inv), c.Email())
	if res.RecoveryEnrolled {
		msg += "The organization enrolled the account in account recovery, as its policy requires.\n"
	}
	msg += "An administrator confirms you next; then the organization's items appear in your vault " +
		"(bw sync).\n"
	_, err = fmt.Fprint(stdout(cmd), msg)
	return err
}

// orgName names the invitation's organization for messages.
func orgName(inv adminclient.InviteLink) string {
	if inv.OrganizationName != "" {
		return inv.OrganizationName
	}
	return "the organization " + inv.OrganizationID
}
