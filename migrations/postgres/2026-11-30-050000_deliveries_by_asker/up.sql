-- Pairing reads, on every ask and under the relay's lock, whom the asker has already asked and
-- how often: without this index that was a scan of every delivery ever made.
CREATE INDEX deliveries_asker ON deliveries (asker_id, recipient_id);
