-- The UNIQUE (asker_id, recipient_id) constraint's own index already serves the pairing read's
-- lookups by asker; deliveries_asker was a second copy of it that every ask had to update.
DROP INDEX deliveries_asker;
