package golive

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/rtt"
)

// Reconciliation compares a legacy extract, record by record, with what
// OpenCRS holds after it was imported: totals first, then every
// difference. A difference a change made in OpenCRS since the import
// explains (by anyone but the migration) is told apart from one the
// migration left.
type Reconciliation struct {
	ImportedAt  time.Time      `json:"imported_at"`
	Totals      []ReconcileSum `json:"totals"`
	Differences []Difference   `json:"differences"`
}

// ReconcileSum counts one kind of record: accepted in the extract, found
// as it was, changed in OpenCRS since the import, and unaccounted for.
type ReconcileSum struct {
	Kind               string `json:"kind"`
	InExtract          int    `json:"in_extract"`
	Matched            int    `json:"matched"`
	ChangedSinceImport int    `json:"changed_since_import"`
	Unaccounted        int    `json:"unaccounted"`
}

// Difference is one record that OpenCRS does not hold as the extract has
// it.
type Difference struct {
	Kind    string `json:"kind"`
	File    string `json:"file"`
	Line    int    `json:"line"`
	Key     string `json:"key"`
	What    string `json:"what"` // what differs, or "missing"
	Extract string `json:"extract"`
	OpenCRS string `json:"opencrs"`
	// ChangedBy, when set, is the change made in OpenCRS since the import
	// that explains the difference: it is not a migration difference.
	ChangedBy string `json:"changed_by,omitempty"`
}

// Unaccounted counts the differences no change since the import explains.
func (r *Reconciliation) Unaccounted() int {
	n := 0
	for _, t := range r.Totals {
		n += t.Unaccounted
	}
	return n
}

// Reconcile compares the accepted rows of x with what the trust holds:
// every live patient with the same identity (hospital and NHS number,
// legacy number as a cross-reference, name, date of birth), every merged
// record as a number of the patient it was merged into, every pathway
// with the same clock start (and, open, a clock still running or
// nullified as the extract says), every appointment in its slot with its
// status, every waiting list entry on its pathway with its status, and
// every inpatient in the same bed.
//
// The clock of each pathway is worked out from its RTT events at the
// census date, as the monthly return does: an open period of the extract
// must have a running clock (or a nullified one, code 33) started on its
// clock start date, a closed one a stopped clock.
func Reconcile(ctx context.Context, x *Extract, log crs.MigrationLog, hr crs.MigrationHoldingsReader, src crs.RTTReportSource, orgID string) (*Reconciliation, error) {
	rows, err := log.MigratedRows(ctx, orgID)
	if err != nil {
		return nil, err
	}
	// A row the load refused is a rejected row, as are those that depend
	// on it: neither is looked for in OpenCRS.
	x.refuse(slices.Collect(maps.Values(rows)))
	h, err := hr.MigrationHoldings(ctx, orgID)
	if err != nil {
		return nil, err
	}
	census, err := crs.ParseDate(x.CensusDate)
	if err != nil {
		return nil, err
	}
	clocks := map[string]rtt.Clock{}
	err = src.EachPathwayHistory(ctx, crs.MigrationActor(orgID), crs.ReportBasis{}, func(ph *crs.PathwayHistory) error {
		clocks[ph.PPI] = rtt.Evaluate(ph.Events, census.Time)
		return nil
	})
	if err != nil {
		return nil, err
	}
	rc := &reconciler{x: x, rows: rows, h: h, clocks: clocks, out: &Reconciliation{ImportedAt: h.ImportedAt, Differences: []Difference{}}}
	rc.patients()
	rc.pathways()
	rc.appointments()
	rc.waitingList()
	rc.inpatients()
	return rc.out, nil
}

type reconciler struct {
	x    *Extract
	rows map[string]crs.MigratedRow
	h    *crs.MigrationHoldings
	out  *Reconciliation
	// clocks are the pathways' clocks at the census date, by PPI.
	clocks map[string]rtt.Clock
	sum    *ReconcileSum
}

func (rc *reconciler) begin(kind string) {
	rc.out.Totals = append(rc.out.Totals, ReconcileSum{Kind: kind})
	rc.sum = &rc.out.Totals[len(rc.out.Totals)-1]
}

// journey are the kinds of change to a patient's journey that can move
// their pathways, appointments, waiting list entries and spells.
var journey = []string{"appointment.", "pathway.", "referral.", "waitlist.", "spell.", "patient.merged", "patient.unmerged"}

// explained says which change since the import explains a difference
// about a record: a change to the record itself, or one of the kinds
// given to the record's patient. "" when none does.
func (rc *reconciler) explained(recordID, patientID string, kinds []string) string {
	c, ok := rc.h.Changes[recordID]
	if !ok || recordID == "" {
		ok = false
		for _, pc := range rc.h.PatientChanges[patientID] {
			for _, k := range kinds {
				if strings.HasPrefix(pc.Type, k) {
					c, ok = pc, true
				}
			}
		}
	}
	if !ok {
		return ""
	}
	return fmt.Sprintf("%s by %s at %s", c.Type, c.Username, c.At.In(crs.London).Format("2006-01-02 15:04"))
}

