package golive

import (
	"bytes"
	"context"
	"encoding/json"
	"sort"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/report"
	"github.com/opencrs/crs/rtt"
)

// Report is what an import of a legacy extract found, in the structure of
// the expected.json of section 8 of the extract's specification, so that a
// trust can compare it with the legacy system's own figures.
type Report struct {
	Extract          ExtractInfo         `json:"extract"`
	Files            Ordered[FileCounts] `json:"files"`
	Rejections       []Rejection         `json:"rejections"`
	Patients         PatientCounts       `json:"patients"`
	LikelyDuplicates [][2]string         `json:"likely_duplicate_patients"`
	Appointments     AppointmentCounts   `json:"appointments"`
	WaitingList      StatusCounts        `json:"waiting_list"`
	Inpatients       struct {
		Accepted int `json:"accepted"`
	} `json:"inpatients"`
	RTTIncomplete *crs.RTTIncomplete `json:"rtt_incomplete"`
}

// ExtractInfo is the extract's own row: which trust, when it was taken and
// its RTT census date.
type ExtractInfo struct {
	TrustODS        string `json:"trust_ods_code"`
	ExtractDatetime string `json:"extract_datetime"`
	CensusDate      string `json:"census_date"`
	SystemName      string `json:"legacy_system_name"`
}

// FileCounts are the rows of one file and what became of them.
type FileCounts struct {
	Rows             int          `json:"rows"`
	Accepted         int          `json:"accepted"`
	Rejected         int          `json:"rejected"`
	RejectedByReason Ordered[int] `json:"rejected_by_reason"`
}

// Rejection is one rejected row: where it is and why.
type Rejection struct {
	File   string  `json:"file"`
	Line   int     `json:"line"`
	Key    *string `json:"key"`
	Column *string `json:"column"`
	Reason string  `json:"reason"`
	// Detail, for a row refused as it was loaded, says what it met: the
	// hospital number of the live patient already holding its NHS number.
	Detail string `json:"detail,omitempty"`
	// Raw is the line as it was in the file, for the HTML report.
	Raw string `json:"-"`
}

// PatientCounts count the accepted patient records: live ones and merged
// ones (aliases of a live record).
type PatientCounts struct {
	Accepted int `json:"accepted"`
	Live     int `json:"live"`
	Merged   int `json:"merged"`
}

// AppointmentCounts count the accepted appointments by status, and those
// rejected because they fit no slot.
type AppointmentCounts struct {
	Accepted         int          `json:"accepted"`
	AcceptedByStatus Ordered[int] `json:"accepted_by_status"`
	OutOfSlot        int          `json:"out_of_slot"`
	OutOfSlotIDs     []string     `json:"out_of_slot_ids"`
}

// StatusCounts count accepted rows by status.
type StatusCounts struct {
	Accepted         int          `json:"accepted"`
	AcceptedByStatus Ordered[int] `json:"accepted_by_status"`
}

// Ordered is a JSON object whose keys keep the order they were added in.
type Ordered[V any] struct {
	Keys   []string
	Values map[string]V
}

// Set adds or replaces the value of a key.
func (o *Ordered[V]) Set(k string, v V) {
	if o.Values == nil {
		o.Values = map[string]V{}
	}
	if _, ok := o.Values[k]; !ok {
		o.Keys = append(o.Keys, k)
	}
	o.Values[k] = v
}

// MarshalJSON writes the object with its keys in order.
func (o Ordered[V]) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range o.Keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		b.Write(kb)
		b.WriteByte(':')
		vb, err := json.Marshal(o.Values[k])
		if err != nil {
			return nil, err
		}
		b.Write(vb)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// sortedCounts is an Ordered of counts with its keys sorted.
func sortedCounts(m map[string]int) Ordered[int] {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	o := Ordered[int]{Keys: keys, Values: m}
	if o.Values == nil {
		o.Values = map[string]int{}
	}
	return o
}

