package golive

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"sort"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/rtt"
)

//go:embed templates/report.html
var templateFS embed.FS

var reportPage = template.Must(template.New("report.html").Funcs(template.FuncMap{
	"deref": func(s *string) string { return *s },
}).ParseFS(templateFS, "templates/report.html"))

// reasonMeanings say in words what each reason code means.
var reasonMeanings = map[string]string{
	ReasonAdmittedAfterExtract:   "Admitted after the extract was taken.",
	ReasonAppointmentAfterDeath:  "Booked, attended or did not attend after the patient's death.",
	ReasonNotOutcomed:            "Still booked but in the past: never outcomed.",
	ReasonOutOfSlot:              "Fits no slot of its clinic's sessions: not forced into one.",
	ReasonBadCode:                "The value is not in the column's code list.",
	ReasonBadDate:                "Not a real YYYY-MM-DD date from 1900.",
	ReasonBadDatetime:            "Not a real YYYY-MM-DDTHH:MM date and time.",
	ReasonBadFormat:              "The value does not match the column's type.",
	ReasonBedDoubleOccupied:      "Two or more patients in one bed: nobody can tell from the extract who is in it.",
	ReasonBedNotInWard:           "The ward has no such bed.",
	ReasonClinicNotFound:         "The clinic is not in clinics.csv.",
	ReasonClinicRejected:         "The clinic was rejected.",
	ReasonClockAfterFirstEvent:   "The clock starts after the period's first event.",
	ReasonClockBeforeReferral:    "The clock starts before the referral was received.",
	ReasonDateAfterCensus:        "A date after the census date.",
	ReasonDeathBeforeBirth:       "Date of death before date of birth.",
	ReasonDuplicateID:            "The key was already used on an earlier line.",
	ReasonGPNotFound:             "The GP practice is not in gp_practices.csv.",
	ReasonGPRejected:             "The GP practice was rejected.",
	ReasonHospitalNumberDup:      "The hospital number was already used on an earlier line.",
	ReasonMergeTargetInvalid:     "Merged into itself, into a merged record or into a rejected record.",
	ReasonMergeTargetNotFound:    "Merged into a record not in the file.",
	ReasonMissingRequired:        "A required column is empty.",
	ReasonNHSCheckDigit:          "The NHS number fails the Modulus 11 check.",
	ReasonNHSDuplicate:           "The NHS number of an earlier live record.",
	ReasonNHSHeld:                "A live patient of OpenCRS already held the NHS number when the row was loaded (registered by a feed or by hand before the migration, or by an earlier rehearsal): the row was not loaded, and the patient-index team decides whether the two are one person.",
	ReasonNHSStatusMismatch:      "The NHS number status and the presence of the number disagree.",
	ReasonOutcomeInFuture:        "Attended or did not attend after the extract was taken.",
	ReasonPathwayClosed:          "Waiting or suspended on a closed or nullified pathway.",
	ReasonPathwayNoEvents:        "The pathway has no events.",
	ReasonPathwayNotFound:        "The pathway is not in rtt_pathways.csv.",
	ReasonPathwayRejected:        "The pathway was rejected.",
	ReasonPathwayPatientMismatch: "The entry and its pathway belong to different patients.",
	ReasonPathwayCodeMismatch:    "The RTT status code is not that of the latest event.",
	ReasonPathwayInconsistent:    "The status, stop date and code disagree.",
	ReasonAlreadyAdmitted:        "One patient in two beds.",
	ReasonPatientDeceased:        "The patient has died.",
	ReasonPatientMerged:          "Refers to a merged record.",
	ReasonPatientNotFound:        "The patient is not in patients.csv.",
	ReasonPatientRejected:        "The patient was rejected.",
	ReasonNotConsultantLed:       "An RTT period on a referral that is not consultant-led.",
	ReasonReferralNotFound:       "The referral is not in referrals.csv.",
	ReasonReferralRejected:       "The referral was rejected.",
	ReasonReferralMismatch:       "The appointment and its referral belong to different patients.",
	ReasonSessionInconsistent:    "The session's times, slot length or validity do not agree.",
	ReasonTCIBeforeDecision:      "The TCI date is before the decision to admit.",
	ReasonWardNotFound:           "The ward is not in wards.csv.",
	ReasonWardRejected:           "The ward was rejected.",
	ReasonWrongColumnCount:       "More or fewer fields than the header: the line is not read further.",
}

// HTML writes the report as a page people can read: the counts, then the
// rejected rows grouped by reason, each as it was in the file.
func (r *Report) HTML() ([]byte, error) {
	type fileRow struct {
		Name   string
		Counts FileCounts
	}
	type group struct {
		Reason, Meaning string
		Rows            []Rejection
	}
	type line struct {
		Name          string
		Total, Within int
	}
	data := struct {
		*Report
		Files      []fileRow
		Groups     []group
		Rejected   int
		RTT        *crs.RTTIncomplete
		Share      string
		Lines      []line
		Inpatients int
	}{Report: r, RTT: r.RTTIncomplete, Rejected: len(r.Rejections), Inpatients: r.Inpatients.Accepted}
	for _, k := range r.Files.Keys {
		data.Files = append(data.Files, fileRow{k, r.Files.Values[k]})
	}
	by := map[string][]Rejection{}
	for _, rj := range r.Rejections {
		by[rj.Reason] = append(by[rj.Reason], rj)
	}
	for reason, rows := range by {
		data.Groups = append(data.Groups, group{reason, reasonMeanings[reason], rows})
	}
	sort.Slice(data.Groups, func(i, j int) bool { return data.Groups[i].Reason < data.Groups[j].Reason })
	data.Share = fmt.Sprintf("%.2f%%", 100*r.RTTIncomplete.ShareWithin18Weeks)
	for _, l := range rtt.Lines() {
		if v := r.RTTIncomplete.ByRTTLine[l.Code]; v != nil {
			data.Lines = append(data.Lines, line{l.Code + " " + l.Name, v.Total, v.Within18Weeks})
		}
	}
	var b bytes.Buffer
	if err := reportPage.Execute(&b, data); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
