-- A pathway's next booked event: its earliest booked appointment and its
-- earliest date to come in, which every RTT event, booking and outcome
-- works out again (refreshPathway). SQLite, which keeps no statistics of
-- the tables, answered "the earliest start of this pathway's booked
-- appointments" from the index of the trust's appointments by start
-- (appointments_start_id), walking the trust's appointments in time order
-- until it met one of the pathway's, all of them when it had none; and
-- the earliest date to come in from the index of the trust's entries by
-- status. With the trust and the status in the pathway's indexes, and
-- the start and the date after them, each is a look-up of a handful.
CREATE INDEX appointments_pathway_next ON appointments (pathway_id, org_id, status, start_at);
DROP INDEX appointments_pathway;
CREATE INDEX waiting_list_pathway_tci ON waiting_list_entries (pathway_id, org_id, status, tci_date);
DROP INDEX waiting_list_pathway;
