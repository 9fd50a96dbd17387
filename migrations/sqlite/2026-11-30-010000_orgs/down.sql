-- Staff emails (no relay) cannot go back into an outbox that requires one.
DELETE FROM email_outbox WHERE relay_id IS NULL OR participant_id IS NULL;
CREATE TABLE email_outbox_old (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    relay_id BIGINT NOT NULL REFERENCES relays (id) ON DELETE CASCADE,
    participant_id BIGINT NOT NULL REFERENCES participants (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    to_address TEXT NOT NULL,
    params TEXT NOT NULL,
    -- The magic-link secret for this email, kept only until the email is sent.
    link_token TEXT,
    status TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP
);
INSERT INTO email_outbox_old SELECT id, idempotency_key, relay_id, participant_id, kind, to_address,
    params, link_token, status, attempts, next_attempt_at, last_error, created_at, sent_at
    FROM email_outbox;
DROP TABLE email_outbox;
ALTER TABLE email_outbox_old RENAME TO email_outbox;
CREATE INDEX email_outbox_due ON email_outbox (status, next_attempt_at);
CREATE INDEX email_outbox_relay_status ON email_outbox (relay_id, status);
DROP TABLE audit_log;
DROP TABLE invitations;
DROP TABLE relay_analysts;
DROP INDEX relays_org;
ALTER TABLE relays DROP COLUMN org_id;
DROP TABLE memberships;
DROP TABLE orgs;
