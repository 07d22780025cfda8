package pgstore

import "strings"

// queries holds the statements for one table. They are built once per
// Store; pgx prepares and caches each per connection, so the table name is
// spliced in (quoted) rather than bound.
type queries struct {
	claim, complete, completedBy, abandon, renew string
	get, set, del, deleteExpired                 string
}

// Durations travel as bigint microseconds: $n::bigint * interval '1 microsecond'.
//
// claimSQL is the whole claim in one statement. cur reads the key's live
// row, if any, from the statement's snapshot: a completed record or
// someone else's unexpired claim is returned as it is, without a lock or a
// write, so a replay is a plain index read. Otherwise the INSERT takes the
// key; ON CONFLICT takes it over when the row has expired (a record past its
// TTL, or a claim past its lease) or when the row is the caller's own claim
// (a retry after an ambiguous network failure). The conflict check runs on
// the latest row version under a row lock, so exactly one racer wins. A
// racer whose snapshot predates the winner's commit finds neither branch
// yielding a row; Claim then runs the statement again with a new snapshot.
//
// The fence of a new acquisition is the previous one plus one, or the
// database clock in microseconds when that is larger: a key claimed again
// after its row was swept (no previous fence to add to) still gets a larger
// fence than its last owner, whose fence was at most that clock then, give
// or take a few acquisitions within one microsecond. The caller's own retry
// keeps its fence: it is the same acquisition.
const claimSQL = `WITH cur AS (
    SELECT fingerprint, status, header, body, body_omitted, created_at, expires_at
    FROM {{t}}
    WHERE key = $1 AND expires_at > now() AND token IS DISTINCT FROM $2
), claimed AS (
    INSERT INTO {{t}} AS t (key, token, fingerprint, lease_until, expires_at, created_at, fence)
    SELECT $1, $2, $3, now() + $4::bigint * interval '1 microsecond',
           now() + $4::bigint * interval '1 microsecond', now(),
           (extract(epoch FROM now()) * 1000000)::bigint
    WHERE NOT EXISTS (SELECT FROM cur)
    ON CONFLICT (key) DO UPDATE SET
        token = excluded.token,
        fingerprint = excluded.fingerprint,
        lease_until = excluded.lease_until,
        expires_at = excluded.expires_at,
        created_at = excluded.created_at,
        taken_over = CASE WHEN t.token = excluded.token THEN t.taken_over ELSE t.status IS NULL END,
        fence = CASE WHEN t.token = excluded.token THEN t.fence ELSE greatest(t.fence + 1, excluded.fence) END,
        status = NULL, header = NULL, body = NULL, body_omitted = false
    WHERE t.expires_at <= now() OR (t.status IS NULL AND t.token = excluded.token)
    RETURNING t.taken_over, t.fence
)
SELECT true, taken_over, fence, ''::bytea, NULL::integer, NULL::bytea, NULL::bytea,
       false, NULL::timestamptz, NULL::timestamptz
FROM claimed
UNION ALL
SELECT false, false, 0::bigint, fingerprint, status, header, body, body_omitted, created_at, expires_at
FROM cur`

// completeSQL stores the record only while token owns the in-flight claim.
// An empty fingerprint ($7) keeps the one recorded at claim time; a NULL
// created_at ($8) means the database's now(); a NULL expires_at ($9) means
// now() plus the store's TTL ($10). "Now" is statement_timestamp(), not
// now(): Tx.Commit runs this at the end of the handler's transaction, whose
// now() is the time it began.
const completeSQL = `UPDATE {{t}} SET
    status = $3, header = $4, body = $5, body_omitted = $6,
    fingerprint = CASE WHEN $7::bytea = '' THEN fingerprint ELSE $7::bytea END,
    created_at = coalesce($8::timestamptz, statement_timestamp()),
    expires_at = coalesce($9::timestamptz, statement_timestamp() + $10::bigint * interval '1 microsecond'),
    lease_until = NULL
WHERE key = $1 AND token = $2 AND status IS NULL`

// completedBySQL tells whether token's Complete already took effect; it is
// asked only after a Complete whose outcome a broken connection hid.
const completedBySQL = `SELECT EXISTS (SELECT FROM {{t}} WHERE key = $1 AND token = $2 AND status IS NOT NULL)`

const abandonSQL = `DELETE FROM {{t}} WHERE key = $1 AND token = $2 AND status IS NULL`

const renewSQL = `UPDATE {{t}} SET
    lease_until = now() + $3::bigint * interval '1 microsecond',
    expires_at = now() + $3::bigint * interval '1 microsecond'
WHERE key = $1 AND token = $2 AND status IS NULL`

const getSQL = `SELECT status, header, body, created_at, expires_at FROM {{t}}
WHERE key = $1 AND status IS NOT NULL AND expires_at > now()`

// setSQL is the seed Store's unconditional write: it replaces whatever the
// key holds, claim or record.
const setSQL = `INSERT INTO {{t}} AS t (key, token, fingerprint, lease_until, taken_over,
    status, header, body, body_omitted, created_at, expires_at)
VALUES ($1, NULL, ''::bytea, NULL, false, $2, $3, $4, false, coalesce($5::timestamptz, now()),
    coalesce($6::timestamptz, now() + $7::bigint * interval '1 microsecond'))
ON CONFLICT (key) DO UPDATE SET
    token = NULL, fingerprint = ''::bytea, lease_until = NULL, taken_over = false,
    status = excluded.status, header = excluded.header, body = excluded.body,
    body_omitted = false, created_at = excluded.created_at, expires_at = excluded.expires_at`

const deleteSQL = `DELETE FROM {{t}} WHERE key = $1`

// deleteExpiredSQL removes at most $1 expired rows. SKIP LOCKED leaves rows
// that a claimer is taking over (or another sweeper is deleting) alone, so
// sweeps never wait on the request path.
const deleteExpiredSQL = `DELETE FROM {{t}}
WHERE key = ANY (ARRAY (
    SELECT key FROM {{t}} WHERE expires_at <= now()
    LIMIT $1 FOR UPDATE SKIP LOCKED))
AND expires_at <= now()`

func buildQueries(ident string) queries {
	r := strings.NewReplacer("{{t}}", ident)
	return queries{
		claim:         r.Replace(claimSQL),
		complete:      r.Replace(completeSQL),
		completedBy:   r.Replace(completedBySQL),
		abandon:       r.Replace(abandonSQL),
		renew:         r.Replace(renewSQL),
		get:           r.Replace(getSQL),
		set:           r.Replace(setSQL),
		del:           r.Replace(deleteSQL),
		deleteExpired: r.Replace(deleteExpiredSQL),
	}
}
