package storage

import (
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
)

// Target is a parsed DATABASE_URL: which engine, the driver's DSN, and a description that is safe to
// log (it never contains a password).
type Target struct {
	Dialect Dialect
	Driver  string
	DSN     string
	Safe    string
}

// sqlitePragmas are applied to every SQLite connection: WAL so readers don't block the writer, a
// busy timeout so concurrent writers wait instead of failing, and foreign keys, which SQLite leaves
// off by default. _txlock=immediate takes the write lock at BEGIN, so a transaction that reads and
// then writes cannot fail half-way with SQLITE_BUSY.
const sqlitePragmas = "_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)" +
	"&_pragma=synchronous(NORMAL)&_txlock=immediate"

// ParseURL turns a DATABASE_URL into a Target. An empty URL means the SQLite file castellan.db in
// dataDir. Error messages never include the URL, which may hold a password.
func ParseURL(raw, dataDir string) (Target, error) {
	if raw == "" {
		return sqliteTarget(filepath.Join(dataDir, "castellan.db"))
	}
	scheme, _, ok := strings.Cut(raw, "://")
	if !ok {
		return Target{}, fmt.Errorf("want a URL such as sqlite:///path, postgres://host/db or mysql://host/db")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return Target{}, fmt.Errorf("the %s URL is malformed", scheme)
	}
	switch strings.ToLower(scheme) {
	case "sqlite", "sqlite3":
		path := u.Path
		if u.Host != "" { // sqlite://relative/file.db
			path = u.Host + u.Path
		}
		if path == "" {
			return Target{}, fmt.Errorf("the sqlite URL has no file path (want sqlite:///path/to/file.db)")
		}
		return sqliteTarget(path)
	case "postgres", "postgresql":
		return postgresTarget(u, raw)
	case "mysql", "mariadb":
		return mysqlTarget(u)
	}
	return Target{}, fmt.Errorf("unsupported scheme %q (want sqlite, postgres, postgresql or mysql)", scheme)
}

// Path returns the file of a SQLite target ("" for the other engines).
func (t Target) Path() string {
	if t.Dialect != SQLite {
		return ""
	}
	return strings.TrimPrefix(strings.SplitN(t.DSN, "?", 2)[0], "file:")
}

func sqliteTarget(path string) (Target, error) {
	return Target{
		Dialect: SQLite, Driver: "sqlite",
		DSN:  "file:" + path + "?" + sqlitePragmas,
		Safe: "sqlite " + path,
	}, nil
}

func postgresTarget(u *url.URL, raw string) (Target, error) {
	if u.Host == "" {
		return Target{}, fmt.Errorf("the postgres URL has no host")
	}
	db := strings.TrimPrefix(u.Path, "/")
	return Target{Dialect: Postgres, Driver: "pgx", DSN: raw, Safe: "postgres " + u.Host + "/" + db}, nil
}

func mysqlTarget(u *url.URL) (Target, error) {
	db := strings.TrimPrefix(u.Path, "/")
	if u.Host == "" || db == "" {
		return Target{}, fmt.Errorf("the mysql URL needs a host and a database (mysql://user:pass@host:3306/db)")
	}
	addr := u.Host
	if _, _, err := net.SplitHostPort(addr); err != nil {
		addr = net.JoinHostPort(addr, "3306")
	}
	cfg, err := mysql.ParseDSN("tcp(" + addr + ")/" + db + "?" + u.RawQuery)
	if err != nil {
		return Target{}, fmt.Errorf("the mysql URL has invalid options")
	}
	cfg.User = u.User.Username()
	cfg.Passwd, _ = u.User.Password()
	cfg.ParseTime = true
	cfg.Loc = time.UTC
	if cfg.Params == nil {
		cfg.Params = map[string]string{}
	}
	cfg.Params["time_zone"] = "'+00:00'"
	return Target{Dialect: MySQL, Driver: "mysql", DSN: cfg.FormatDSN(), Safe: "mysql " + cfg.Addr + "/" + db}, nil
}