// check records one row's comparison: diffs are what differ (empty when
// it matches); by is the change since the import that would explain a
// difference, if any.
func (rc *reconciler) check(file string, r *Row, diffs []Difference, by string) {
	rc.sum.InExtract++
	if len(diffs) == 0 {
		rc.sum.Matched++
		return
	}
	if by != "" {
		rc.sum.ChangedSinceImport++
	} else {
		rc.sum.Unaccounted++
	}
	for _, d := range diffs {
		d.Kind, d.File, d.Line, d.Key, d.ChangedBy = rc.sum.Kind, file, r.Line, r.Fields[0], by
		rc.out.Differences = append(rc.out.Differences, d)
	}
}

func differ(what, extract, held string) []Difference {
	if extract == held {
		return nil
	}
	return []Difference{{What: what, Extract: extract, OpenCRS: held}}
}

func missing(what string) []Difference {
	return []Difference{{What: "missing", Extract: what, OpenCRS: "not found"}}
}

// record is the id of the record an accepted row became, or "".
func (rc *reconciler) record(file string, r *Row) string {
	return rc.rows[file+"\x00"+rowKey(file, r)].RecordID
}

func (rc *reconciler) patients() {
	f := rc.x.files[FilePatients]
	rc.begin("patients")
	var mergedRows []*Row
	for i := range f.Rows {
		r := &f.Rows[i]
		if !r.Accepted() {
			continue
		}
		if isMerged(f, r) {
			mergedRows = append(mergedRows, r)
			continue
		}
		p, ok := rc.h.Patients[r.Fields[0]]
		if !ok {
			rc.check(FilePatients, r, missing("patient with legacy number "+r.Fields[0]), rc.explained(rc.record(FilePatients, r), "", nil))
			continue
		}
		var d []Difference
		d = append(d, differ("hospital number", f.get(r, "hospital_number"), p.MRN)...)
		d = append(d, differ("NHS number", f.get(r, "nhs_number"), p.NHSNumber)...)
		d = append(d, differ("family name", f.get(r, "family_name"), p.FamilyName)...)
		given := p.GivenName
		if p.OtherNames != "" {
			given += " " + p.OtherNames
		}
		d = append(d, differ("given names", f.get(r, "given_names"), given)...)
		d = append(d, differ("date of birth", f.get(r, "date_of_birth"), p.BirthDate.String())...)
		if p.MergedInto != "" {
			d = append(d, Difference{What: "merged", Extract: "live record", OpenCRS: "merged into another record"})
		}
		rc.check(FilePatients, r, d, rc.explained(p.ID, "", nil))
	}
	rc.begin("merged records")
	for _, r := range mergedRows {
		target := f.get(r, "merged_into_legacy_patient_id")
		p, ok := rc.h.Patients[r.Fields[0]]
		want := rc.h.Patients[target]
		switch {
		case !ok:
			rc.check(FilePatients, r, missing("legacy number "+r.Fields[0]+" as a number of patient "+target), rc.explained(want.ID, "", nil))
		case p.ID != want.ID:
			rc.check(FilePatients, r, differ("held by", "the patient of legacy number "+target+" (hospital number "+want.MRN+")",
				"the patient with hospital number "+p.MRN), rc.explained(p.ID, want.ID, journey))
		default:
			rc.check(FilePatients, r, nil, "")
		}
	}
}

func (rc *reconciler) pathways() {
	f := rc.x.files[FilePathways]
	rc.begin("RTT pathways")
	for i := range f.Rows {
		r := &f.Rows[i]
		if !r.Accepted() {
			continue
		}
		p, ok := rc.h.Pathways[r.Fields[0]]
		if !ok {
			rc.check(FilePathways, r, missing("pathway "+r.Fields[0]), rc.explained(rc.record(FilePathways, r), "", nil))
			continue
		}
		c := rc.clocks[r.Fields[0]]
		d := differ("clock start", f.get(r, "clock_start_date"), crs.DateOf(c.Start).String())
		d = append(d, differ("clock at the census date", legacyClock(f.get(r, "status"), f.get(r, "rtt_status_code")), clockName(c))...)
		rc.check(FilePathways, r, d, rc.explained(p.ID, p.ReferralPatient, journey))
	}
}

// legacyClock names the clock a legacy RTT period has at the census date.
func legacyClock(status, code string) string {
	switch {
	case code == "33":
		return "nullified"
	case status == "open":
		return "running"
	}
	return "stopped"
}

// clockName names an OpenCRS clock as legacyClock does.
func clockName(c rtt.Clock) string {
	switch {
	case c.Nullified:
		return "nullified"
	case c.Running:
		return "running"
	case c.Start.IsZero():
		return "no clock"
	}
	return "stopped"
}

