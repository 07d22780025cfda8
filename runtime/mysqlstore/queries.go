package mysqlstore

import "strings"

// queries holds the statements for one table, with the quoted table name
// spliced in (identifiers cannot be bound).
type queries struct {
	claim, complete, completedBy, abandon, renew, owns string
	get, set, del, deleteExpired                       string
}

// Times. Every "now" is the database's UTC_TIMESTAMP(6), so replicas whose
// clocks disagree still agree on when a lease ends. Columns are DATETIME(6)
// holding UTC, and cross the wire as microseconds since the Unix epoch
// ({{from_us}} and {{to_us}}), which makes the store indifferent to the
// DSN's parseTime and loc settings and to the session's time_zone.
// Durations travel as microseconds too.
var timeMacros = strings.NewReplacer(
	"{{now}}", "UTC_TIMESTAMP(6)",
	"{{from_us}}", "(CAST('1970-01-01' AS DATETIME(6)) + INTERVAL ? MICROSECOND)",
	"{{to_us}}(", "TIMESTAMPDIFF(MICROSECOND, '1970-01-01', ",
)

// claimSQL is the whole claim in one statement, which needs MariaDB's
// RETURNING (10.5 and later; it combines with ON DUPLICATE KEY UPDATE, and
// then returns the row as the update left it).
//
// A free key is inserted. On a duplicate, the row is taken over when it
// has expired (a record past its TTL, a claim past its lease) or is the
// caller's own claim (a retry after an ambiguous network failure);
// otherwise every column keeps its value, nothing is written, and RETURNING
// hands back the live row: a completed record to replay or another owner's
// claim. The caller tells the cases apart by the returned token. The
// duplicate row is locked for the statement, so exactly one racer takes a
// key, and replays of one key queue for a few microseconds each.
//
// The assignments run left to right and each sees the columns assigned
// before it, so the takeover condition {{take}} reads status, token and
// expires_at, and those three are assigned last, in an order that leaves
// the condition's value unchanged until the final assignment. taken_over
// and fence read the old token too, so they come first.
//
// The fence of a fresh row is the database clock in microseconds since the
// epoch (VALUES(fence) on the duplicate path); a row that is taken gets
// one more than its old fence, or the clock when that is larger, so that
// it grows across takeovers and abandons and, through the clock, across a
// row that expired or was swept and came back as fresh. The caller's own
// claim (a retry of the same acquisition) keeps its fence.
const claimSQL = `INSERT INTO {{t}} (k, token, fingerprint, lease_until, expires_at, created_at, fence)
VALUES (?, ?, ?, {{now}} + INTERVAL ? MICROSECOND, {{now}} + INTERVAL ? MICROSECOND, {{now}},
    {{to_us}}({{now}}))
ON DUPLICATE KEY UPDATE
    taken_over = IF({{take}}, IF(token <=> VALUES(token), taken_over, status IS NULL), taken_over),
    fence = IF({{take}}, IF(token <=> VALUES(token), fence, GREATEST(fence + 1, VALUES(fence))), fence),
    fingerprint = IF({{take}}, VALUES(fingerprint), fingerprint),
    lease_until = IF({{take}}, VALUES(lease_until), lease_until),
    created_at = IF({{take}}, VALUES(created_at), created_at),
    header = IF({{take}}, NULL, header),
    body = IF({{take}}, NULL, body),
    body_omitted = IF({{take}}, FALSE, body_omitted),
    status = IF({{take}}, NULL, status),
    token = IF({{take}}, VALUES(token), token),
    expires_at = IF({{take}}, VALUES(expires_at), expires_at)
RETURNING token, taken_over, fence, fingerprint, status, header, body, body_omitted,
    {{to_us}}(created_at), {{to_us}}(expires_at)`

// takeSQL is the takeover condition: the row has expired, or it is the
// caller's own claim.
const takeSQL = `(expires_at <= {{now}} OR (status IS NULL AND token = VALUES(token)))`

// completeSQL stores the record only while token owns the in-flight claim.
// An empty fingerprint keeps the one recorded at claim time; a NULL
// created_at means now; a NULL expires_at means now plus the store's TTL.
const completeSQL = `UPDATE {{t}} SET
    status = ?, header = ?, body = ?, body_omitted = ?,
    fingerprint = IF(? = '', fingerprint, ?),
    created_at = COALESCE({{from_us}}, {{now}}),
    expires_at = COALESCE({{from_us}}, {{now}} + INTERVAL ? MICROSECOND),
    lease_until = NULL
WHERE k = ? AND token = ? AND status IS NULL`

// completedBySQL tells whether token's Complete already took effect; it is
// asked only after a Complete whose outcome a broken connection hid.
const completedBySQL = `SELECT COUNT(*) FROM {{t}} WHERE k = ? AND token = ? AND status IS NOT NULL`

const abandonSQL = `DELETE FROM {{t}} WHERE k = ? AND token = ? AND status IS NULL`

// renewSQL moves the lease forward. A renewal that lands on the very
// microsecond of the previous one changes nothing, and MariaDB then
// reports no affected row; Renew asks ownsSQL before answering ErrNotOwner.
const renewSQL = `UPDATE {{t}} SET
    lease_until = {{now}} + INTERVAL ? MICROSECOND,
    expires_at = {{now}} + INTERVAL ? MICROSECOND
WHERE k = ? AND token = ? AND status IS NULL`

// ownsSQL tells whether token holds key's in-flight claim.
const ownsSQL = `SELECT COUNT(*) FROM {{t}} WHERE k = ? AND token = ? AND status IS NULL`

const getSQL = `SELECT status, header, body, {{to_us}}(created_at), {{to_us}}(expires_at) FROM {{t}}
WHERE k = ? AND status IS NOT NULL AND expires_at > {{now}}`

// setSQL is the seed Store's unconditional write: it replaces whatever the
// key holds, claim or record.
const setSQL = `INSERT INTO {{t}} (k, token, fingerprint, lease_until, taken_over,
    status, header, body, body_omitted, created_at, expires_at)
VALUES (?, NULL, '', NULL, FALSE, ?, ?, ?, FALSE, COALESCE({{from_us}}, {{now}}),
    COALESCE({{from_us}}, {{now}} + INTERVAL ? MICROSECOND))
ON DUPLICATE KEY UPDATE
    token = NULL, fingerprint = '', lease_until = NULL, taken_over = FALSE,
    status = VALUES(status), header = VALUES(header), body = VALUES(body),
    body_omitted = FALSE, created_at = VALUES(created_at), expires_at = VALUES(expires_at)`

const deleteSQL = `DELETE FROM {{t}} WHERE k = ?`

// deleteExpiredSQL removes at most ? expired rows, oldest first, through
// the expires_at index. InnoDB re-reads each row it locks, so a row that a
// claimer has just taken over (and given a future expiry) is not deleted.
const deleteExpiredSQL = `DELETE FROM {{t}} WHERE expires_at <= {{now}} ORDER BY expires_at LIMIT ?`

func buildQueries(ident string) queries {
	r := strings.NewReplacer("{{t}}", ident, "{{take}}", takeSQL)
	build := func(q string) string { return timeMacros.Replace(r.Replace(q)) }
	return queries{
		claim:         build(claimSQL),
		complete:      build(completeSQL),
		completedBy:   build(completedBySQL),
		abandon:       build(abandonSQL),
		renew:         build(renewSQL),
		owns:          build(ownsSQL),
		get:           build(getSQL),
		set:           build(setSQL),
		del:           build(deleteSQL),
		deleteExpired: build(deleteExpiredSQL),
	}
}
