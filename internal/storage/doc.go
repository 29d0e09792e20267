// Package storage opens castellan's database and owns its schema.
//
// One SQL dialect layer serves three engines: SQLite (modernc.org/sqlite, the embedded default),
// PostgreSQL (pgx through database/sql) and MariaDB or MySQL (go-sql-driver/mysql). Queries are
// written once with `?` placeholders; [DB] rewrites them to `$n` for PostgreSQL and nothing else.
// Where the engines differ in more than placeholders (upserts, column types), the code branches on
// [Dialect] in plain sight instead of translating SQL text.
//
// Files:
//   - url.go: DATABASE_URL parsing into a driver name and DSN, without ever printing credentials.
//   - storage.go: [Open], the [DB] and [Tx] wrappers, [Querier], transactions and error mapping
//     ([ErrNotFound], [ErrConflict]). A DB carries the sealer of CASTELLAN_SEAL_KEY ([DB.Sealer]),
//     which the stores that keep a secret (settings, signing keys) seal it with.
//   - migrate.go: goose migrations embedded from migrations/<dialect>/, numbered identically for every
//     engine, and the refusal of a schema newer than this binary ([ErrSchemaTooNew]).
//   - migrate_lock.go: the session lock that makes processes starting together on PostgreSQL or
//     MariaDB migrate one after the other, and logs when one waits for another.
//   - lock.go: named leases in the database, so that one castellan process runs each background job.
//
// Each concern (accounts, organizations, SSO, ...) defines its own store interface in its own package
// and implements it on [Querier]. The storagetest package runs a concern's conformance suite against
// all three engines, each run on a fresh database.
package storage
