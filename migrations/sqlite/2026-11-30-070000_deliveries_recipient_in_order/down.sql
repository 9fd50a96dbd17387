DROP INDEX deliveries_recipient;
CREATE INDEX deliveries_recipient ON deliveries (recipient_id);
