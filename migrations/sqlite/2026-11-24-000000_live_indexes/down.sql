DROP INDEX participants_relay_order;
DROP INDEX events_staff;
CREATE INDEX events_relay_staff ON events (relay_id, participant_id, id);
DROP INDEX email_outbox_relay_status;
