-- Schema of the idemgen MariaDB idempotency store (MariaDB 10.5 or later).
--
-- Migrate substitutes {{table}} with the quoted, optionally
-- database-qualified table name and runs this one statement, which is
-- idempotent: running it again, or from many replicas at once, changes
-- nothing.
--
-- One row per key. A row is either
--   in flight: status IS NULL, token and lease_until set, expires_at = lease_until;
--   completed: status set, lease_until NULL, expires_at = end of the record's TTL.
-- A row whose expires_at has passed counts as absent: Claim takes it over and
-- DeleteExpired removes it. Times are UTC, from the server's UTC_TIMESTAMP(6).
CREATE TABLE IF NOT EXISTS {{table}} (
    -- Keys, tokens and fingerprints are compared as bytes (NUL and
    -- non-UTF-8 included, no collation folding case), hence binary types.
    -- 512 bytes keeps the primary key under InnoDB's smallest index limit.
    k            VARBINARY(512) NOT NULL,
    -- Owner token of the claim that created the current row: Complete,
    -- Abandon and Renew act only while it matches.
    token        VARBINARY(64),
    -- Fencing number of the current owner (Claim.Fence): larger for every
    -- acquisition of the key, never below the clock's microseconds since
    -- the epoch at the acquisition. Tables made before it existed gain it
    -- through Migrate (ALTER TABLE ... ADD COLUMN IF NOT EXISTS, see
    -- migrate.go).
    fence        BIGINT UNSIGNED NOT NULL DEFAULT 0,
    -- Request fingerprint of the owner, later of the completed request.
    fingerprint  BLOB           NOT NULL,
    -- End of the owner's lease while in flight; NULL once completed.
    lease_until  DATETIME(6),
    -- The current claim replaced an owner whose lease had expired.
    taken_over   BOOLEAN        NOT NULL DEFAULT FALSE,
    -- The stored response; status IS NULL while in flight.
    status       INT,
    -- Every value of every header, in the length-prefixed encoding of
    -- header.go (multi-valued headers such as Set-Cookie survive).
    header       LONGBLOB,
    -- LONGBLOB, but a record is bounded by max_allowed_packet: see size.go.
    body         LONGBLOB,
    body_omitted BOOLEAN        NOT NULL DEFAULT FALSE,
    created_at   DATETIME(6)    NOT NULL,
    expires_at   DATETIME(6)    NOT NULL,
    PRIMARY KEY (k),
    -- DeleteExpired walks this index; claims use the primary key.
    KEY expires_at_idx (expires_at)
) ENGINE = InnoDB
