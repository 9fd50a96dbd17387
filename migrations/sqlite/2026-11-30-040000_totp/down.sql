ALTER TABLE orgs DROP COLUMN require_totp;
DROP TABLE totp_recovery_codes;
DROP TABLE staff_totp;
