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
// claimSQL is the whole claim in one statement. The INSERT takes the key
// when it is free; ON CONFLICT takes it over when the row has expired (a
// finished record past its TTL, or a claim past its lease) or when the row is
// the caller's own claim (a retry after an ambiguous network failure). When
// the INSERT yields nothing, the second branch returns the live row that
// blocked it. That branch reads the statement's snapshot, which can miss a
// row committed by a racing claimer after the statement began; then the
// statement returns no row and Claim runs it again.
const claimSQL = `WITH claimed AS (
    INSERT INTO {{t}} AS t (key, token, fingerprint, lease_until, expires_at, created_at)
    VALUES ($1, $2, $3, now() + $4::bigint * interval '1 microsecond',
            now() + $4::bigint * interval '1 microsecond', now())
    ON CONFLICT (key) DO UPDATE SET
        token = excluded.token,
        fingerprint = excluded.fingerprint,
        lease_until = excluded.lease_until,
        expires_at = excluded.expires_at,
        created_at = excluded.created_at,
        taken_over = CASE WHEN t.token = excluded.token THEN t.taken_over ELSE t.status IS NULL END,
        status = NULL, header = NULL, body = NULL, body_omitted = false
    WHERE t.expires_at <= now() OR (t.status IS NULL AND t.token = excluded.token)
    RETURNING t.taken_over
)
SELECT true, taken_over, ''::text, 0::bigint, NULL::integer, NULL::jsonb, NULL::bytea,
       false, NULL::timestamptz, NULL::timestamptz
FROM claimed
UNION ALL
SELECT false, false, fingerprint,
       coalesce((extract(epoch FROM lease_until - now()) * 1000000)::bigint, 0),
       status, header, body, body_omitted, created_at, expires_at
FROM {{t}}
WHERE key = $1 AND expires_at > now() AND NOT EXISTS (SELECT FROM claimed)`

// completeSQL stores the record only while token owns the in-flight claim.
// An empty fingerprint ($7) keeps the one recorded at claim time; a NULL
// created_at ($8) means the database's now().
const completeSQL = `UPDATE {{t}} SET
    status = $3, header = $4, body = $5, body_omitted = $6,
    fingerprint = CASE WHEN $7::text = '' THEN fingerprint ELSE $7::text END,
    created_at = coalesce($8::timestamptz, now()),
    expires_at = now() + $9::bigint * interval '1 microsecond',
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
VALUES ($1, NULL, '', NULL, false, $2, $3, $4, false, coalesce($5::timestamptz, now()),
    now() + $6::bigint * interval '1 microsecond')
ON CONFLICT (key) DO UPDATE SET
    token = NULL, fingerprint = '', lease_until = NULL, taken_over = false,
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
