package golive

import (
	"github.com/opencrs/crs"
	"github.com/opencrs/crs/match"
	"sort"
	"strconv"
	"time"
)

// check runs the rules of section 4 of the specification over the rows
// that passed checks 1-3, file by file in the order of section 3.
func (x *Extract) check() error {
	ex := x.files[FileExtract]
	if len(ex.Rows) != 1 || !ex.Rows[0].Accepted() {
		if len(ex.Rows) == 1 {
			r := ex.Rows[0]
			return x.fail("%s line 2: the extract row is invalid (%s in %s)", FileExtract, r.Reason, r.Column)
		}
		return x.fail("%s: the file must hold exactly one data row, it holds %d", FileExtract, len(ex.Rows))
	}
	r := &ex.Rows[0]
	x.TrustODS, x.ExtractDatetime = r.Fields[0], r.Fields[1]
	x.CensusDate, x.SystemName = r.Fields[2], r.Fields[3]
	x.checkPatients()
	x.checkSessions()
	x.checkPatientsRows()
	return nil
}

// checkPatientsRows runs the checks of the files whose rows are about a
// patient, once the patients (and the clinics' sessions) are checked,
// and lists the likely duplicates among the live patients accepted.
func (x *Extract) checkPatientsRows() {
	x.checkReferrals()
	x.checkPathways()
	x.checkAppointments()
	x.checkWaitingList()
	x.checkInpatients()
	x.findDuplicates()
}

func (x *Extract) checkPatients() {
	f, gp := x.files[FilePatients], x.files[FileGPPractices]
	mrns := map[string]bool{}
	nhsLive := map[string]bool{}
	for i := range f.Rows {
		r := &f.Rows[i]
		if r.Fields == nil {
			continue
		}
		mrn, num, merged := f.get(r, "hospital_number"), f.get(r, "nhs_number"), f.get(r, "merged_into_legacy_patient_id")
		if r.Accepted() {
			st := f.get(r, "nhs_number_status")
			dob, dod := f.get(r, "date_of_birth"), f.get(r, "date_of_death")
			switch {
			case mrns[mrn]:
				r.reject(ReasonHospitalNumberDup, "hospital_number")
			case (st == "01" || st == "02") && num == "" || (st == "07" || st == "08") && num != "":
				r.reject(ReasonNHSStatusMismatch, "nhs_number_status")
			case merged == "" && num != "" && nhsLive[num]:
				r.reject(ReasonNHSDuplicate, "nhs_number")
			case dob > x.CensusDate:
				r.reject(ReasonDateAfterCensus, "date_of_birth")
			case dod != "" && dod < dob:
				r.reject(ReasonDeathBeforeBirth, "date_of_death")
			case dod > x.CensusDate:
				r.reject(ReasonDateAfterCensus, "date_of_death")
			default:
				if c := f.get(r, "gp_practice_code"); c != "" {
					if reason := refReason(gp.lookup(c), "gp_practice"); reason != "" {
						r.reject(reason, "gp_practice_code")
					}
				}
			}
		}
		mrns[mrn] = true
		if merged == "" && num != "" {
			nhsLive[num] = true
		}
	}
	x.checkMergeTargets()
}

// checkMergeTargets is P8, once every line has been through P1-P7: a
// merged record must name an accepted live record.
func (x *Extract) checkMergeTargets() {
	f := x.files[FilePatients]
	var bad []int
	for i := range f.Rows {
		r := &f.Rows[i]
		if !r.Accepted() {
			continue
		}
		m := f.get(r, "merged_into_legacy_patient_id")
		if m == "" {
			continue
		}
		t := f.lookup(m)
		switch {
		case m == r.Fields[0]:
			bad = append(bad, i)
			r.Column = ReasonMergeTargetInvalid
		case t == nil:
			bad = append(bad, i)
			r.Column = ReasonMergeTargetNotFound
		case f.get(t, "merged_into_legacy_patient_id") != "" || !t.Accepted():
			bad = append(bad, i)
			r.Column = ReasonMergeTargetInvalid
		}
	}
	for _, i := range bad {
		r := &f.Rows[i]
		r.Reason, r.Column = r.Column, "merged_into_legacy_patient_id"
	}
}

