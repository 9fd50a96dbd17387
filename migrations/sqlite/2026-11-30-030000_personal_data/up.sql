-- Personal data through its life (issue 15): each relay's privacy notice and retention, and when
-- retention or a request erased personal data. `retention` is 'pseudonymise' (keep the corpus
-- under pseudonyms) or 'delete' (keep nothing); the code checks the name.
ALTER TABLE relays ADD COLUMN controller TEXT NOT NULL DEFAULT '';
ALTER TABLE relays ADD COLUMN privacy_contact TEXT NOT NULL DEFAULT '';
ALTER TABLE relays ADD COLUMN privacy_text TEXT NOT NULL DEFAULT '';
ALTER TABLE relays ADD COLUMN retention_days INTEGER NOT NULL DEFAULT 365;
ALTER TABLE relays ADD COLUMN retention TEXT NOT NULL DEFAULT 'pseudonymise';
ALTER TABLE relays ADD COLUMN erased_at TIMESTAMP;
ALTER TABLE participants ADD COLUMN erased_at TIMESTAMP;
