-- Stafet's first schema. Timestamps are UTC, stored as diesel's TIMESTAMP text; booleans as
-- integers; ids as 64-bit integers. Kept to SQL that PostgreSQL also takes (bar AUTOINCREMENT).

CREATE TABLE staff_users (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    email TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL CHECK (role IN ('admin', 'facilitator', 'analyst')),
    password_hash TEXT NOT NULL,
    is_suspended BOOLEAN NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE relays (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    title TEXT NOT NULL,
    topic TEXT NOT NULL,
    purpose TEXT NOT NULL,
    language TEXT NOT NULL,
    timezone TEXT NOT NULL,
    state TEXT NOT NULL,
    recipient_choice TEXT NOT NULL,
    cross_group BOOLEAN NOT NULL,
    max_inbox INTEGER NOT NULL,
    batons_per_round INTEGER NOT NULL,
    max_batons INTEGER NOT NULL,
    asker_anonymous BOOLEAN NOT NULL,
    show_asker_group BOOLEAN NOT NULL,
    reminder_after_hours INTEGER NOT NULL,
    reroute_after_hours INTEGER NOT NULL,
    share_output BOOLEAN NOT NULL,
    seed BIGINT NOT NULL,
    rounds_started INTEGER NOT NULL DEFAULT 0,
    created_by BIGINT REFERENCES staff_users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    scheduled_at TIMESTAMP,
    opened_at TIMESTAMP,
    closed_at TIMESTAMP
);
CREATE INDEX relays_state ON relays (state);

CREATE TABLE rounds (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    relay_id BIGINT NOT NULL REFERENCES relays (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    starts_at TIMESTAMP NOT NULL,
    ends_at TIMESTAMP NOT NULL,
    prompt TEXT,
    UNIQUE (relay_id, position)
);

CREATE TABLE groups (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    relay_id BIGINT NOT NULL REFERENCES relays (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    UNIQUE (relay_id, name)
);

CREATE TABLE participants (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    relay_id BIGINT NOT NULL REFERENCES relays (id) ON DELETE CASCADE,
    group_id BIGINT NOT NULL REFERENCES groups (id),
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    title TEXT,
    organisation TEXT,
    pseudonym TEXT NOT NULL,
    batons INTEGER NOT NULL DEFAULT 0,
    -- Kept in step with `deliveries` by the code that writes them, so pairing reads one row per
    -- participant instead of aggregating the relay's whole history on every question.
    inbox_count INTEGER NOT NULL DEFAULT 0,
    received_count INTEGER NOT NULL DEFAULT 0,
    is_suspended BOOLEAN NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (relay_id, email),
    UNIQUE (relay_id, pseudonym)
);

-- Every credential, stored only as a SHA-256 hash of a 256-bit random secret: staff sessions,
-- staff API tokens, participant magic links and participant sessions.
CREATE TABLE credentials (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('staff_session', 'api_token', 'participant_link', 'participant_session')),
    staff_user_id BIGINT REFERENCES staff_users (id) ON DELETE CASCADE,
    participant_id BIGINT REFERENCES participants (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP
);
CREATE INDEX credentials_participant ON credentials (participant_id);

CREATE TABLE questions (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    relay_id BIGINT NOT NULL REFERENCES relays (id) ON DELETE CASCADE,
    round_id BIGINT REFERENCES rounds (id),
    asker_id BIGINT NOT NULL REFERENCES participants (id),
    recipient_id BIGINT NOT NULL REFERENCES participants (id),
    text TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'answered', 'expired')),
    asked_at TIMESTAMP NOT NULL,
    delivered_at TIMESTAMP NOT NULL,
    reminded_at TIMESTAMP,
    answered_at TIMESTAMP,
    is_starred BOOLEAN NOT NULL DEFAULT 0
);
CREATE INDEX questions_relay ON questions (relay_id, status);
CREATE INDEX questions_recipient ON questions (recipient_id, status);
CREATE INDEX questions_asker ON questions (asker_id);

-- Each time a question is passed to someone; a reroute ends one delivery and starts another.
-- Eligibility ("never twice from the same asker") is read from here.
CREATE TABLE deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    question_id BIGINT NOT NULL REFERENCES questions (id) ON DELETE CASCADE,
    asker_id BIGINT NOT NULL REFERENCES participants (id),
    recipient_id BIGINT NOT NULL REFERENCES participants (id),
    delivered_at TIMESTAMP NOT NULL,
    ended_at TIMESTAMP,
    outcome TEXT NOT NULL CHECK (outcome IN ('pending', 'answered', 'withdrawn', 'expired')),
    UNIQUE (asker_id, recipient_id)
);
CREATE INDEX deliveries_recipient ON deliveries (recipient_id);
CREATE INDEX deliveries_question ON deliveries (question_id);

CREATE TABLE answers (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    question_id BIGINT NOT NULL UNIQUE REFERENCES questions (id) ON DELETE CASCADE,
    author_id BIGINT NOT NULL REFERENCES participants (id),
    text TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

-- The event log: the source of truth for live delivery. A NULL participant means the staff feed.
CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    relay_id BIGINT NOT NULL REFERENCES relays (id) ON DELETE CASCADE,
    participant_id BIGINT REFERENCES participants (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    data TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX events_participant ON events (participant_id, id);
CREATE INDEX events_relay_staff ON events (relay_id, participant_id, id);

-- Emails written in the same transaction as the change that causes them.
CREATE TABLE email_outbox (
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
CREATE INDEX email_outbox_due ON email_outbox (status, next_attempt_at);
CREATE INDEX email_outbox_participant ON email_outbox (participant_id, id);
