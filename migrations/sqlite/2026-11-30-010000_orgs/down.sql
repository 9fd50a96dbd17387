DROP TABLE audit_log;
DROP TABLE invitations;
DROP TABLE relay_analysts;
DROP INDEX relays_org;
ALTER TABLE relays DROP COLUMN org_id;
DROP TABLE memberships;
DROP TABLE orgs;
