-- The outbox worker counts a relay's emails by status after every pass (for the staff feed);
-- without this index each count read the whole outbox.
CREATE INDEX email_outbox_relay_status ON email_outbox (relay_id, status);

-- The staff feed is the only reader by relay, and reads only staff events (no participant):
-- a partial index spares the participants' events, two in three, an index entry each.
DROP INDEX events_relay_staff;
CREATE INDEX events_staff ON events (relay_id, id) WHERE participant_id IS NULL;

-- Pairing reads a relay's participants in id order on every question: a range scan in order
-- instead of a lookup and a sort.
CREATE INDEX participants_relay_order ON participants (relay_id, id);