// refuse rejects the rows a load met but refused (rows whose Refused is
// set; those loaded are left as they are), and then the rows that depend
// on them, as the checks of section 4 reject the rows of a rejected
// patient: the import's report, its progress and the reconciliation
// then count them all among the rejected rows. Every refusal is of a
// patient's NHS number.
func (x *Extract) refuse(rows []crs.MigratedRow) {
	refused := false
	for _, m := range rows {
		f := x.files[m.File]
		if m.Refused == "" || f == nil || !keyed[m.File] {
			continue
		}
		if r := f.lookup(m.Key); r != nil && r.Accepted() {
			r.reject(m.Refused, "nhs_number")
			r.Detail = m.Detail
			refused = true
		}
	}
	if !refused {
		return
	}
	x.checkMergeTargets()
	x.checkPatientsRows()
}

// livePatient is the reason a reference to a patient is rejected for, or
// "" when it names an accepted live patient, which it returns.
func (x *Extract) livePatient(v string) (*Row, string) {
	f := x.files[FilePatients]
	p := f.lookup(v)
	if reason := refReason(p, "patient"); reason != "" {
		return nil, reason
	}
	if f.get(p, "merged_into_legacy_patient_id") != "" {
		return nil, ReasonPatientMerged
	}
	return p, ""
}

func (x *Extract) checkSessions() {
	f, clinics := x.files[FileSessions], x.files[FileClinics]
	for i := range f.Rows {
		r := &f.Rows[i]
		if !r.Accepted() {
			continue
		}
		start, end := minutes(f.get(r, "start_time")), minutes(f.get(r, "end_time"))
		slot, _ := strconv.Atoi(f.get(r, "slot_minutes"))
		from, to := f.get(r, "valid_from"), f.get(r, "valid_to")
		if reason := refReason(clinics.lookup(f.get(r, "clinic_code")), "clinic"); reason != "" {
			r.reject(reason, "clinic_code")
		} else if start >= end {
			r.reject(ReasonSessionInconsistent, "end_time")
		} else if (end-start)%slot != 0 {
			r.reject(ReasonSessionInconsistent, "slot_minutes")
		} else if to != "" && to < from {
			r.reject(ReasonSessionInconsistent, "valid_to")
		}
	}
}

func (x *Extract) checkReferrals() {
	f := x.files[FileReferrals]
	for i := range f.Rows {
		r := &f.Rows[i]
		if !r.Accepted() {
			continue
		}
		if _, reason := x.livePatient(f.get(r, "legacy_patient_id")); reason != "" {
			r.reject(reason, "legacy_patient_id")
		} else if f.get(r, "received_date") > x.CensusDate {
			r.reject(ReasonDateAfterCensus, "received_date")
		}
	}
}

