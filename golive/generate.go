package golive

import (
	"bufio"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/opencrs/crs/nhs"
)

// Planted is a problem a generated extract holds on purpose: the row, and
// the reason and column it must be rejected with.
type Planted struct {
	File   string
	Line   int
	Reason string
	Column string // "" for a wrong column count
}

// GenerateOptions shape a generated legacy extract.
type GenerateOptions struct {
	Patients int   // live patients of the clean part
	Seed     int64 // chooses the generated people and activity
	ODS      string
}

// generator writes the files of a synthetic extract.
type generator struct {
	dir     string
	rnd     *rand.Rand
	out     map[string]*bufio.Writer
	files   map[string]*os.File
	lines   map[string]int
	planted []Planted
	census  time.Time
	nhsNext int
}

// Generate writes a synthetic legacy extract in the format of the
// specification into dir: a clean trust of o.Patients patients with
// referrals, RTT periods and their events, clinics and appointments in
// their slots, a waiting list and inpatients, and, appended to it, rows
// that break every rule, one or more for each reason code. It returns the
// planted rows. Every other row is valid. NHS numbers are from the 999
// test range; names and addresses are made up.
func Generate(dir string, o GenerateOptions) ([]Planted, error) {
	if o.ODS == "" {
		o.ODS = "R9V"
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	g := &generator{dir: dir, rnd: rand.New(rand.NewSource(o.Seed)), out: map[string]*bufio.Writer{},
		files: map[string]*os.File{}, lines: map[string]int{}, census: time.Date(2026, 8, 31, 0, 0, 0, 0, time.UTC)}
	for _, name := range Files {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		g.files[name] = f
		g.out[name] = bufio.NewWriterSize(f, 1<<16)
		g.out[name].WriteString(Header(name) + "\r\n")
		g.lines[name] = 1
	}
	g.write(o)
	for _, name := range Files {
		if err := g.out[name].Flush(); err != nil {
			return nil, err
		}
		if err := g.files[name].Close(); err != nil {
			return nil, err
		}
	}
	return g.planted, nil
}

// add writes a row and returns its line.
func (g *generator) add(file string, fields ...string) int {
	w := g.out[file]
	for i, f := range fields {
		if i > 0 {
			w.WriteByte(',')
		}
		if strings.ContainsAny(f, ",\"") {
			w.WriteString(`"` + strings.ReplaceAll(f, `"`, `""`) + `"`)
		} else {
			w.WriteString(f)
		}
	}
	w.WriteString("\r\n")
	g.lines[file]++
	return g.lines[file]
}

// plant writes a row that must be rejected with reason in column.
func (g *generator) plant(reason, column, file string, fields ...string) {
	g.planted = append(g.planted, Planted{File: file, Line: g.add(file, fields...), Reason: reason, Column: column})
}

func (g *generator) day(t time.Time) string { return t.Format("2006-01-02") }

// nhsNumber is the next valid NHS number of the test range.
func (g *generator) nhsNumber() string {
	for {
		g.nhsNext++
		nine := fmt.Sprintf("999%06d", g.nhsNext)
		if d, ok := nhs.CheckDigit(nine); ok {
			return nine + strconv.Itoa(d)
		}
	}
}

var (
	familyNames = []string{"Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel", "Robinson",
		"Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Thomas", "Clarke", "O'Brien", "Okafor", "Nowak", "Khan"}
	givenNames = []string{"Oliver", "Amelia", "George", "Isla", "Harry", "Ava", "Noah", "Mia", "Jack", "Ivy", "Leo", "Grace", "Arthur", "Freya", "Muhammad", "Aisha"}
	streets    = []string{"Station Road", "High Street", "Church Lane", "Mill Way", "Park Avenue", "Victoria Road"}
	towns      = []string{"Halworth", "Nordale", "Eastbury", "Kingsmere"}
	genTFCs    = []string{"100", "101", "110", "120", "130", "300", "301", "320", "330", "340", "400", "410", "430", "502", "191", "653"}
)

type genPatient struct {
	id, nhs, mrn, dob, dod, postcode string
}

type genReferral struct {
	id, patient, received, tfc string
	consultantLed              bool
}

type genPathway struct {
	ppid, referral, patient, start, status, stop, code string
}

func (g *generator) write(o GenerateOptions) {
	r := g.rnd
	census := g.census
	g.add(FileExtract, o.ODS, "2026-09-01T01:30", g.day(census), "Oakwood PAS 7.3")

	// GP practices, wards, clinics and their sessions.
	practices := max(5, o.Patients/2000)
	for i := 0; i < practices; i++ {
		g.add(FileGPPractices, fmt.Sprintf("B%05d", 10000+i), fmt.Sprintf("Practice %d, Health Centre", i+1), fmt.Sprintf("BD%d %dAB", 1+i%20, 1+i%9))
	}
	wards := max(4, o.Patients/5000)
	for i := 0; i < wards; i++ {
		g.add(FileWards, fmt.Sprintf("W%02d", i+1), fmt.Sprintf("Ward %d", i+1), o.ODS+"01", "30", "general_acute")
	}
	clinicOf := map[string]string{}
	for i, tf := range genTFCs {
		code := "CL" + tf
		clinicOf[tf] = code
		g.add(FileClinics, code, "Clinic "+tf, tf, fmt.Sprintf("C%07d", 9900000+i), o.ODS+"01")
		// An old template ended, and today's: Monday to Friday mornings in 15-minute slots.
		g.add(FileSessions, code, "1", "14:00", "16:00", "20", "new", "2019-01-01", "2019-12-31")
		for wd := 1; wd <= 5; wd++ {
			g.add(FileSessions, code, strconv.Itoa(wd), "09:00", "12:00", "15", "follow-up", "2020-01-01", "")
		}
	}

	// Patients.
	patients := make([]genPatient, o.Patients)
	for i := range patients {
		p := genPatient{id: fmt.Sprintf("P%07d", i+1), mrn: fmt.Sprintf("H%07d", i+1),
			dob:      g.day(time.Date(1930+r.Intn(90), time.Month(1+r.Intn(12)), 1+r.Intn(28), 0, 0, 0, 0, time.UTC)),
			postcode: fmt.Sprintf("%s%d %d%c%c", []string{"BD", "ST", "LS", "M"}[r.Intn(4)], 1+r.Intn(30), r.Intn(10), 'A'+rune(r.Intn(26)), 'A'+rune(r.Intn(26)))}
		status := "01"
		if r.Intn(20) > 0 {
			p.nhs = g.nhsNumber()
		} else {
			status = "07"
		}
		if r.Intn(200) == 0 {
			p.dod = g.day(census.AddDate(0, 0, -1-r.Intn(300)))
		}
		patients[i] = p
		addr := fmt.Sprintf("%d %s", 1+r.Intn(200), streets[r.Intn(len(streets))])
		if r.Intn(10) == 0 {
			addr = "Flat 2, " + addr
		}
		g.add(FilePatients, p.id, p.nhs, status, p.mrn, familyNames[r.Intn(len(familyNames))], givenNames[r.Intn(len(givenNames))]+" J",
			"", p.dob, p.dod, []string{"1", "2"}[r.Intn(2)], "A", addr, "", towns[r.Intn(len(towns))], p.postcode,
			"020 7946 0"+fmt.Sprintf("%03d", r.Intn(1000)), fmt.Sprintf("B%05d", 10000+r.Intn(practices)), "")
	}
	// A merged record of the first patient.
	merged := "M0000001"
	g.add(FilePatients, merged, "", "07", "H9000001", "Smyth", "Old", "", patients[0].dob, "", "1", "A", "", "", "", "", "", "", patients[0].id)

	// Referrals, their RTT periods and events, and appointments.
	var refs []genReferral
	var paths []genPathway
	slot := func(day time.Time) string { // a slot of a Monday-Friday morning session
		for day.Weekday() == time.Saturday || day.Weekday() == time.Sunday {
			day = day.AddDate(0, 0, 1)
		}
		return g.day(day) + "T" + fmt.Sprintf("%02d:%02d", 9+r.Intn(3), 15*r.Intn(4))
	}
	nref, npw, nappt, nwl := 0, 0, 0, 0
	for i := range patients {
		p := patients[i]
		if r.Intn(10) >= 7 {
			continue
		}
		nref++
		received := census.AddDate(0, 0, -r.Intn(600))
		if p.dod != "" && g.day(received) > p.dod {
			continue
		}
		ref := genReferral{id: fmt.Sprintf("RF%08d", nref), patient: p.id, received: g.day(received), tfc: genTFCs[r.Intn(len(genTFCs))], consultantLed: r.Intn(10) > 0}
		refs = append(refs, ref)
		cl := "Y"
		if !ref.consultantLed {
			cl = "N"
		}
		g.add(FileReferrals, ref.id, p.id, ref.received, "03", "1", ref.tfc, "", cl)
		clinic := clinicOf[ref.tfc]
		// The first appointment, a few weeks after the referral.
		first := received.AddDate(0, 0, 14+r.Intn(40))
		attended := g.day(first) < "2026-09-01" && (p.dod == "" || g.day(first) <= p.dod)
		if !ref.consultantLed {
			if attended {
				nappt++
				g.add(FileAppts, fmt.Sprintf("OP%08d", nappt), p.id, ref.id, clinic, slot(first), "15", "new", "attended", "98")
			}
			continue
		}
		npw++
		pw := genPathway{ppid: fmt.Sprintf("PW%08d", npw), referral: ref.id, patient: p.id, start: ref.received, status: "open", code: "10"}
		events := [][]string{{pw.ppid, ref.received, "10", "referral"}}
		start := slot(first)
		switch {
		case !attended && g.day(first) >= "2026-09-01" && p.dod == "":
			nappt++
			g.add(FileAppts, fmt.Sprintf("OP%08d", nappt), p.id, ref.id, clinic, start, "15", "new", "booked", "")
		case attended:
			nappt++
			treated := r.Intn(3) == 0
			code := "20"
			if treated {
				code = "30"
			}
			g.add(FileAppts, fmt.Sprintf("OP%08d", nappt), p.id, ref.id, clinic, start, "15", "new", "attended", code)
			if treated {
				events = append(events, []string{pw.ppid, start[:10], "30", "treatment"})
				pw.status, pw.stop, pw.code = "closed", start[:10], "30"
			} else {
				events = append(events, []string{pw.ppid, start[:10], "20", "attendance"})
				pw.code = "20"
				if r.Intn(3) == 0 && start[:10] < "2026-08-20" {
					dta := start[:10]
					events = append(events, []string{pw.ppid, dta, "20", "decision_to_admit"})
					nwl++
					tci := ""
					if r.Intn(2) == 0 {
						tci = g.day(census.AddDate(0, 0, 10+r.Intn(60)))
					}
					g.add(FileWaitingList, fmt.Sprintf("WL%07d", nwl), pw.ppid, p.id, dta, "1", "W401", "P3", tci, "waiting")
				}
			}
		}
		paths = append(paths, pw)
		g.add(FilePathways, pw.ppid, pw.referral, pw.start, pw.status, pw.stop, pw.code)
		for _, e := range events {
			g.add(FileEvents, e...)
		}
	}
	// Inpatients: one in each of the first beds of each ward.
	bed := 0
	for i := 0; i < len(patients) && bed < wards*20; i += 7 {
		if patients[i].dod != "" {
			continue
		}
		g.add(FileInpatients, fmt.Sprintf("IP%07d", bed+1), patients[i].id, "2026-08-2"+strconv.Itoa(r.Intn(9))+"T10:15", "21",
			fmt.Sprintf("W%02d", bed/20+1), fmt.Sprintf("B%02d", bed%20+1), "C9900001")
		bed++
	}
	g.plantAll(o, patients, refs, paths, merged, clinicOf)
}

// plantAll appends rows that break each rule of the specification.
func (g *generator) plantAll(o GenerateOptions, patients []genPatient, refs []genReferral, paths []genPathway, merged string, clinicOf map[string]string) {
	p0, p1 := patients[0], patients[1]
	site := o.ODS + "01"
	pat := func(id, nhsNo, status, mrn, family, dob, dod, gender, postcode, gp, mergedInto string) []string {
		return []string{id, nhsNo, status, mrn, family, "Test", "", dob, dod, gender, "A", "1 Test Street", "", "", postcode, "", gp, mergedInto}
	}
	// Files and fields.
	g.plant(ReasonBadFormat, "postcode", FileGPPractices, "B99001", "Rejected Practice", "bd1 1ab")
	g.plant(ReasonWrongColumnCount, "", FilePatients, append(pat("X0000001", "", "07", "X1", "Extra", "1970-01-01", "", "1", "", "", ""), "surplus")...)
	g.plant(ReasonMissingRequired, "family_name", FilePatients, pat("X0000002", "", "07", "X2", "", "1970-01-01", "", "1", "", "", "")...)
	g.plant(ReasonBadFormat, "hospital_number", FilePatients, pat("X0000003", "", "07", "x3", "Lower", "1970-01-01", "", "1", "", "", "")...)
	g.plant(ReasonBadCode, "gender", FilePatients, pat("X0000004", "", "07", "X4", "Gender", "1970-01-01", "", "M", "", "", "")...)
	g.plant(ReasonBadDate, "date_of_birth", FilePatients, pat("X0000005", "", "07", "X5", "Date", "2026-02-30", "", "1", "", "", "")...)
	g.plant(ReasonNHSCheckDigit, "nhs_number", FilePatients, pat("X0000006", "9991234560", "01", "X6", "Check", "1970-01-01", "", "1", "", "", "")...)
	g.plant(ReasonDuplicateID, "legacy_patient_id", FilePatients, pat(p1.id, "", "07", "X7", "Dup", "1970-01-01", "", "1", "", "", "")...)
	g.plant(ReasonHospitalNumberDup, "hospital_number", FilePatients, pat("X0000008", "", "07", p1.mrn, "Mrn", "1970-01-01", "", "1", "", "", "")...)
	g.plant(ReasonNHSStatusMismatch, "nhs_number_status", FilePatients, pat("X0000009", "", "01", "X9", "Status", "1970-01-01", "", "1", "", "", "")...)
	dupNHS := ""
	for _, p := range patients {
		if dupNHS = p.nhs; dupNHS != "" {
			break
		}
	}
	g.plant(ReasonNHSDuplicate, "nhs_number", FilePatients, pat("X0000010", dupNHS, "01", "X10", "Twice", "1970-01-01", "", "1", "", "", "")...)
	g.plant(ReasonDateAfterCensus, "date_of_birth", FilePatients, pat("X0000011", "", "07", "X11", "Future", "2026-09-15", "", "1", "", "", "")...)
	g.plant(ReasonDeathBeforeBirth, "date_of_death", FilePatients, pat("X0000012", "", "07", "X12", "Death", "1970-01-01", "1960-01-01", "1", "", "", "")...)
	g.plant(ReasonDateAfterCensus, "date_of_death", FilePatients, pat("X0000013", "", "07", "X13", "Later", "1970-01-01", "2026-09-20", "1", "", "", "")...)
	g.plant(ReasonGPNotFound, "gp_practice_code", FilePatients, pat("X0000014", "", "07", "X14", "Nogp", "1970-01-01", "", "1", "", "Z99999", "")...)
	g.plant(ReasonGPRejected, "gp_practice_code", FilePatients, pat("X0000015", "", "07", "X15", "Badgp", "1970-01-01", "", "1", "", "B99001", "")...)
	g.plant(ReasonMergeTargetNotFound, "merged_into_legacy_patient_id", FilePatients, pat("X0000016", "", "07", "X16", "Gone", "1970-01-01", "", "1", "", "", "Y0000001")...)
	g.plant(ReasonMergeTargetInvalid, "merged_into_legacy_patient_id", FilePatients, pat("X0000017", "", "07", "X17", "Self", "1970-01-01", "", "1", "", "", "X0000017")...)
	g.plant(ReasonMergeTargetInvalid, "merged_into_legacy_patient_id", FilePatients, pat("X0000018", "", "07", "X18", "Chain", "1970-01-01", "", "1", "", "", merged)...)
	// Two merged records of one patient with the same NHS number.
	twice := g.nhsNumber()
	g.add(FilePatients, pat("M0000002", twice, "02", "H9000002", "Smyth", "1970-01-01", "", "1", "", "", p0.id)...)
	g.add(FilePatients, pat("M0000003", twice, "02", "H9000003", "Smyth", "1970-01-01", "", "1", "", "", p0.id)...)
	// A patient who died, and a likely duplicate pair.
	g.add(FilePatients, pat("D0000001", "", "07", "D1", "Dead", "1950-01-01", "2026-03-01", "2", "", "", "")...)
	g.add(FilePatients, pat("L0000001", "", "07", "L1", "Phillips", "1980-05-05", "", "2", "LS1 1AA", "", "")...)
	g.add(FilePatients, pat("L0000002", "", "07", "L2", "Philips", "1980-05-05", "", "2", "LS1 1AA", "", "")...)

	g.plant(ReasonBadFormat, "beds", FileWards, "WBAD", "Closed ward", site, "0", "general_acute")
	g.plant(ReasonBadCode, "treatment_function_code", FileClinics, "CLBAD", "Retired clinic", "510", "C9900001", site)
	g.plant(ReasonClinicNotFound, "clinic_code", FileSessions, "NOCLINIC", "1", "09:00", "12:00", "15", "new", "2020-01-01", "")
	g.plant(ReasonClinicRejected, "clinic_code", FileSessions, "CLBAD", "1", "09:00", "12:00", "15", "new", "2020-01-01", "")
	g.plant(ReasonSessionInconsistent, "end_time", FileSessions, "CL100", "6", "12:00", "09:00", "15", "new", "2020-01-01", "")
	g.plant(ReasonSessionInconsistent, "slot_minutes", FileSessions, "CL100", "6", "09:00", "09:50", "15", "new", "2020-01-01", "")
	g.plant(ReasonSessionInconsistent, "valid_to", FileSessions, "CL100", "6", "09:00", "12:00", "15", "new", "2020-01-01", "2019-01-01")
	g.plant(ReasonBadFormat, "start_time", FileSessions, "CL100", "6", "9:00", "12:00", "15", "new", "2020-01-01", "")

	// Referrals.
	g.plant(ReasonPatientNotFound, "legacy_patient_id", FileReferrals, "RX000001", "NOBODY", "2026-01-05", "03", "1", "100", "", "Y")
	g.plant(ReasonPatientRejected, "legacy_patient_id", FileReferrals, "RX000002", "X0000006", "2026-01-05", "03", "1", "100", "", "Y")
	g.plant(ReasonPatientMerged, "legacy_patient_id", FileReferrals, "RX000003", merged, "2026-01-05", "03", "1", "100", "", "Y")
	g.plant(ReasonDateAfterCensus, "received_date", FileReferrals, "RX000004", p1.id, "2026-09-02", "03", "1", "100", "", "Y")
	g.plant(ReasonBadFormat, "ubrn", FileReferrals, "RX000005", p1.id, "2026-01-05", "03", "1", "100", "12345", "Y")
	g.add(FileReferrals, "RG000001", p1.id, "2026-01-05", "03", "1", "100", "", "Y")
	g.add(FileReferrals, "RG000002", p1.id, "2026-01-05", "03", "1", "100", "", "N")
	g.add(FileReferrals, "RD000001", "D0000001", "2025-10-05", "03", "1", "100", "", "Y")
	// Two referrals with one e-RS UBRN, both accepted.
	g.add(FileReferrals, "RU000001", p1.id, "2026-01-05", "03", "1", "100", "123456789012", "N")
	g.add(FileReferrals, "RU000002", p1.id, "2026-01-06", "03", "1", "100", "123456789012", "N")

	// RTT periods and events.
	ev := func(ppid, date, code, kind string) { g.add(FileEvents, ppid, date, code, kind) }
	g.plant(ReasonReferralNotFound, "referral_id", FilePathways, "PX000001", "NOREF", "2026-01-05", "open", "", "10")
	g.plant(ReasonReferralRejected, "referral_id", FilePathways, "PX000002", "RX000001", "2026-01-05", "open", "", "10")
	g.plant(ReasonNotConsultantLed, "referral_id", FilePathways, "PX000003", "RG000002", "2026-01-05", "open", "", "10")
	g.plant(ReasonDateAfterCensus, "clock_start_date", FilePathways, "PX000004", "RG000001", "2026-09-05", "open", "", "10")
	g.plant(ReasonDateAfterCensus, "clock_stop_date", FilePathways, "PX000005", "RG000001", "2026-01-05", "closed", "2026-09-05", "30")
	g.plant(ReasonClockBeforeReferral, "clock_start_date", FilePathways, "PX000006", "RG000001", "2025-12-05", "open", "", "10")
	g.plant(ReasonPathwayInconsistent, "status", FilePathways, "PX000007", "RG000001", "2026-01-05", "open", "2026-02-01", "10")
	g.plant(ReasonPathwayNoEvents, "ppid", FilePathways, "PX000008", "RG000001", "2026-01-05", "open", "", "10")
	g.plant(ReasonClockAfterFirstEvent, "clock_start_date", FilePathways, "PX000009", "RG000001", "2026-01-10", "open", "", "20")
	cascade := func(ppid, date, code, kind string) {
		g.plant(ReasonPathwayRejected, "ppid", FileEvents, ppid, date, code, kind)
	}
	cascade("PX000009", "2026-01-05", "10", "referral")
	cascade("PX000009", "2026-02-05", "20", "attendance")
	g.plant(ReasonPathwayCodeMismatch, "rtt_status_code", FilePathways, "PX000010", "RG000001", "2026-01-05", "open", "", "10")
	cascade("PX000010", "2026-01-05", "10", "referral")
	cascade("PX000010", "2026-02-05", "20", "attendance")
	g.add(FilePathways, "PG000001", "RG000001", "2026-01-05", "open", "", "20")
	ev("PG000001", "2026-01-05", "10", "referral")
	ev("PG000001", "2026-02-05", "20", "attendance")
	g.add(FilePathways, "PG000002", "RG000001", "2026-01-05", "closed", "2026-03-05", "30")
	ev("PG000002", "2026-01-05", "10", "referral")
	ev("PG000002", "2026-03-05", "30", "treatment")
	g.add(FilePathways, "PG000003", "RG000001", "2026-01-05", "open", "", "33")
	ev("PG000003", "2026-01-05", "10", "referral")
	ev("PG000003", "2026-02-05", "33", "dna")
	g.plant(ReasonPathwayNotFound, "ppid", FileEvents, "NOPATH", "2026-01-05", "10", "referral")
	g.plant(ReasonPathwayRejected, "ppid", FileEvents, "PX000004", "2026-08-05", "10", "referral")
	g.plant(ReasonDateAfterCensus, "event_date", FileEvents, "PG000001", "2026-09-05", "20", "attendance")
	g.plant(ReasonBadCode, "event_type", FileEvents, "PG000001", "2026-03-05", "20", "phone_call")

	// Appointments: Mondays in the clinic of 100 take 15-minute slots from 09:00.
	past, future := "2026-03-02T09:15", "2026-10-05T09:30"
	g.add(FileAppts, "OG000001", p1.id, "RG000001", "CL100", past, "30", "follow-up", "attended", "20")
	g.add(FileAppts, "OG000002", p1.id, "RG000001", "CL100", past, "15", "follow-up", "attended", "20") // overbooked
	g.add(FileAppts, "OG000003", "D0000001", "RD000001", "CL100", "2026-05-04T10:00", "15", "follow-up", "cancelled_provider", "")
	g.plant(ReasonBadDatetime, "start", FileAppts, "OX000001", p1.id, "RG000001", "CL100", "2026-03-02T24:00", "15", "new", "attended", "20")
	g.plant(ReasonPatientNotFound, "legacy_patient_id", FileAppts, "OX000002", "NOBODY", "RG000001", "CL100", past, "15", "new", "attended", "20")
	g.plant(ReasonPatientMerged, "legacy_patient_id", FileAppts, "OX000003", merged, "RG000001", "CL100", past, "15", "new", "attended", "20")
	g.plant(ReasonReferralNotFound, "referral_id", FileAppts, "OX000004", p1.id, "NOREF", "CL100", past, "15", "new", "attended", "20")
	g.plant(ReasonReferralRejected, "referral_id", FileAppts, "OX000005", p1.id, "RX000004", "CL100", past, "15", "new", "attended", "20")
	g.plant(ReasonReferralMismatch, "referral_id", FileAppts, "OX000006", p0.id, "RG000001", "CL100", past, "15", "new", "attended", "20")
	g.plant(ReasonClinicNotFound, "clinic_code", FileAppts, "OX000007", p1.id, "RG000001", "NOCLINIC", past, "15", "new", "attended", "20")
	g.plant(ReasonClinicRejected, "clinic_code", FileAppts, "OX000008", p1.id, "RG000001", "CLBAD", past, "15", "new", "attended", "20")
	g.plant(ReasonNotOutcomed, "status", FileAppts, "OX000009", p1.id, "RG000001", "CL100", past, "15", "new", "booked", "")
	g.plant(ReasonOutcomeInFuture, "status", FileAppts, "OX000010", p1.id, "RG000001", "CL100", future, "15", "new", "attended", "20")
	g.plant(ReasonAppointmentAfterDeath, "start", FileAppts, "OX000011", "D0000001", "RD000001", "CL100", "2026-05-04T10:00", "15", "new", "attended", "20")
	g.plant(ReasonOutOfSlot, "start", FileAppts, "OX000012", p1.id, "RG000001", "CL100", "2026-03-02T09:10", "15", "new", "attended", "20")
	g.plant(ReasonOutOfSlot, "start", FileAppts, "OX000013", p1.id, "RG000001", "CL100", "2026-03-07T09:15", "15", "new", "attended", "20")
	g.plant(ReasonOutOfSlot, "start", FileAppts, "OX000014", p1.id, "RG000001", "CL100", "2026-03-02T11:45", "30", "new", "attended", "20")
	g.plant(ReasonOutOfSlot, "start", FileAppts, "OX000015", p1.id, "RG000001", "CL100", "2020-03-02T14:00", "20", "new", "attended", "20")
	g.plant(ReasonBadFormat, "duration_minutes", FileAppts, "OX000016", p1.id, "RG000001", "CL100", past, "015", "new", "attended", "20")

	// Waiting list.
	wl := func(id, ppid, patient, dta, tci, status string) []string {
		return []string{id, ppid, patient, dta, "1", "W401", "P2", tci, status}
	}
	g.add(FileWaitingList, wl("WG000001", "PG000001", p1.id, "2026-02-05", "2026-09-20", "waiting")...)
	g.add(FileWaitingList, wl("WG000002", "PG000002", p1.id, "2026-02-05", "2026-03-05", "removed")...)
	g.plant(ReasonPathwayNotFound, "ppid", FileWaitingList, wl("WX000001", "NOPATH", p1.id, "2026-02-05", "", "waiting")...)
	g.plant(ReasonPathwayRejected, "ppid", FileWaitingList, wl("WX000002", "PX000004", p1.id, "2026-02-05", "", "waiting")...)
	g.plant(ReasonPatientRejected, "legacy_patient_id", FileWaitingList, wl("WX000003", "PG000001", "X0000006", "2026-02-05", "", "waiting")...)
	g.plant(ReasonPathwayPatientMismatch, "legacy_patient_id", FileWaitingList, wl("WX000004", "PG000001", p0.id, "2026-02-05", "", "waiting")...)
	g.plant(ReasonDateAfterCensus, "decision_to_admit_date", FileWaitingList, wl("WX000005", "PG000001", p1.id, "2026-09-05", "", "waiting")...)
	g.plant(ReasonTCIBeforeDecision, "tci_date", FileWaitingList, wl("WX000006", "PG000001", p1.id, "2026-02-05", "2026-02-01", "waiting")...)
	g.plant(ReasonPathwayClosed, "status", FileWaitingList, wl("WX000007", "PG000002", p1.id, "2026-02-05", "", "waiting")...)
	g.plant(ReasonPathwayClosed, "status", FileWaitingList, wl("WX000008", "PG000003", p1.id, "2026-02-05", "", "suspended")...)
	g.plant(ReasonBadFormat, "intended_procedure_opcs4", FileWaitingList, append(wl("WX000009", "PG000001", p1.id, "2026-02-05", "", "waiting")[:5], "W40.1", "P2", "", "waiting")...)

	// Inpatients, in the last beds of the first ward (the clean part uses beds 1-20).
	ip := func(id, patient, admitted, ward, bed string) []string {
		return []string{id, patient, admitted, "21", ward, bed, "C9900001"}
	}
	g.plant(ReasonPatientNotFound, "legacy_patient_id", FileInpatients, ip("IX000001", "NOBODY", "2026-08-30T10:00", "W01", "B25")...)
	g.plant(ReasonPatientDeceased, "legacy_patient_id", FileInpatients, ip("IX000002", "D0000001", "2026-08-30T10:00", "W01", "B25")...)
	g.plant(ReasonAdmittedAfterExtract, "admitted", FileInpatients, ip("IX000003", "L0000001", "2026-09-01T02:00", "W01", "B25")...)
	g.plant(ReasonWardNotFound, "ward_code", FileInpatients, ip("IX000004", "L0000001", "2026-08-30T10:00", "NOWARD", "B01")...)
	g.plant(ReasonWardRejected, "ward_code", FileInpatients, ip("IX000005", "L0000001", "2026-08-30T10:00", "WBAD", "B01")...)
	g.plant(ReasonBedNotInWard, "bed_code", FileInpatients, ip("IX000006", "L0000001", "2026-08-30T10:00", "W01", "B31")...)
	g.plant(ReasonBadFormat, "bed_code", FileInpatients, ip("IX000007", "L0000001", "2026-08-30T10:00", "W01", "31")...)
	g.plant(ReasonAlreadyAdmitted, "legacy_patient_id", FileInpatients, ip("IX000008", "L0000002", "2026-08-30T10:00", "W01", "B26")...)
	g.plant(ReasonAlreadyAdmitted, "legacy_patient_id", FileInpatients, ip("IX000009", "L0000002", "2026-08-30T11:00", "W01", "B27")...)
	g.plant(ReasonBedDoubleOccupied, "bed_code", FileInpatients, ip("IX000010", "L0000001", "2026-08-30T10:00", "W01", "B28")...)
	g.plant(ReasonBedDoubleOccupied, "bed_code", FileInpatients, ip("IX000011", p1.id, "2026-08-30T10:00", "W01", "B28")...)
	g.plant(ReasonDuplicateID, "spell_id", FileInpatients, ip("IX000011", p1.id, "2026-08-30T10:00", "W01", "B29")...)
	g.plant(ReasonBadDatetime, "admitted", FileInpatients, ip("IX000012", p1.id, "2026-08-30 10:00", "W01", "B29")...)
	g.plant(ReasonMissingRequired, "consultant_code", FileInpatients, append(ip("IX000013", p1.id, "2026-08-30T10:00", "W01", "B29")[:6], "")...)
}
