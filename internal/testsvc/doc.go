// Package testsvc finds the services and tools that this module's tests
// need but cannot provide themselves: Redis, PostgreSQL and MariaDB
// servers, and command-line tools such as redis-server or redocly. It is
// imported only from _test.go files.
//
// # Skip, or fail under CI
//
// A test whose service is missing ends in one of two ways:
//
//   - On a developer's machine it is skipped, with a message that names the
//     service, the address tried, the error, and how to start it. Someone
//     working on the generator should not need a database to run go test.
//   - Under CI (the CI environment variable is set to anything non-empty,
//     as CI systems do) it fails. The pipeline starts every service first
//     (.ci/services), so a missing one there is a broken pipeline, and a
//     skip would report green for tests that never ran.
//
// [Unavailable] applies the rule; every finder here goes through it, and a
// test with a requirement of its own can call it too.
//
// # Addresses
//
// Each server's address can be overridden by an environment variable;
// the defaults are the servers of the project's machines:
//
//	IDEMGEN_REDIS_URL     redis://127.0.0.1:6379/0
//	IDEMGEN_POSTGRES_URL  postgres://postgres@127.0.0.1:5432/test?sslmode=disable
//	IDEMGEN_MARIADB_DSN   root@tcp(127.0.0.1:3306)/test
//
// A value that cannot be parsed fails the test whatever CI says: it is a
// mistake to fix, not a service to start. Messages show URLs with any
// password masked.
//
// The module has no MySQL driver, so for MariaDB this package only checks
// that the server answers on TCP with a MySQL-protocol greeting, and hands
// out the address and the DSN (in the form of github.com/go-sql-driver/mysql)
// for a test that brings its own client.
//
// Reachability is checked once per test binary and address, so that
// without a server every test skips at once instead of each paying for
// its own dial timeout.
package testsvc
