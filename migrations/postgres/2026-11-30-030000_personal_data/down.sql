ALTER TABLE participants DROP COLUMN erased_at;
ALTER TABLE relays DROP COLUMN erased_at;
ALTER TABLE relays DROP COLUMN retention;
ALTER TABLE relays DROP COLUMN retention_days;
ALTER TABLE relays DROP COLUMN privacy_text;
ALTER TABLE relays DROP COLUMN privacy_contact;
ALTER TABLE relays DROP COLUMN controller;
