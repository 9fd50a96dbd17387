-- Credentials that end (issue 14): an API token has a name; a staff session or token records
-- when it was last used (refreshed at most once a minute), which ends an idle staff session;
-- a staff session keeps the browser's user agent so its owner can tell their sessions apart.
ALTER TABLE credentials ADD COLUMN name TEXT;
ALTER TABLE credentials ADD COLUMN last_used_at TIMESTAMP;
ALTER TABLE credentials ADD COLUMN user_agent TEXT;
-- API tokens issued before tokens could expire now expire 90 days after this migration.
UPDATE credentials SET expires_at = strftime('%Y-%m-%d %H:%M:%S', 'now', '+90 days'), name = 'token'
    WHERE kind = 'api_token' AND expires_at IS NULL;
-- Lists a staff user's sessions and tokens.
CREATE INDEX credentials_staff_user ON credentials (staff_user_id);
-- A participant's newer link supersedes the older ones (after links.grace_hours): checking a
-- link reads its participant's links. The lost-link page finds participants by email.
CREATE INDEX credentials_participant_link ON credentials (participant_id, id);
CREATE INDEX participants_email ON participants (email);

-- A forgotten staff password is reset through a single-use link that works for an hour. Only
-- the secret's hash is kept; the token names the row by id (src/auth/tokens.rs).
CREATE TABLE password_resets (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    staff_user_id BIGINT NOT NULL REFERENCES staff_users (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);

-- The reset email goes through the outbox, like every email: an outbox row now belongs to a
-- relay and a participant, or to neither (a staff email). SQLite relaxes NOT NULL only by
-- rebuilding the table; nothing references it.
CREATE TABLE email_outbox_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    relay_id BIGINT REFERENCES relays (id) ON DELETE CASCADE,
    participant_id BIGINT REFERENCES participants (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    to_address TEXT NOT NULL,
    params TEXT NOT NULL,
    -- The link secret for this email, kept only until the email is sent.
    link_token TEXT,
    status TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP
);
INSERT INTO email_outbox_new SELECT id, idempotency_key, relay_id, participant_id, kind, to_address, params, link_token, status, attempts, next_attempt_at, last_error, created_at, sent_at FROM email_outbox;
DROP TABLE email_outbox;
ALTER TABLE email_outbox_new RENAME TO email_outbox;
CREATE INDEX email_outbox_due ON email_outbox (status, next_attempt_at);
CREATE INDEX email_outbox_relay_status ON email_outbox (relay_id, status);
