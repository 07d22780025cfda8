-- Schema of the idemgen PostgreSQL idempotency store.
--
-- Migrate substitutes {{table}} with the quoted, optionally schema-qualified
-- table name, {{table_literal}} with that name as a string literal and
-- {{expires_index}} with the quoted index name, then runs the file under an
-- advisory lock. Every statement is idempotent, so running it
-- again (or from many replicas at once) changes nothing.
--
-- One row per key. A row is either
--   in flight: status IS NULL, token and lease_until set, expires_at = lease_until;
--   completed: status set, lease_until NULL, expires_at = end of the record's TTL.
-- A row whose expires_at has passed counts as absent: Claim takes it over and
-- DeleteExpired removes it.
CREATE TABLE IF NOT EXISTS {{table}} (
    -- Keys, fingerprints and headers are arbitrary bytes (NUL and non-UTF-8
    -- included), which text and jsonb cannot hold, hence bytea.
    key          bytea       PRIMARY KEY,
    -- Owner token (fence) of the claim that created the current row.
    token        text,
    -- Request fingerprint of the owner, later of the completed request.
    fingerprint  bytea       NOT NULL DEFAULT '',
    -- End of the owner's lease while in flight; NULL once completed.
    lease_until  timestamptz,
    -- The current claim replaced an owner whose lease had expired.
    taken_over   boolean     NOT NULL DEFAULT false,
    -- The stored response; status IS NULL while in flight.
    status       integer,
    -- Every value of every header, in the length-prefixed encoding of
    -- header.go (multi-valued headers such as Set-Cookie survive).
    header       bytea,
    body         bytea,
    body_omitted boolean     NOT NULL DEFAULT false,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    -- Fencing token of the current claim: each acquisition of the key sets
    -- it to greatest(previous + 1, the database clock in microseconds), so
    -- it grows even after the row was swept and the key claimed afresh.
    fence        bigint      NOT NULL DEFAULT 0
);

-- Tables created before the fence existed gain it here (0 on old rows; the
-- next claim of each key sets the clock's value). The catalogue is asked
-- first because ALTER TABLE takes an ACCESS EXCLUSIVE lock, which would
-- stall every claim and replay, even when the column is already there.
DO $pgstore$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_attribute
                   WHERE attrelid = {{table_literal}}::regclass
                     AND attname = 'fence' AND NOT attisdropped) THEN
        ALTER TABLE {{table}} ADD COLUMN fence bigint NOT NULL DEFAULT 0;
    END IF;
END
$pgstore$;

-- DeleteExpired walks this index; claims use the primary key.
CREATE INDEX IF NOT EXISTS {{expires_index}} ON {{table}} (expires_at);
