package pgstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// planNode is the part of EXPLAIN (FORMAT JSON) output the checks read.
type planNode struct {
	NodeType        string     `json:"Node Type"`
	IndexName       string     `json:"Index Name"`
	RelationName    string     `json:"Relation Name"`
	ConflictIndexes []string   `json:"Conflict Arbiter Indexes"`
	Plans           []planNode `json:"Plans"`
}

func (n planNode) walk(fn func(planNode)) {
	fn(n)
	for _, c := range n.Plans {
		c.walk(fn)
	}
}

func (n planNode) String() string {
	var b strings.Builder
	n.walk(func(p planNode) {
		fmt.Fprintf(&b, "[%s %s %s %v] ", p.NodeType, p.RelationName, p.IndexName, p.ConflictIndexes)
	})
	return b.String()
}

// TestQueryPlansUseIndexes asks the planner, on a table big enough and
// analysed so that its choices are its own, how it runs each statement:
// every scan of the table must go through an index, and the claim's INSERT
// must resolve conflicts on the primary key.
func TestQueryPlansUseIndexes(t *testing.T) {
	s, pool := newStore(t)
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `INSERT INTO `+s.Table()+` (key, token, fingerprint, status, body, expires_at)
		SELECT convert_to('key-' || g, 'UTF8'), 'tok-' || g, convert_to('fp', 'UTF8'), 200,
		       convert_to(repeat('x', 200), 'UTF8'), now() + interval '1 hour'
		FROM generate_series(1, 20000) g`); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `ANALYZE `+s.Table()); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	key, fp := []byte("key-123"), []byte("fp")
	pkey := s.table + "_pkey"
	cases := []struct {
		name      string
		sql       string
		args      []any
		wantIndex string
		arbiter   bool
	}{
		{"claim (replay of a completed key)", s.q.claim, []any{key, "new-token", fp, int64(30e6)}, pkey, true},
		{"claim (fresh key)", s.q.claim, []any{[]byte("absent"), "new-token", fp, int64(30e6)}, pkey, true},
		{"complete", s.q.complete, []any{key, "tok-123", int32(200), []byte{0}, []byte("b"), false, fp, &now, &now, int64(1e6)}, pkey, false},
		{"abandon", s.q.abandon, []any{key, "tok-123"}, pkey, false},
		{"renew", s.q.renew, []any{key, "tok-123", int64(1e6)}, pkey, false},
		{"seed get", s.q.get, []any{key}, pkey, false},
		{"delete expired", s.q.deleteExpired, []any{1000}, s.table + "_expires_at_idx", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, problem := range planProblems(t, pool, tc.sql, tc.args, tc.wantIndex, tc.arbiter, pkey) {
				t.Error(problem)
			}
		})
	}
	// The checker itself must see a sequential scan where one is certain:
	// nothing indexes the body.
	if len(planProblems(t, pool, `SELECT count(*) FROM `+s.Table()+` WHERE body = $1`, []any{[]byte("x")}, pkey, false, pkey)) == 0 {
		t.Error("a scan on an unindexed column passed the plan checks")
	}
}

func planProblems(t *testing.T, pool *pgxpool.Pool, sql string, args []any, wantIndex string, wantArbiter bool, pkey string) []string {
	t.Helper()
	var raw []byte
	if err := pool.QueryRow(context.Background(), "EXPLAIN (FORMAT JSON) "+sql, args...).Scan(&raw); err != nil {
		t.Fatal(err)
	}
	var plans []struct {
		Plan planNode `json:"Plan"`
	}
	if err := json.Unmarshal(raw, &plans); err != nil || len(plans) != 1 {
		t.Fatalf("EXPLAIN output %s: %v", raw, err)
	}
	root := plans[0].Plan
	var problems []string
	usedIndex, arbiter := false, false
	root.walk(func(n planNode) {
		if strings.Contains(n.NodeType, "Seq Scan") {
			problems = append(problems, fmt.Sprintf("sequential scan of %s in plan %v", n.RelationName, root))
		}
		usedIndex = usedIndex || n.IndexName == wantIndex
		for _, idx := range n.ConflictIndexes {
			arbiter = arbiter || idx == pkey
		}
	})
	if !usedIndex {
		problems = append(problems, fmt.Sprintf("index %s not used; plan %v", wantIndex, root))
	}
	if wantArbiter && !arbiter {
		problems = append(problems, fmt.Sprintf("INSERT does not resolve conflicts on %s; plan %v", pkey, root))
	}
	return problems
}
