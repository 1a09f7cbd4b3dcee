-- The patient journey: referrals and RTT pathways, outpatient clinics,
-- slots and appointments, elective waiting lists and TCI offers,
-- inpatient spells, consultant episodes, bed stays and the midnight
-- census, and A&E attendances. Every row belongs to an organisation;
-- dates are YYYY-MM-DD text, times the fixed-width UTC text of 0001.

-- A referral received for an opinion or treatment. worklist says which
-- worklist an open referral with nothing booked is on, so that no one is
-- left off the system: to_book, to_outcome, follow_up_due, or '' when an
-- appointment or waiting list entry holds it, or it is closed.
CREATE TABLE referrals (
	id                  TEXT PRIMARY KEY,
	org_id              TEXT NOT NULL REFERENCES organisations (id),
	patient_id          TEXT NOT NULL REFERENCES patients (id),
	pathway_id          TEXT NOT NULL DEFAULT '',
	source              TEXT NOT NULL,
	referrer_code       TEXT NOT NULL DEFAULT '',
	referrer_name       TEXT NOT NULL DEFAULT '',
	referrer_org        TEXT NOT NULL DEFAULT '',
	received_on         TEXT NOT NULL,
	priority            TEXT NOT NULL,
	specialty           TEXT NOT NULL DEFAULT '',
	treatment_function  TEXT NOT NULL,
	consultant_code     TEXT NOT NULL DEFAULT '',
	consultant_led      INTEGER NOT NULL,
	ubrn                TEXT NOT NULL DEFAULT '',
	reason              TEXT NOT NULL DEFAULT '',
	status              TEXT NOT NULL,
	worklist            TEXT NOT NULL DEFAULT '',
	follow_up_due       TEXT NOT NULL DEFAULT '',
	closed_on           TEXT NOT NULL DEFAULT '',
	closed_reason       TEXT NOT NULL DEFAULT '',
	created_at          TEXT NOT NULL,
	updated_at          TEXT NOT NULL
);
CREATE INDEX referrals_patient ON referrals (org_id, patient_id);
CREATE INDEX referrals_worklist ON referrals (org_id, worklist, received_on, id);
CREATE UNIQUE INDEX referrals_ubrn ON referrals (org_id, ubrn) WHERE ubrn <> '';

-- An RTT patient pathway, identified by its patient pathway identifier
-- (PPI). The clock columns hold the pathway's RTT clock as rtt.Evaluate
-- last worked it out, rewritten by every command that records an RTT
-- event, so the patient tracking list is one indexed query.
CREATE TABLE pathways (
	id                  TEXT PRIMARY KEY,
	org_id              TEXT NOT NULL REFERENCES organisations (id),
	patient_id          TEXT NOT NULL REFERENCES patients (id),
	ppi                 TEXT NOT NULL,
	ppi_issuer          TEXT NOT NULL DEFAULT '',
	referral_id         TEXT NOT NULL,
	treatment_function  TEXT NOT NULL,
	specialty           TEXT NOT NULL DEFAULT '',
	consultant_code     TEXT NOT NULL DEFAULT '',
	priority            TEXT NOT NULL DEFAULT '',
	clock_state         TEXT NOT NULL,
	clock_start         TEXT NOT NULL DEFAULT '',
	clock_stop          TEXT NOT NULL DEFAULT '',
	stop_status         INTEGER NOT NULL DEFAULT 0,
	stop_reason         TEXT NOT NULL DEFAULT '',
	last_status         INTEGER NOT NULL DEFAULT 0,
	decision_to_admit   INTEGER NOT NULL DEFAULT 0,
	next_event_at       TEXT NOT NULL DEFAULT '',
	next_event_kind     TEXT NOT NULL DEFAULT '',
	dna_review          INTEGER NOT NULL DEFAULT 0,
	created_at          TEXT NOT NULL,
	updated_at          TEXT NOT NULL,
	UNIQUE (org_id, ppi)
);
CREATE INDEX pathways_patient ON pathways (org_id, patient_id);
CREATE INDEX pathways_ptl ON pathways (org_id, clock_state, clock_start, id);
CREATE INDEX pathways_ptl_tf ON pathways (org_id, clock_state, treatment_function, clock_start, id);
CREATE INDEX pathways_ptl_consultant ON pathways (org_id, clock_state, consultant_code, clock_start, id);