// NewReport builds the report of a checked extract with the RTT figures
// given, or (nil, for a dry run) those the extract's rows state.
func NewReport(x *Extract, rttFigures *crs.RTTIncomplete) *Report {
	rep := &Report{Extract: ExtractInfo{x.TrustODS, x.ExtractDatetime, x.CensusDate, x.SystemName}}
	rep.Rejections = []Rejection{}
	for _, name := range Files {
		f := x.files[name]
		fc := FileCounts{Rows: len(f.Rows)}
		by := map[string]int{}
		for i := range f.Rows {
			r := &f.Rows[i]
			if r.Accepted() {
				fc.Accepted++
				continue
			}
			by[r.Reason]++
			rj := Rejection{File: name, Line: r.Line, Reason: r.Reason, Detail: r.Detail, Raw: r.Raw}
			if r.Fields != nil && keyed[name] {
				k := r.Fields[0]
				rj.Key = &k
			}
			if r.Column != "" {
				c := r.Column
				rj.Column = &c
			}
			rep.Rejections = append(rep.Rejections, rj)
		}
		fc.Rejected = fc.Rows - fc.Accepted
		fc.RejectedByReason = sortedCounts(by)
		rep.Files.Set(name, fc)
	}
	pf := x.files[FilePatients]
	for i := range pf.Rows {
		r := &pf.Rows[i]
		if r.Accepted() {
			rep.Patients.Accepted++
			if pf.get(r, "merged_into_legacy_patient_id") == "" {
				rep.Patients.Live++
			} else {
				rep.Patients.Merged++
			}
		}
	}
	rep.LikelyDuplicates = append([][2]string{}, x.LikelyDuplicates...)
	af := x.files[FileAppts]
	by := map[string]int{}
	rep.Appointments.OutOfSlotIDs = []string{}
	for i := range af.Rows {
		r := &af.Rows[i]
		if r.Accepted() {
			rep.Appointments.Accepted++
			by[af.get(r, "status")]++
		} else if r.Reason == ReasonOutOfSlot {
			rep.Appointments.OutOfSlotIDs = append(rep.Appointments.OutOfSlotIDs, r.Fields[0])
		}
	}
	sort.Strings(rep.Appointments.OutOfSlotIDs)
	rep.Appointments.OutOfSlot = len(rep.Appointments.OutOfSlotIDs)
	rep.Appointments.AcceptedByStatus = sortedCounts(by)
	wf := x.files[FileWaitingList]
	by = map[string]int{}
	for i := range wf.Rows {
		if r := &wf.Rows[i]; r.Accepted() {
			rep.WaitingList.Accepted++
			by[wf.get(r, "status")]++
		}
	}
	rep.WaitingList.AcceptedByStatus = sortedCounts(by)
	for i := range x.files[FileInpatients].Rows {
		if x.files[FileInpatients].Rows[i].Accepted() {
			rep.Inpatients.Accepted++
		}
	}
	if rttFigures == nil {
		rttFigures = x.RTTFromExtract()
	}
	rep.RTTIncomplete = rttFigures
	return rep
}

// RTTFromExtract works out the incomplete RTT pathway figures at the
// census date from the extract's accepted pathways as the legacy system
// states them (section 5): what a dry run reports, since it loads
// nothing. After a load the figures come from OpenCRS's own clocks.
func (x *Extract) RTTFromExtract() *crs.RTTIncomplete {
	f, refs := x.files[FilePathways], x.files[FileReferrals]
	census, _ := crs.ParseDate(x.CensusDate)
	out := &crs.RTTIncomplete{CensusDate: x.CensusDate, ByTreatmentFunction: map[string]*crs.WaitGroup{},
		ByRTTLine: map[string]*crs.WaitGroup{}, Pathways: []crs.IncompletePathway{}}
	var all crs.WaitGroup
	add := func(m map[string]*crs.WaitGroup, k string, days int) {
		if m[k] == nil {
			m[k] = &crs.WaitGroup{}
		}
		m[k].Add(days)
	}
	for i := range f.Rows {
		r := &f.Rows[i]
		if !r.Accepted() || f.get(r, "status") != "open" {
			continue
		}
		if f.get(r, "rtt_status_code") == "33" {
			out.OpenNullifiedExcluded++
			continue
		}
		tf := refs.get(refs.lookup(f.get(r, "referral_id")), "treatment_function_code")
		start, _ := crs.ParseDate(f.get(r, "clock_start_date"))
		days := int(census.Sub(start.Time).Hours()) / 24
		line, _ := rtt.ReportingLine(tf)
		if line == "" {
			line = crs.UnmappedRTTLine
		}
		all.Add(days)
		add(out.ByTreatmentFunction, tf, days)
		add(out.ByRTTLine, line, days)
		out.Pathways = append(out.Pathways, crs.IncompletePathway{PPI: r.Fields[0], TreatmentFunction: tf, RTTLine: line,
			ClockStart: start.String(), Days: days, Band: crs.BandLabel(rtt.WeekBand(days))})
	}
	out.Total, out.Within18Weeks, out.Over52Weeks, out.Over104Weeks = all.Total, all.Within18Weeks, all.Over52Weeks, all.Over104Weeks
	out.ShareWithin18Weeks, out.ByBand = all.ShareWithin18Weeks(), all.Bands
	sort.Slice(out.Pathways, func(i, j int) bool { return out.Pathways[i].PPI < out.Pathways[j].PPI })
	return out
}

// JSON writes the report as indented JSON.
func (r *Report) JSON() ([]byte, error) {
	b, err := json.MarshalIndent(r, "", " ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// ReportAfterLoad is the report of an extract loaded into the trust. Its
// RTT figures come from the clocks OpenCRS now holds, worked out from the
// migrated pathways' events as the monthly return does (report
// RTTIncomplete), not from the extract's columns. Only the open
// nullified pathways are counted from the pathways' own state: OpenCRS
// holds a nullified clock the same whether the legacy system left its
// period open or closed it, and the extract's figure counts the open ones.
func ReportAfterLoad(ctx context.Context, x *Extract, src crs.ReportSource, log crs.MigrationLog, orgID string) (*Report, error) {
	census, err := crs.ParseDate(x.CensusDate)
	if err != nil {
		return nil, err
	}
	r, err := report.New(src).RTTIncomplete(ctx, crs.MigrationActor(orgID), census, report.RTTIncompleteOptions{Pathways: true})
	if err != nil {
		return nil, err
	}
	if r.OpenNullifiedExcluded, err = log.OpenNullifiedPathways(ctx, orgID); err != nil {
		return nil, err
	}
	if r.Pathways == nil {
		r.Pathways = []crs.IncompletePathway{}
	}
	return NewReport(x, r), nil
}
