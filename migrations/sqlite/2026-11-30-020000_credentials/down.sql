-- Staff emails have no relay: they go with the table's NOT NULL back.
DELETE FROM email_outbox WHERE relay_id IS NULL OR participant_id IS NULL;
CREATE TABLE email_outbox_old (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    relay_id BIGINT NOT NULL REFERENCES relays (id) ON DELETE CASCADE,
    participant_id BIGINT NOT NULL REFERENCES participants (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    to_address TEXT NOT NULL,
    params TEXT NOT NULL,
    link_token TEXT,
    status TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP
);
INSERT INTO email_outbox_old SELECT * FROM email_outbox;
DROP TABLE email_outbox;
ALTER TABLE email_outbox_old RENAME TO email_outbox;
CREATE INDEX email_outbox_due ON email_outbox (status, next_attempt_at);
CREATE INDEX email_outbox_relay_status ON email_outbox (relay_id, status);
DROP TABLE password_resets;
DROP INDEX participants_email;
DROP INDEX credentials_participant_link;
DROP INDEX credentials_staff_user;
ALTER TABLE credentials DROP COLUMN user_agent;
ALTER TABLE credentials DROP COLUMN last_used_at;
ALTER TABLE credentials DROP COLUMN name;
