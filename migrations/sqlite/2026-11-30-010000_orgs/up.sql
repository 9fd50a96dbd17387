-- Organisations (issue 14): every relay belongs to one, staff are members with a role in each,
-- analysts read only the relays granted to them, and an audit log of who did what. An existing
-- database moves into one default organisation (the oldest, id 1 on a new database) with every
-- staff user as a member in their current role.

CREATE TABLE orgs (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    name TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

INSERT INTO orgs (name, created_at) VALUES ('Default organisation', CURRENT_TIMESTAMP);

CREATE TABLE memberships (
    org_id BIGINT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES staff_users (id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('admin', 'facilitator', 'analyst')),
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (org_id, user_id)
);
CREATE INDEX memberships_user ON memberships (user_id);

INSERT INTO memberships (org_id, user_id, role, created_at)
    SELECT (SELECT MIN(id) FROM orgs), id, role, created_at FROM staff_users;

-- Nullable because SQLite adds a foreign key column only without a default; every relay
-- gets its organisation here and at creation.
ALTER TABLE relays ADD COLUMN org_id BIGINT REFERENCES orgs (id);
UPDATE relays SET org_id = (SELECT MIN(id) FROM orgs);
CREATE INDEX relays_org ON relays (org_id);

CREATE TABLE relay_analysts (
    relay_id BIGINT NOT NULL REFERENCES relays (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES staff_users (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (relay_id, user_id)
);
CREATE INDEX relay_analysts_user ON relay_analysts (user_id);

-- Analysts read every relay before organisations existed: they keep every relay there is.
INSERT INTO relay_analysts (relay_id, user_id, created_at)
    SELECT r.id, s.id, CURRENT_TIMESTAMP FROM relays r CROSS JOIN staff_users s WHERE s.role = 'analyst';

CREATE TABLE invitations (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    token_hash TEXT NOT NULL,
    org_id BIGINT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'facilitator', 'analyst')),
    invited_by BIGINT REFERENCES staff_users (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX invitations_org ON invitations (org_id);

-- No foreign key to relays: the log outlives what it tells about.
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    at TIMESTAMP NOT NULL,
    org_id BIGINT REFERENCES orgs (id) ON DELETE CASCADE,
    actor_id BIGINT REFERENCES staff_users (id) ON DELETE SET NULL,
    actor_label TEXT NOT NULL,
    action TEXT NOT NULL,
    target_kind TEXT,
    target_id BIGINT,
    relay_id BIGINT,
    detail TEXT NOT NULL
);
CREATE INDEX audit_log_org ON audit_log (org_id, id);
CREATE INDEX audit_log_at ON audit_log (at);

-- Staff emails (invitations) go through the outbox like every other email; they belong to no
-- relay and no participant. SQLite drops NOT NULL only by rebuilding the table.
CREATE TABLE email_outbox_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    relay_id BIGINT REFERENCES relays (id) ON DELETE CASCADE,
    participant_id BIGINT REFERENCES participants (id) ON DELETE CASCADE,
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
INSERT INTO email_outbox_new SELECT id, idempotency_key, relay_id, participant_id, kind, to_address,
    params, link_token, status, attempts, next_attempt_at, last_error, created_at, sent_at
    FROM email_outbox;
DROP TABLE email_outbox;
ALTER TABLE email_outbox_new RENAME TO email_outbox;
CREATE INDEX email_outbox_due ON email_outbox (status, next_attempt_at);
CREATE INDEX email_outbox_relay_status ON email_outbox (relay_id, status);
