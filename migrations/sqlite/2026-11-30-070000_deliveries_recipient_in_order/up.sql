-- Pairing reads, on every ask and under the relay's lock, who asked the asker last: the newest
-- delivery to them. By recipient alone PostgreSQL walked the whole table backwards by id to
-- find it (the generic plan), a walk that grew with the relay's history.
DROP INDEX deliveries_recipient;
CREATE INDEX deliveries_recipient ON deliveries (recipient_id, id);
