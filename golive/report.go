package golive

import (
	"bytes"
	"context"
	"encoding/json"
	"sort"
	"strconv"
	"time"

	"github.com/opencrs/crs"
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
	RTTIncomplete *RTTIncomplete `json:"rtt_incomplete"`
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

// RTTIncomplete are the incomplete RTT pathways at the census date, as
// Part 2 of the monthly RTT return counts them.
type RTTIncomplete struct {
	CensusDate            string                 `json:"census_date"`
	Total                 int                    `json:"total"`
	Within18Weeks         int                    `json:"within_18_weeks"`
	ShareWithin18Weeks    float64                `json:"share_within_18_weeks"`
	Over52Weeks           int                    `json:"over_52_weeks"`
	Over104Weeks          int                    `json:"over_104_weeks"`
	OpenNullifiedExcluded int                    `json:"open_nullified_excluded"`
	ByBand                Ordered[int]           `json:"by_band"`
	ByTreatmentFunction   Ordered[RTTBreakdown]  `json:"by_treatment_function"`
	ByRTTLine             Ordered[RTTBreakdown]  `json:"by_rtt_line"`
	Pathways              []RTTIncompletePathway `json:"pathways"`
}

// RTTBreakdown is one treatment function's (or return line's) incomplete
// pathways.
type RTTBreakdown struct {
	Total         int          `json:"total"`
	Within18Weeks int          `json:"within_18_weeks"`
	Bands         Ordered[int] `json:"bands"`
}

// RTTIncompletePathway is one incomplete pathway with its wait at the
// census date.
type RTTIncompletePathway struct {
	PPID              string `json:"ppid"`
	TreatmentFunction string `json:"treatment_function_code"`
	RTTLine           string `json:"rtt_line"`
	ClockStart        string `json:"clock_start_date"`
	Days              int    `json:"days"`
	Band              string `json:"band"`
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

// NewReport builds the report of a checked extract. open are the
// pathways OpenCRS holds as open after loading it (nil for a dry run,
// which counts the extract's accepted rows instead).
func NewReport(x *Extract, open []crs.OpenPathway) *Report {
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
			rj := Rejection{File: name, Line: r.Line, Reason: r.Reason, Raw: r.Raw}
			if k := r.key(name); r.Fields != nil && k != "" {
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
	if open == nil {
		open = x.OpenPathways()
	}
	rep.RTTIncomplete = NewRTTIncomplete(x.CensusDate, open)
	return rep
}

// OpenPathways are the extract's accepted open pathways as the legacy
// system states them: what a dry run reports, since it loads nothing.
func (x *Extract) OpenPathways() []crs.OpenPathway {
	f, refs := x.files[FilePathways], x.files[FileReferrals]
	out := []crs.OpenPathway{}
	for i := range f.Rows {
		r := &f.Rows[i]
		if !r.Accepted() || f.get(r, "status") != "open" {
			continue
		}
		ref := refs.lookup(f.get(r, "referral_id"))
		start, _ := crs.ParseDate(f.get(r, "clock_start_date"))
		out = append(out, crs.OpenPathway{PPI: r.Fields[0], TreatmentFunction: refs.get(ref, "treatment_function_code"),
			ClockStart: start, Nullified: f.get(r, "rtt_status_code") == "33"})
	}
	return out
}

// BandName is the name of the week band a wait of days falls in (RTT
// guidance 10.1.7): "0-1" for 0-7 days up to "103-104", then "104+".
func BandName(days int) string {
	b := (days+6)/7 - 1
	if b < 0 {
		b = 0
	}
	if b >= 104 {
		return "104+"
	}
	return strconv.Itoa(b) + "-" + strconv.Itoa(b+1)
}

// NewRTTIncomplete counts the incomplete pathways among open at the
// census date (YYYY-MM-DD): those not nullified, with their waits by week
// band, treatment function and line of the monthly return.
func NewRTTIncomplete(census string, open []crs.OpenPathway) *RTTIncomplete {
	c, _ := time.Parse("2006-01-02", census)
	out := &RTTIncomplete{CensusDate: census, Pathways: []RTTIncompletePathway{}}
	band := map[string]int{}
	type acc struct {
		total, within int
		bands         map[string]int
	}
	byTF, byLine := map[string]*acc{}, map[string]*acc{}
	add := func(m map[string]*acc, k, b string, within bool) {
		a := m[k]
		if a == nil {
			a = &acc{bands: map[string]int{}}
			m[k] = a
		}
		a.total++
		a.bands[b]++
		if within {
			a.within++
		}
	}
	for _, p := range open {
		if p.Nullified {
			out.OpenNullifiedExcluded++
			continue
		}
		days := int(c.Sub(p.ClockStart.Time).Hours()) / 24
		b := BandName(days)
		line, _ := rtt.ReportingLine(p.TreatmentFunction)
		out.Total++
		within := days <= 126
		if within {
			out.Within18Weeks++
		}
		if days >= 365 {
			out.Over52Weeks++
		}
		if days >= 729 {
			out.Over104Weeks++
		}
		band[b]++
		add(byTF, p.TreatmentFunction, b, within)
		add(byLine, line, b, within)
		out.Pathways = append(out.Pathways, RTTIncompletePathway{PPID: p.PPI, TreatmentFunction: p.TreatmentFunction,
			RTTLine: line, ClockStart: p.ClockStart.String(), Days: days, Band: b})
	}
	if out.Total > 0 {
		n := (out.Within18Weeks*20000 + out.Total) / (2 * out.Total)
		out.ShareWithin18Weeks = float64(n) / 10000
	}
	bands := func(m map[string]int) Ordered[int] {
		var o Ordered[int]
		o.Values = map[string]int{}
		for i := 0; i <= 104; i++ {
			name := BandName(i*7 + 1)
			if i == 0 {
				name = BandName(0)
			}
			if v, ok := m[name]; ok {
				o.Set(name, v)
			}
		}
		return o
	}
	out.ByBand = bands(band)
	breakdown := func(m map[string]*acc) Ordered[RTTBreakdown] {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var o Ordered[RTTBreakdown]
		for _, k := range keys {
			a := m[k]
			o.Set(k, RTTBreakdown{Total: a.total, Within18Weeks: a.within, Bands: bands(a.bands)})
		}
		if o.Values == nil {
			o.Values = map[string]RTTBreakdown{}
		}
		return o
	}
	out.ByTreatmentFunction = breakdown(byTF)
	out.ByRTTLine = breakdown(byLine)
	sort.Slice(out.Pathways, func(i, j int) bool { return out.Pathways[i].PPID < out.Pathways[j].PPID })
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

// ReportAfterLoad is the report of an extract loaded into the trust: its
// RTT figures come from the clocks OpenCRS now holds, not from the
// extract's columns.
func ReportAfterLoad(ctx context.Context, x *Extract, log crs.MigrationLog, orgID string) (*Report, error) {
	open, err := log.OpenPathways(ctx, orgID)
	if err != nil {
		return nil, err
	}
	if open == nil {
		open = []crs.OpenPathway{}
	}
	return NewReport(x, open), nil
}
