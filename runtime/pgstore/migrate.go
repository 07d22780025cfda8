package pgstore

import (
	"context"
	_ "embed"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

//go:embed schema.sql
var schemaSQL string

// migrateLockKey names the advisory lock that serialises concurrent
// migrations: CREATE ... IF NOT EXISTS alone can still fail with a unique
// violation in the catalogue when two sessions race.
const migrateLockKey = "idemgen.pgstore.migrate"

// Schema returns the DDL that Migrate runs for this store, with the table
// and index names filled in, for users who apply migrations with their own
// tooling.
func (s *Store) Schema() string {
	index := pgx.Identifier{s.table + "_expires_at_idx"}.Sanitize()
	literal := "'" + strings.ReplaceAll(s.ident, "'", "''") + "'"
	return strings.NewReplacer("{{table}}", s.ident, "{{table_literal}}", literal, "{{expires_index}}", index).Replace(schemaSQL)
}

// Migrate creates the schema (when [WithSchema] was given), the table and
// its index if they do not exist, and adds the columns later versions
// introduced (fence) to a table an earlier version created. It is idempotent and safe to run from
// many replicas at once: the work happens in one transaction under a
// transaction-scoped advisory lock.
func (s *Store) Migrate(ctx context.Context) error {
	if s.err != nil {
		return s.err
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("pgstore: migrate %s: begin: %w", s.ident, err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // no-op after Commit
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", migrateLockKey); err != nil {
		return fmt.Errorf("pgstore: migrate %s: advisory lock: %w", s.ident, err)
	}
	if s.schema != "" {
		if _, err := tx.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+pgx.Identifier{s.schema}.Sanitize()); err != nil {
			return fmt.Errorf("pgstore: migrate %s: create schema: %w", s.ident, err)
		}
	}
	// No arguments: pgx sends this over the simple protocol, which accepts
	// several statements in one string.
	if _, err := tx.Exec(ctx, s.Schema()); err != nil {
		return fmt.Errorf("pgstore: migrate %s: %w", s.ident, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("pgstore: migrate %s: commit: %w", s.ident, err)
	}
	return nil
}