// appointmentStatus is OpenCRS's status for a legacy appointment status.
func appointmentStatus(s string) string {
	switch s {
	case "cancelled_patient", "cancelled_provider":
		return crs.AppointmentCancelled
	}
	return s
}

// byRecord compares each accepted row of a file with the record it became,
// found by its record id: compare returns the differences, and false when
// OpenCRS holds no such record. A difference is explained by a change to
// the record since the import, or by a merge of its patient.
func (rc *reconciler) byRecord(file, kind, what string, compare func(f *File, r *Row, id string) ([]Difference, bool)) {
	f := rc.x.files[file]
	rc.begin(kind)
	for i := range f.Rows {
		r := &f.Rows[i]
		if !r.Accepted() {
			continue
		}
		id := rc.record(file, r)
		d, ok := compare(f, r, id)
		if id == "" || !ok {
			d = missing(what + " " + r.Fields[0])
		}
		rc.check(file, r, d, rc.explained(id, rc.patientOf(f, r), journey[5:]))
	}
}

func (rc *reconciler) appointments() {
	rc.byRecord(FileAppts, "appointments", "appointment", func(f *File, r *Row, id string) ([]Difference, bool) {
		a, ok := rc.h.Appointments[id]
		start := localTime(f.get(r, "start"))
		d := differ("clinic", f.get(r, "clinic_code"), a.ClinicCode)
		d = append(d, differ("start", f.get(r, "start"), a.Start.In(crs.London).Format("2006-01-02T15:04"))...)
		if !a.SlotStart.Equal(start) {
			held := "no slot"
			if !a.SlotStart.IsZero() {
				held = "the slot at " + a.SlotStart.In(crs.London).Format("2006-01-02T15:04")
			}
			d = append(d, Difference{What: "slot", Extract: "the slot at " + f.get(r, "start"), OpenCRS: held})
		}
		return append(d, differ("status", appointmentStatus(f.get(r, "status")), a.Status)...), ok
	})
}

// patientOf is the OpenCRS patient a row's legacy_patient_id names.
func (rc *reconciler) patientOf(f *File, r *Row) string {
	return rc.h.Patients[f.get(r, "legacy_patient_id")].ID
}

func (rc *reconciler) waitingList() {
	rc.byRecord(FileWaitingList, "waiting list entries", "waiting list entry", func(f *File, r *Row, id string) ([]Difference, bool) {
		e, ok := rc.h.WaitingList[id]
		d := differ("status", f.get(r, "status"), e.Status)
		return append(d, differ("pathway", f.get(r, "ppid"), e.PPI)...), ok
	})
}

func (rc *reconciler) inpatients() {
	rc.byRecord(FileInpatients, "inpatients", "inpatient spell", func(f *File, r *Row, id string) ([]Difference, bool) {
		sp, ok := rc.h.Spells[id]
		d := differ("status", crs.SpellAdmitted, sp.Status)
		return append(d, differ("bed", f.get(r, "ward_code")+" "+f.get(r, "bed_code"), sp.WardCode+" "+sp.BedCode)...), ok
	})
}

// WriteText writes the reconciliation for people: the totals, then the
// differences the migration left, then those changes since the import
// explain.
func (r *Reconciliation) WriteText(w io.Writer) {
	if r.ImportedAt.IsZero() {
		fmt.Fprintln(w, "nothing of a legacy extract has been imported into this trust")
	} else {
		fmt.Fprintf(w, "imported from %s\n", r.ImportedAt.In(crs.London).Format("2006-01-02 15:04"))
	}
	fmt.Fprintf(w, "%-22s %10s %8s %21s %12s\n", "records", "in extract", "matched", "changed since import", "unaccounted")
	for _, t := range r.Totals {
		fmt.Fprintf(w, "%-22s %10d %8d %21d %12d\n", t.Kind, t.InExtract, t.Matched, t.ChangedSinceImport, t.Unaccounted)
	}
	for _, pass := range []struct {
		title   string
		changed bool
	}{{"unaccounted for (migration differences)", false}, {"changed in OpenCRS since the import", true}} {
		first := true
		for _, d := range r.Differences {
			if (d.ChangedBy != "") != pass.changed {
				continue
			}
			if first {
				fmt.Fprintf(w, "\n%s:\n", pass.title)
				first = false
			}
			fmt.Fprintf(w, "  %s line %d (%s): %s: extract %q, OpenCRS %q", d.File, d.Line, d.Key, d.What, d.Extract, d.OpenCRS)
			if d.ChangedBy != "" {
				fmt.Fprintf(w, "; %s", d.ChangedBy)
			}
			fmt.Fprintln(w)
		}
	}
}

// JSON writes the reconciliation as indented JSON.
func (r *Reconciliation) JSON() ([]byte, error) {
	b, err := json.MarshalIndent(r, "", " ")
	return append(b, '\n'), err
}
