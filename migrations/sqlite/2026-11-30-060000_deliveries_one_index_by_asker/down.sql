CREATE INDEX deliveries_asker ON deliveries (asker_id, recipient_id);
