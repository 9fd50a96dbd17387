-- TOTP two-factor sign-in for staff (issue 14). A person's TOTP secret is pending until a code
-- confirms it (`enabled_at`); `last_step` is the 30-second step of the last code accepted, so a
-- code cannot sign in twice. Recovery codes are single use and kept only as hashes.
CREATE TABLE staff_totp (
    staff_user_id BIGINT PRIMARY KEY NOT NULL REFERENCES staff_users (id) ON DELETE CASCADE,
    secret TEXT NOT NULL,
    enabled_at TIMESTAMP,
    last_step BIGINT,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE totp_recovery_codes (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    staff_user_id BIGINT NOT NULL REFERENCES staff_users (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX totp_recovery_codes_user ON totp_recovery_codes (staff_user_id);

-- An organisation may require its members to sign in with TOTP.
ALTER TABLE orgs ADD COLUMN require_totp BOOLEAN NOT NULL DEFAULT 0;