-- The RTT events of a pathway: every activity with its RTT period status.
-- rtt.Evaluate over them gives the clock for any date.
CREATE TABLE rtt_events (
	id           TEXT PRIMARY KEY,
	org_id       TEXT NOT NULL,
	pathway_id   TEXT NOT NULL REFERENCES pathways (id),
	patient_id   TEXT NOT NULL,
	seq          INTEGER NOT NULL,
	event_date   TEXT NOT NULL,
	kind         TEXT NOT NULL,
	status       INTEGER NOT NULL DEFAULT 0,
	ref          TEXT NOT NULL DEFAULT '',
	note         TEXT NOT NULL DEFAULT '',
	recorded_at  TEXT NOT NULL,
	UNIQUE (pathway_id, seq)
);

-- An outpatient clinic template: who, what and where, and its weekly
-- sessions (JSON) from which slots are generated.
CREATE TABLE clinics (
	id                  TEXT PRIMARY KEY,
	org_id              TEXT NOT NULL REFERENCES organisations (id),
	code                TEXT NOT NULL,
	name                TEXT NOT NULL,
	consultant_code     TEXT NOT NULL DEFAULT '',
	consultant_name     TEXT NOT NULL DEFAULT '',
	team                TEXT NOT NULL DEFAULT '',
	treatment_function  TEXT NOT NULL,
	specialty           TEXT NOT NULL DEFAULT '',
	location_id         TEXT NOT NULL,
	sessions            TEXT NOT NULL,
	active              INTEGER NOT NULL DEFAULT 1,
	created_at          TEXT NOT NULL,
	UNIQUE (org_id, code)
);

-- A bookable slot of a clinic session. A slot holds at most one live
-- appointment (appointments_slot_live below).
CREATE TABLE slots (
	id          TEXT PRIMARY KEY,
	org_id      TEXT NOT NULL,
	clinic_id   TEXT NOT NULL REFERENCES clinics (id),
	start_at    TEXT NOT NULL,
	end_at      TEXT NOT NULL,
	slot_type   TEXT NOT NULL,
	UNIQUE (clinic_id, start_at)
);
CREATE INDEX slots_org_start ON slots (org_id, start_at);