func (x *Extract) checkPathways() {
	ev, f, refs := x.files[FileEvents], x.files[FilePathways], x.files[FileReferrals]
	// rtt_events.csv, first pass: E1.
	wellFormed := map[string][]int{} // ppid -> indexes of its well-formed events, in line order
	for i := range ev.Rows {
		r := &ev.Rows[i]
		if !r.Accepted() {
			continue
		}
		if ev.get(r, "event_date") > x.CensusDate {
			r.reject(ReasonDateAfterCensus, "event_date")
			continue
		}
		p := ev.get(r, "ppid")
		wellFormed[p] = append(wellFormed[p], i)
	}
	for i := range f.Rows {
		r := &f.Rows[i]
		if !r.Accepted() {
			continue
		}
		ref := refs.lookup(f.get(r, "referral_id"))
		start, stop := f.get(r, "clock_start_date"), f.get(r, "clock_stop_date")
		status, code := f.get(r, "status"), f.get(r, "rtt_status_code")
		events := wellFormed[r.Fields[0]]
		if reason := refReason(ref, "referral"); reason != "" {
			r.reject(reason, "referral_id")
			continue
		}
		switch {
		case refs.get(ref, "consultant_led") == "N":
			r.reject(ReasonNotConsultantLed, "referral_id")
		case start > x.CensusDate:
			r.reject(ReasonDateAfterCensus, "clock_start_date")
		case stop > x.CensusDate:
			r.reject(ReasonDateAfterCensus, "clock_stop_date")
		case start < refs.get(ref, "received_date"):
			r.reject(ReasonClockBeforeReferral, "clock_start_date")
		case !statusConsistent(status, stop, start, code):
			r.reject(ReasonPathwayInconsistent, "status")
		case len(events) == 0:
			r.reject(ReasonPathwayNoEvents, "ppid")
		default:
			first, last := &ev.Rows[events[0]], &ev.Rows[events[0]]
			for _, j := range events[1:] {
				e := &ev.Rows[j]
				d := ev.get(e, "event_date")
				if d < ev.get(first, "event_date") {
					first = e
				}
				if d >= ev.get(last, "event_date") {
					last = e
				}
			}
			if start > ev.get(first, "event_date") {
				r.reject(ReasonClockAfterFirstEvent, "clock_start_date")
			} else if code != ev.get(last, "rtt_status_code") {
				r.reject(ReasonPathwayCodeMismatch, "rtt_status_code")
			}
		}
	}
	// rtt_events.csv, second pass: E2.
	for i := range ev.Rows {
		r := &ev.Rows[i]
		if !r.Accepted() {
			continue
		}
		if reason := refReason(f.lookup(ev.get(r, "ppid")), "pathway"); reason != "" {
			r.reject(reason, "ppid")
		}
	}
}

// statusConsistent is rule W6: the status, stop date and code of a
// period agree.
func statusConsistent(status, stop, start, code string) bool {
	if status == "open" {
		switch code {
		case "10", "11", "12", "20", "21", "33", "99":
			return stop == ""
		}
		return false
	}
	if stop == "" || stop < start {
		return false
	}
	return code >= "30" && code <= "36" && len(code) == 2
}

func (x *Extract) checkAppointments() {
	f, refs, clinics := x.files[FileAppts], x.files[FileReferrals], x.files[FileClinics]
	sessions := x.sessionsByClinic()
	x.eachWithPatient(f, func(r, p *Row) {
		ref := refs.lookup(f.get(r, "referral_id"))
		if reason := refReason(ref, "referral"); reason != "" {
			r.reject(reason, "referral_id")
			return
		}
		if refs.get(ref, "legacy_patient_id") != f.get(r, "legacy_patient_id") {
			r.reject(ReasonReferralMismatch, "referral_id")
			return
		}
		if reason := refReason(clinics.lookup(f.get(r, "clinic_code")), "clinic"); reason != "" {
			r.reject(reason, "clinic_code")
			return
		}
		start, status := f.get(r, "start"), f.get(r, "status")
		dod := x.files[FilePatients].get(p, "date_of_death")
		dur, _ := strconv.Atoi(f.get(r, "duration_minutes"))
		switch {
		case status == "booked" && start <= x.ExtractDatetime:
			r.reject(ReasonNotOutcomed, "status")
		case (status == "attended" || status == "dna") && start > x.ExtractDatetime:
			r.reject(ReasonOutcomeInFuture, "status")
		case (status == "booked" || status == "attended" || status == "dna") && dod != "" && start[:10] > dod:
			r.reject(ReasonAppointmentAfterDeath, "start")
		case !fitsSlot(sessions[f.get(r, "clinic_code")], start, dur):
			r.reject(ReasonOutOfSlot, "start")
		}
	})
}

