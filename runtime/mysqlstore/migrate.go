package mysqlstore

import (
	"context"
	_ "embed"
	"fmt"
	"strconv"
	"strings"
)

//go:embed schema.sql
var schemaSQL string

// Schema returns the DDL that Migrate runs for this store (one CREATE
// TABLE IF NOT EXISTS statement, with the table name filled in), for users
// who apply migrations with their own tooling.
func (s *Store) Schema() string {
	return strings.ReplaceAll(schemaSQL, "{{table}}", s.ident)
}

// Migrate checks that the server is MariaDB 10.5 or later (the claim needs
// INSERT ... RETURNING, which MySQL lacks), creates the table and its
// index if they do not exist, and upgrades a table made by an earlier
// version of the store, which lacks the fence column:
//
//	ALTER TABLE idempotency_keys ADD COLUMN IF NOT EXISTS fence BIGINT UNSIGNED NOT NULL DEFAULT 0 AFTER token
//
// (users of their own migration tools run that once). It is idempotent and
// safe to run from many replicas at once: the server's metadata lock
// serialises the DDL, and IF NOT EXISTS makes the loser of a race a no-op.
func (s *Store) Migrate(ctx context.Context) error {
	if s.err != nil {
		return s.err
	}
	var (
		version string
		packet  int64
	)
	if err := s.db.QueryRowContext(ctx, "SELECT VERSION(), @@max_allowed_packet").Scan(&version, &packet); err != nil {
		return fmt.Errorf("mysqlstore: migrate %s: %w", s.ident, err)
	}
	if err := supported(version); err != nil {
		return fmt.Errorf("mysqlstore: migrate %s: %w", s.ident, err)
	}
	s.mu.Lock()
	s.maxPacket = packet
	s.mu.Unlock()
	if _, err := s.db.ExecContext(ctx, s.Schema()); err != nil {
		return fmt.Errorf("mysqlstore: migrate %s: %w", s.ident, err)
	}
	if err := s.addFence(ctx); err != nil {
		return fmt.Errorf("mysqlstore: migrate %s: adding the fence column: %w", s.ident, err)
	}
	return nil
}

// addFence adds the fence column to a table created before it existed. Its
// rows start at fence 0, and their next acquisition takes the clock's
// microseconds, larger than any fence a claim could have reported.
//
// The column is looked up first, because an ALTER TABLE, even one that
// turns out to have nothing to do, waits for an exclusive metadata lock,
// and while it waits every other statement on the table queues behind it:
// a replica starting while a long transaction holds the table would stall
// all the others.
func (s *Store) addFence(ctx context.Context) error {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM information_schema.COLUMNS
WHERE TABLE_SCHEMA = COALESCE(NULLIF(?, ''), DATABASE()) AND TABLE_NAME = ? AND COLUMN_NAME = 'fence'`,
		s.database, s.table).Scan(&n)
	if err != nil || n > 0 {
		return err
	}
	_, err = s.db.ExecContext(ctx, "ALTER TABLE "+s.ident+
		" ADD COLUMN IF NOT EXISTS fence BIGINT UNSIGNED NOT NULL DEFAULT 0 AFTER token")
	return err
}

// supported accepts the VERSION() of MariaDB 10.5 and later, such as
// "10.11.19-MariaDB-0+deb12u1" or "11.4.2-MariaDB".
func supported(version string) error {
	if !strings.Contains(version, "MariaDB") {
		return fmt.Errorf("server version %q is not MariaDB: the store needs MariaDB 10.5 or later (INSERT ... RETURNING)", version)
	}
	// Servers configured to look like MySQL 5.5 to old clients report
	// "5.5.5-10.11.6-MariaDB".
	version = strings.TrimPrefix(version, "5.5.5-")
	major, minor := 0, 0
	parts := strings.SplitN(version, ".", 3)
	if len(parts) >= 2 {
		major, _ = strconv.Atoi(parts[0])
		minor, _ = strconv.Atoi(parts[1])
	}
	if major < 10 || major == 10 && minor < 5 {
		return fmt.Errorf("server version %q: the store needs MariaDB 10.5 or later (INSERT ... RETURNING)", version)
	}
	return nil
}
