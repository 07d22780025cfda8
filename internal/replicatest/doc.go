// Package replicatest proves the shared stores across OS processes: its
// tests build the small server in ./testserver, start two replicas on
// different ports against one Redis or PostgreSQL, and check that a key
// sent to both runs its handler exactly once, also when a replica is
// killed (SIGKILL) while it holds the key.
//
// Run them with
//
//	go test ./internal/replicatest
//
// against IDEMGEN_REDIS_URL (default redis://127.0.0.1:6379/0) and
// IDEMGEN_POSTGRES_URL (default
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable). An unreachable
// server skips its tests, or fails them when CI is set.
package replicatest