// eachWithPatient calls fn with each row of f that has passed every check
// so far and whose legacy_patient_id names an accepted live patient, with
// that patient's row; a row naming any other is rejected for it.
func (x *Extract) eachWithPatient(f *File, fn func(r, patient *Row)) {
	for i := range f.Rows {
		r := &f.Rows[i]
		if !r.Accepted() {
			continue
		}
		p, reason := x.livePatient(f.get(r, "legacy_patient_id"))
		if reason != "" {
			r.reject(reason, "legacy_patient_id")
			continue
		}
		fn(r, p)
	}
}

// session is an accepted weekly session template of a clinic.
type session struct {
	weekday      int
	from, to     string
	start, end   int
	slot         int
	slotType     string
	line         int
	clinicCode   string
	validToOpen  bool
	clinicRowIdx int
}

func (x *Extract) sessionsByClinic() map[string][]session {
	f := x.files[FileSessions]
	m := map[string][]session{}
	for i := range f.Rows {
		r := &f.Rows[i]
		if !r.Accepted() {
			continue
		}
		s := sessionOf(f, r)
		m[s.clinicCode] = append(m[s.clinicCode], s)
	}
	return m
}

func sessionOf(f *File, r *Row) session {
	wd, _ := strconv.Atoi(f.get(r, "weekday"))
	slot, _ := strconv.Atoi(f.get(r, "slot_minutes"))
	return session{weekday: wd, from: f.get(r, "valid_from"), to: f.get(r, "valid_to"),
		start: minutes(f.get(r, "start_time")), end: minutes(f.get(r, "end_time")), slot: slot,
		slotType: f.get(r, "slot_type"), line: r.Line, clinicCode: f.get(r, "clinic_code")}
}

// fitSession returns the first session an appointment starting at start
// (YYYY-MM-DDTHH:MM) for dur minutes fits a slot of (section 6), or nil.
func fitSession(ss []session, start string, dur int) *session {
	day := start[:10]
	t, _ := time.Parse("2006-01-02", day)
	wd := int(t.Weekday())
	if wd == 0 {
		wd = 7
	}
	m := minutes(start[11:])
	for i := range ss {
		s := &ss[i]
		if s.weekday != wd || day < s.from || (s.to != "" && day > s.to) {
			continue
		}
		if m < s.start || m+dur > s.end || (m-s.start)%s.slot != 0 || dur%s.slot != 0 {
			continue
		}
		return s
	}
	return nil
}

func fitsSlot(ss []session, start string, dur int) bool { return fitSession(ss, start, dur) != nil }

func (x *Extract) checkWaitingList() {
	f, paths, refs := x.files[FileWaitingList], x.files[FilePathways], x.files[FileReferrals]
	for i := range f.Rows {
		r := &f.Rows[i]
		if !r.Accepted() {
			continue
		}
		pw := paths.lookup(f.get(r, "ppid"))
		if reason := refReason(pw, "pathway"); reason != "" {
			r.reject(reason, "ppid")
			continue
		}
		if _, reason := x.livePatient(f.get(r, "legacy_patient_id")); reason != "" {
			r.reject(reason, "legacy_patient_id")
			continue
		}
		ref := refs.lookup(paths.get(pw, "referral_id"))
		dta, tci, status := f.get(r, "decision_to_admit_date"), f.get(r, "tci_date"), f.get(r, "status")
		switch {
		case refs.get(ref, "legacy_patient_id") != f.get(r, "legacy_patient_id"):
			r.reject(ReasonPathwayPatientMismatch, "legacy_patient_id")
		case dta > x.CensusDate:
			r.reject(ReasonDateAfterCensus, "decision_to_admit_date")
		case tci != "" && tci < dta:
			r.reject(ReasonTCIBeforeDecision, "tci_date")
		case (status == "waiting" || status == "suspended") &&
			(paths.get(pw, "status") != "open" || paths.get(pw, "rtt_status_code") == "33"):
			r.reject(ReasonPathwayClosed, "status")
		}
	}
}

