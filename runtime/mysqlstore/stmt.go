package mysqlstore

import (
	"context"
	"database/sql"
)

// stmt returns query prepared on the pool, preparing it on first use.
// A transaction runs it as tx.StmtContext(ctx, st), which reuses the
// statement already prepared on the transaction's connection (tx.go).
func (s *Store) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st, ok := s.stmts[query]; ok {
		return st, nil
	}
	st, err := s.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	s.stmts[query] = st
	return st, nil
}
