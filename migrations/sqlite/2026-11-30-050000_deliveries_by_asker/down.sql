DROP INDEX deliveries_asker;
