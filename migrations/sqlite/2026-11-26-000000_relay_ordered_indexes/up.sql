-- An index keyed by participant puts each new row on an index page of its own: with a thousand
-- participants, a group commit wrote about one page per row per such index. These three were
-- the largest share of the pages a busy relay wrote (measured from the WAL's page numbers).

-- Nothing reads credentials by participant. It would serve ON DELETE CASCADE, but participants
-- are suspended, never deleted; add it back with any feature that deletes them.
DROP INDEX credentials_participant;

-- Only resending reads a participant's latest email; it now looks within the relay.
DROP INDEX email_outbox_participant;

-- Both feeds read a relay's events in id order: participants filter on the covered column.
-- A relay's new events share the index's last page.
DROP INDEX events_participant;
DROP INDEX events_staff;
CREATE INDEX events_relay ON events (relay_id, id, participant_id);