-- An outpatient appointment: always in a slot. live is 1 unless it was
-- cancelled, and a slot holds one live appointment at most.
CREATE TABLE appointments (
	id               TEXT PRIMARY KEY,
	org_id           TEXT NOT NULL,
	patient_id       TEXT NOT NULL REFERENCES patients (id),
	referral_id      TEXT NOT NULL REFERENCES referrals (id),
	pathway_id       TEXT NOT NULL DEFAULT '',
	slot_id          TEXT NOT NULL REFERENCES slots (id),
	clinic_id        TEXT NOT NULL,
	start_at         TEXT NOT NULL,
	kind             TEXT NOT NULL,
	status           TEXT NOT NULL,
	live             INTEGER NOT NULL DEFAULT 1,
	booked_at        TEXT NOT NULL,
	cancelled_by     TEXT NOT NULL DEFAULT '',
	cancel_reason    TEXT NOT NULL DEFAULT '',
	cancelled_at     TEXT NOT NULL DEFAULT '',
	checked_in_at    TEXT NOT NULL DEFAULT '',
	attended_at      TEXT NOT NULL DEFAULT '',
	outcomed_at      TEXT NOT NULL DEFAULT '',
	rtt_status       INTEGER NOT NULL DEFAULT 0,
	next_step        TEXT NOT NULL DEFAULT '',
	follow_up_weeks  INTEGER NOT NULL DEFAULT 0,
	outcome_note     TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX appointments_slot_live ON appointments (slot_id) WHERE live = 1;
CREATE INDEX appointments_patient ON appointments (org_id, patient_id);
CREATE INDEX appointments_referral ON appointments (referral_id);
CREATE INDEX appointments_pathway ON appointments (pathway_id, status);
CREATE INDEX appointments_clinic ON appointments (org_id, clinic_id, start_at);

-- An entry on the elective admission list after a decision to admit.
CREATE TABLE waiting_list_entries (
	id                   TEXT PRIMARY KEY,
	org_id               TEXT NOT NULL,
	patient_id           TEXT NOT NULL REFERENCES patients (id),
	pathway_id           TEXT NOT NULL DEFAULT '',
	referral_id          TEXT NOT NULL DEFAULT '',
	decided_on           TEXT NOT NULL,
	intended_management  TEXT NOT NULL,
	procedure_code       TEXT NOT NULL,
	procedure_name       TEXT NOT NULL DEFAULT '',
	priority             TEXT NOT NULL,
	consultant_code      TEXT NOT NULL,
	treatment_function   TEXT NOT NULL,
	for_treatment        INTEGER NOT NULL DEFAULT 1,
	status               TEXT NOT NULL,
	tci_date             TEXT NOT NULL DEFAULT '',
	suspended_until      TEXT NOT NULL DEFAULT '',
	suspended_reason     TEXT NOT NULL DEFAULT '',
	declined_reasonable  INTEGER NOT NULL DEFAULT 0,
	removal_reason       TEXT NOT NULL DEFAULT '',
	removal_note         TEXT NOT NULL DEFAULT '',
	removed_on           TEXT NOT NULL DEFAULT '',
	spell_id             TEXT NOT NULL DEFAULT '',
	created_at           TEXT NOT NULL,
	updated_at           TEXT NOT NULL
);
CREATE INDEX waiting_list_status ON waiting_list_entries (org_id, status, treatment_function, decided_on);
CREATE INDEX waiting_list_pathway ON waiting_list_entries (pathway_id);
CREATE INDEX waiting_list_patient ON waiting_list_entries (org_id, patient_id);

-- To-come-in offers: the dates offered for admission and the patient's
-- answer.
CREATE TABLE tci_offers (
	id             TEXT PRIMARY KEY,
	org_id         TEXT NOT NULL,
	entry_id       TEXT NOT NULL REFERENCES waiting_list_entries (id),
	patient_id     TEXT NOT NULL,
	offered_on     TEXT NOT NULL,
	dates          TEXT NOT NULL,
	reasonable     INTEGER NOT NULL,
	response       TEXT NOT NULL,
	accepted_date  TEXT NOT NULL DEFAULT '',
	responded_on   TEXT NOT NULL DEFAULT '',
	note           TEXT NOT NULL DEFAULT ''
);
CREATE INDEX tci_offers_entry ON tci_offers (entry_id);

-- A hospital provider spell: one stay from admission to discharge.
CREATE TABLE spells (
	id                     TEXT PRIMARY KEY,
	org_id                 TEXT NOT NULL,
	patient_id             TEXT NOT NULL REFERENCES patients (id),
	pathway_id             TEXT NOT NULL DEFAULT '',
	entry_id               TEXT NOT NULL DEFAULT '',
	ed_attendance_id       TEXT NOT NULL DEFAULT '',
	admission_method       TEXT NOT NULL,
	admission_source       TEXT NOT NULL,
	patient_class          TEXT NOT NULL DEFAULT '1',
	for_treatment          INTEGER NOT NULL DEFAULT 0,
	admitted_at            TEXT NOT NULL,
	ward_id                TEXT NOT NULL,
	bed_id                 TEXT NOT NULL DEFAULT '',
	consultant_code        TEXT NOT NULL,
	treatment_function     TEXT NOT NULL DEFAULT '',
	status                 TEXT NOT NULL,
	leave_started_at       TEXT NOT NULL DEFAULT '',
	expected_discharge     TEXT NOT NULL DEFAULT '',
	discharged_at          TEXT NOT NULL DEFAULT '',
	discharge_method       TEXT NOT NULL DEFAULT '',
	discharge_destination  TEXT NOT NULL DEFAULT '',
	created_at             TEXT NOT NULL,
	updated_at             TEXT NOT NULL
);
CREATE INDEX spells_patient ON spells (org_id, patient_id);
CREATE INDEX spells_status ON spells (org_id, status);

-- Consultant episodes within a spell: a new one on each change of
-- consultant.
CREATE TABLE episodes (
	id                  TEXT PRIMARY KEY,
	org_id              TEXT NOT NULL,
	spell_id            TEXT NOT NULL REFERENCES spells (id),
	patient_id          TEXT NOT NULL,
	seq                 INTEGER NOT NULL,
	consultant_code     TEXT NOT NULL,
	treatment_function  TEXT NOT NULL DEFAULT '',
	start_at            TEXT NOT NULL,
	end_at              TEXT NOT NULL DEFAULT '',
	UNIQUE (spell_id, seq)
);

-- Where a patient was, ward and bed, from when to when, within a spell.
-- is_current is 1 for the stay the patient is in now; a bed holds one
-- current stay (bed_stays_bed_current).
CREATE TABLE bed_stays (
	id          TEXT PRIMARY KEY,
	org_id      TEXT NOT NULL,
	spell_id    TEXT NOT NULL REFERENCES spells (id),
	patient_id  TEXT NOT NULL,
	seq         INTEGER NOT NULL,
	ward_id     TEXT NOT NULL,
	bed_id      TEXT NOT NULL DEFAULT '',
	start_at    TEXT NOT NULL,
	end_at      TEXT NOT NULL DEFAULT '',
	is_current  INTEGER NOT NULL DEFAULT 1,
	cancelled   INTEGER NOT NULL DEFAULT 0,
	UNIQUE (spell_id, seq)
);
CREATE UNIQUE INDEX bed_stays_bed_current ON bed_stays (bed_id) WHERE is_current = 1 AND bed_id <> '';
CREATE INDEX bed_stays_ward ON bed_stays (org_id, ward_id, start_at);
CREATE INDEX bed_stays_bed ON bed_stays (org_id, bed_id, start_at);

-- The midnight census: the patients in a bed on each ward at 23:59:59 of
-- each night (KH03).
CREATE TABLE census (
	id          TEXT PRIMARY KEY,
	org_id      TEXT NOT NULL,
	night       TEXT NOT NULL,
	ward_id     TEXT NOT NULL,
	bed_id      TEXT NOT NULL DEFAULT '',
	spell_id    TEXT NOT NULL,
	patient_id  TEXT NOT NULL,
	UNIQUE (org_id, night, spell_id)
);
CREATE INDEX census_ward ON census (org_id, night, ward_id);

-- An attendance at the emergency department, from arrival to departure.
CREATE TABLE ed_attendances (
	id                     TEXT PRIMARY KEY,
	org_id                 TEXT NOT NULL,
	patient_id             TEXT NOT NULL REFERENCES patients (id),
	arrived_at             TEXT NOT NULL,
	arrival_mode           TEXT NOT NULL,
	complaint              TEXT NOT NULL DEFAULT '',
	triage_category        INTEGER NOT NULL DEFAULT 0,
	triaged_at             TEXT NOT NULL DEFAULT '',
	location               TEXT NOT NULL DEFAULT '',
	seen_at                TEXT NOT NULL DEFAULT '',
	seen_by                TEXT NOT NULL DEFAULT '',
	decision_to_admit_at   TEXT NOT NULL DEFAULT '',
	admit_specialty        TEXT NOT NULL DEFAULT '',
	departed_at            TEXT NOT NULL DEFAULT '',
	departure              TEXT NOT NULL DEFAULT '',
	discharge_destination  TEXT NOT NULL DEFAULT '',
	spell_id               TEXT NOT NULL DEFAULT '',
	status                 TEXT NOT NULL,
	created_at             TEXT NOT NULL
);
CREATE INDEX ed_attendances_status ON ed_attendances (org_id, status, arrived_at);
CREATE INDEX ed_attendances_patient ON ed_attendances (org_id, patient_id);

-- Counters for patient pathway identifiers are kept in counters (name
-- 'ppi'), created on first use.
