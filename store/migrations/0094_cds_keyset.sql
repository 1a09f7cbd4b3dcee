-- A CDS extract reads the records of a month a page at a time in the
-- order of their time and id (keyset). An index on the time alone leaves
-- the id to a sort: PostgreSQL joined and sorted every record of the rest
-- of the month to find each page of a thousand. With the id the index
-- gives the order, and a page reads its own rows. Each replaces the index
-- on (org_id, time) it begins with, which served nothing it does not.
CREATE INDEX appointments_start_id ON appointments (org_id, start_at, id);
DROP INDEX appointments_start;
CREATE INDEX ed_attendances_arrived_id ON ed_attendances (org_id, arrived_at, id);
DROP INDEX ed_attendances_arrived;
CREATE INDEX episodes_ended_id ON episodes (org_id, end_at, id);
DROP INDEX episodes_ended;
