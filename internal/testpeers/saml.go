package testpeers

// SAMLUser is a user of the SAML test IdPs (SimpleSAMLphp and samlidp).
type SAMLUser struct {
	Name       string // login name; SimpleSAMLphp's uid
	Password   string
	Email      string // NameID (emailAddress format) and mail attribute
	CommonName string // SimpleSAMLphp's displayName, samlidp's cn
	GivenName  string
	Surname    string
	Groups     []string // SimpleSAMLphp's memberOf, samlidp's eduPersonAffiliation
}

// DefaultSAMLUsers returns alice / alicepass (alice@example.com, Alice Example, groups
// engineering and vault-admins) and bob / bobpass (bob@example.com, group sales).
func DefaultSAMLUsers() []SAMLUser {
	return []SAMLUser{
		{Name: "alice", Password: "alicepass", Email: "alice@example.com", CommonName: "Alice Example",
			GivenName: "Alice", Surname: "Example", Groups: []string{"engineering", "vault-admins"}},
		{Name: "bob", Password: "bobpass", Email: "bob@example.com", CommonName: "Bob Example",
			GivenName: "Bob", Surname: "Example", Groups: []string{"sales"}},
	}
}
