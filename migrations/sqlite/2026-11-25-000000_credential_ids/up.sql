-- Tokens now name their credential by id and prove themselves with a secret checked against
-- the stored hash (see src/auth/tokens.rs), so no lookup by hash remains. Its UNIQUE index was
-- keyed by random values: every new credential (one per email) dirtied a random index page,
-- a quarter of the pages a busy relay wrote at each commit. SQLite drops a UNIQUE constraint
-- only by rebuilding the table. Tokens issued before this migration no longer match the token
-- format and stop working: staff log in again; participant links sent earlier must be resent.
CREATE TABLE credentials_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    token_hash TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('staff_session', 'api_token', 'participant_link', 'participant_session')),
    staff_user_id BIGINT REFERENCES staff_users (id) ON DELETE CASCADE,
    participant_id BIGINT REFERENCES participants (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP
);
INSERT INTO credentials_new SELECT id, token_hash, kind, staff_user_id, participant_id, created_at, expires_at FROM credentials;
DROP TABLE credentials;
ALTER TABLE credentials_new RENAME TO credentials;
CREATE INDEX credentials_participant ON credentials (participant_id);