func (x *Extract) checkInpatients() {
	f, wards, pats := x.files[FileInpatients], x.files[FileWards], x.files[FilePatients]
	var passed []*Row
	x.eachWithPatient(f, func(r, p *Row) {
		w := wards.lookup(f.get(r, "ward_code"))
		switch {
		case pats.get(p, "date_of_death") != "":
			r.reject(ReasonPatientDeceased, "legacy_patient_id")
		case f.get(r, "admitted") > x.ExtractDatetime:
			r.reject(ReasonAdmittedAfterExtract, "admitted")
		case refReason(w, "ward") != "":
			r.reject(refReason(w, "ward"), "ward_code")
		default:
			beds, _ := strconv.Atoi(wards.get(w, "beds"))
			n, _ := strconv.Atoi(f.get(r, "bed_code")[1:])
			if n < 1 || n > beds {
				r.reject(ReasonBedNotInWard, "bed_code")
			} else {
				passed = append(passed, r)
			}
		}
	})
	rejectShared := func(rows []*Row, keyOf func(*Row) string, reason, column string) []*Row {
		count := map[string]int{}
		for _, r := range rows {
			count[keyOf(r)]++
		}
		var still []*Row
		for _, r := range rows {
			if count[keyOf(r)] > 1 {
				r.reject(reason, column)
			} else {
				still = append(still, r)
			}
		}
		return still
	}
	passed = rejectShared(passed, func(r *Row) string { return f.get(r, "legacy_patient_id") }, ReasonAlreadyAdmitted, "legacy_patient_id")
	rejectShared(passed, func(r *Row) string { return f.get(r, "ward_code") + "\x00" + f.get(r, "bed_code") }, ReasonBedDoubleOccupied, "bed_code")
}

// findDuplicates lists the likely-duplicate pairs of live patients
// (section 7).
func (x *Extract) findDuplicates() {
	f := x.files[FilePatients]
	groups := map[string][]*Row{}
	for i := range f.Rows {
		r := &f.Rows[i]
		if !r.Accepted() || f.get(r, "merged_into_legacy_patient_id") != "" {
			continue
		}
		pc := f.get(r, "postcode")
		sx := Soundex(f.get(r, "family_name"))
		if pc == "" || len(pc) >= 4 && pc[:4] == "ZZ99" || sx == "" {
			continue
		}
		k := f.get(r, "date_of_birth") + "|" + f.get(r, "gender") + "|" + pc + "|" + sx
		groups[k] = append(groups[k], r)
	}
	x.LikelyDuplicates = nil
	for _, g := range groups {
		for i := 0; i < len(g); i++ {
			for j := i + 1; j < len(g); j++ {
				a, b := f.get(g[i], "nhs_number"), f.get(g[j], "nhs_number")
				if a != "" && b != "" && a != b {
					continue
				}
				p := [2]string{g[i].Fields[0], g[j].Fields[0]}
				if p[1] < p[0] {
					p[0], p[1] = p[1], p[0]
				}
				x.LikelyDuplicates = append(x.LikelyDuplicates, p)
			}
		}
	}
	sort.Slice(x.LikelyDuplicates, func(i, j int) bool {
		a, b := x.LikelyDuplicates[i], x.LikelyDuplicates[j]
		if a[0] != b[0] {
			return a[0] < b[0]
		}
		return a[1] < b[1]
	})
}

// Soundex is the American Soundex code of a family name as section 7 of
// the extract's specification defines it; "" when the name has no ASCII
// letter.
func Soundex(name string) string {
	code := match.SoundexDigit
	out := make([]byte, 0, 4)
	var prev byte
	for i := 0; i < len(name) && len(out) < 4; i++ {
		c := name[i]
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		if c < 'A' || c > 'Z' {
			continue
		}
		if len(out) == 0 {
			out = append(out, c)
			prev = code(c)
			continue
		}
		switch c {
		case 'H', 'W':
			continue
		case 'A', 'E', 'I', 'O', 'U', 'Y':
			prev = 0
			continue
		}
		d := code(c)
		if d != prev {
			out = append(out, d)
		}
		prev = d
	}
	if len(out) == 0 {
		return ""
	}
	for len(out) < 4 {
		out = append(out, '0')
	}
	return string(out)
}
