package crs

import "time"

// EventXrefLinked records that another system's own number for a patient
// was linked to the record, so the system's later messages find it.
const EventXrefLinked = "patient.xref.linked"

// PatientXref is another system's own number for a patient (a
// cross-reference): the number a sending system such as a maternity or
// radiology system gives the patient in PID-3, kept so that a later
// message carrying only that number finds the patient. One patient may
// have numbers of many systems; one system's number names one patient.
type PatientXref struct {
	PatientID string
	System    string // the sending system, as MSH-3@MSH-4 of its interface
	Value     string // the system's number for the patient
	CreatedAt time.Time
}

// IntegrationTx is what a command applying another system's message may
// do besides the patient and journey changes of Tx: the systems'
// cross-reference numbers of patients, the interfaces' code maps, and
// the messages held until what they need is there.
type IntegrationTx interface {
	// FindPatientByXref finds the live patient system's number names,
	// following merges; ENOTFOUND when no patient holds it.
	FindPatientByXref(system, value string) (*Patient, error)
	// LinkPatientXref keeps system's number as a cross-reference of the
	// patient. Linking a number the patient holds already changes
	// nothing (and appends no event); a number of another live patient is
	// ECONFLICT.
	LinkPatientXref(patientID, system, value string) error
	// PatientXrefs lists the patient's cross-references, oldest first.
	PatientXrefs(patientID string) ([]PatientXref, error)
	// UpdateInterface changes the conventions of one of the trust's
	// inbound interfaces (by i.ID): name, receiving facilities, identifier
	// conventions, unknown patients and strict; its sender and user stay.
	UpdateInterface(i *Interface) error
	// The code maps, data-quality issues and held messages.
	CodeMapTx
}
