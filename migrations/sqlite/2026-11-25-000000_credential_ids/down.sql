CREATE TABLE credentials_old (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('staff_session', 'api_token', 'participant_link', 'participant_session')),
    staff_user_id BIGINT REFERENCES staff_users (id) ON DELETE CASCADE,
    participant_id BIGINT REFERENCES participants (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP
);
INSERT INTO credentials_old SELECT id, token_hash, kind, staff_user_id, participant_id, created_at, expires_at FROM credentials;
DROP TABLE credentials;
ALTER TABLE credentials_old RENAME TO credentials;
CREATE INDEX credentials_participant ON credentials (participant_id);
