// Package e2e holds castellan's end-to-end acceptance tests: the real `castellan serve` binary
// (started by castellantest, over TLS, on a fresh database) driven by the official clients
// (started by testpeers), with every secret made by bwcrypto so that the tests can check, on the
// server's side, what the clients encrypted.
//
// It is imported only from tests. Files:
//   - harness.go: registering a user through the API as the web vault does, the harness's own
//     login and JSON calls, and decrypting what the server stored.
//   - bwcli_test.go: issue 3's acceptance test, the official Bitwarden CLI against castellan on
//     SQLite and PostgreSQL: login, sync, items, API-key login and unlock, export and import, and
//     the CLI's own message for a wrong password.
//
// Missing tools (node and the pinned CLI from scripts/install-test-tools, or a database server)
// skip these tests locally and fail them under CI=true.
package e2e
