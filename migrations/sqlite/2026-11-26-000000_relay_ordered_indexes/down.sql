DROP INDEX events_relay;
CREATE INDEX events_staff ON events (relay_id, id) WHERE participant_id IS NULL;
CREATE INDEX events_participant ON events (participant_id, id);
CREATE INDEX email_outbox_participant ON email_outbox (participant_id, id);
CREATE INDEX credentials_participant ON credentials (participant_id);
