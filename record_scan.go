package crs

import "time"

// RecordScan asks for a batch of the trust's records of one kind across
// its patients (spells, A&E attendances, referrals, RTT pathways or
// appointments) in a stable order, by default their patient's id then
// their own:
// what a search naming no patient (every encounter of the trust that
// finished) reads a batch at a time from the hospital's tables, where
// reading each patient's records in turn would take hours at a trust of
// millions. Records added meanwhile neither repeat nor skip a record of
// the batches that follow.
type RecordScan struct {
	// After is the cursor of the batch before, "" for the first:
	// "patient|id" resumes after that record, and a patient's id alone
	// after every record of that patient. Read by their start
	// (Order), "start|id" resumes after the record that starts then.
	After string
	// Order is the order the records are read in: by patient (the
	// zero value), or by when they start, for a sorted list of the
	// trust's encounters or appointments that reads only up to its
	// page. Referrals and pathways are read by patient only.
	Order ScanOrder
	// Desc reads an order by start from the latest, then by id from
	// the highest.
	Desc bool
	// Limit is the batch's size: 0 means 200, at most 1000.
	Limit int
	// Status, when not empty, keeps the records in one of these
	// statuses: a spell's, an attendance's, a referral's or an
	// appointment's status, a pathway's clock state.
	Status []string
	// From and Before, when not zero, keep the records that start at or
	// after From and before Before: a spell by its admission, an A&E
	// attendance by its arrival, an appointment by the time it is
	// booked for. Referrals and pathways are not narrowed by them.
	From, Before time.Time
}

// ScanOrder is an order a RecordScan reads the trust's records in.
type ScanOrder string

const (
	// ScanByPatient reads the records by their patient's id, then their
	// own.
	ScanByPatient ScanOrder = ""
	// ScanByStart reads them by their start, then by id: a spell by its
	// admission, an A&E attendance by its arrival, an appointment by
	// the time it is booked for.
	ScanByStart ScanOrder = "start"
	// ScanByArrival reads them by when the patient arrived, then by id:
	// an appointment by its check-in, or when it was seen if the
	// patient was not checked in (none: first, as the earliest); a
	// spell and an attendance as ScanByStart.
	ScanByArrival ScanOrder = "arrival"
)
