package fhir_test

import (
	"context"
	"fmt"
	"html"
	"strings"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// pick is the value at a path of a served resource: a key of an object,
// or of an array the element whose key holds a value ("url=..."), or
// its first element.
func pick(v any, path ...string) any {
	for _, k := range path {
		if a, ok := v.([]any); ok {
			key, want, by := strings.Cut(k, "=")
			if !by {
				if len(a) == 0 {
					return nil
				}
				v = a[0]
			} else {
				v = nil
				for _, x := range a {
					if m, _ := x.(map[string]any); m != nil && fmt.Sprint(m[key]) == want {
						v = m
						break
					}
				}
				continue
			}
		}
		m, _ := v.(map[string]any)
		v = m[k]
	}
	return v
}

// shownAt writes a time as a narrative shows it, in UK time.
func shownAt(t time.Time) string { return t.In(crs.London).Format("02-Jan-2006 15:04") }

// TestEncounterED reads A&E attendances as Encounters: each carries the
// Emergency Care Data Set items the attendance holds, in the elements UK
// Core and R4 give them, with their SNOMED CT codes and displays, says
// them in its narrative, and conforms to UK Core Encounter.
func TestEncounterED(t *testing.T) {
	u := loadUKCore(t)
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		journey(t, db, f)
		ctx := context.Background()
		ed := store.NewEDService(db)
		a := f.trustA.Actor(crs.RoleInterface)
		pats, err := db.LivePatientIDs(ctx, f.trustA.Org.ID, 100)
		if err != nil {
			t.Fatal(err)
		}
		// Patients not in the department already.
		var free []string
		for _, pid := range pats {
			if atts, err := ed.FindAttendances(ctx, a, pid); err != nil {
				t.Fatal(err)
			} else if len(atts) == 0 {
				free = append(free, pid)
			}
		}
		if len(free) < 3 {
			t.Fatalf("%d patients not in A&E, want 3", len(free))
		}
		arrived := clock.Now().Add(-5 * time.Hour).Truncate(time.Second)
		triaged, seen, departed := arrived.Add(10*time.Minute), arrived.Add(40*time.Minute), arrived.Add(3*time.Hour+25*time.Minute)
		// One seen and sent home, one triaged and waiting in the department.
		home := &crs.EDAttendance{PatientID: free[0], ArrivalMode: "1048031000000100", AttendanceCategory: "1",
			Complaint: "crushing pain in my chest", ChiefComplaint: "29857009", ArrivedAt: arrived}
		waiting := &crs.EDAttendance{PatientID: free[1], ArrivalMode: "1048071000000103", AttendanceCategory: "2", ArrivedAt: arrived}
		// One decided to admit under general medicine and admitted to a
		// ward from the department.
		admitted := &crs.EDAttendance{PatientID: free[2], ArrivalMode: "1048031000000100", AttendanceCategory: "1", ArrivedAt: arrived}
		decided, wentUp := seen.Add(20*time.Minute), seen.Add(3*time.Hour)
		admin := f.trustA.Actor(crs.RoleAdmin)
		orgs := store.NewOrganisationService(db)
		site := &crs.Location{Kind: crs.LocationSite, Code: "EDSITE", Name: "Emergency Site"}
		if err := orgs.CreateLocation(ctx, admin, site); err != nil {
			t.Fatal(err)
		}
		ward := &crs.Location{ParentID: site.ID, Kind: crs.LocationWard, Code: "AMU", Name: "Acute Medical Unit"}
		if err := orgs.CreateLocation(ctx, admin, ward); err != nil {
			t.Fatal(err)
		}
		bed := &crs.Location{ParentID: ward.ID, Kind: crs.LocationBed, Code: "AMU1", Name: "AMU bed 1"}
		if err := orgs.CreateLocation(ctx, admin, bed); err != nil {
			t.Fatal(err)
		}
		for _, step := range []error{
			ed.Arrive(ctx, a, admitted), ed.Triage(ctx, a, admitted.ID, 2, triaged), ed.RecordSeen(ctx, a, admitted.ID, "Dr Amir Khan", seen),
			ed.DecideToAdmit(ctx, a, admitted.ID, "300", decided),
		} {
			if step != nil {
				t.Fatal(step)
			}
		}
		spell, err := store.NewInpatientService(db).Admit(ctx, f.trustA.Actor(crs.RoleClerk), &crs.Admission{PatientID: free[2], EDAttendanceID: admitted.ID,
			Method: "21", Source: "19", WardID: ward.ID, BedID: bed.ID, ConsultantCode: "C1234567", TreatmentFunction: "300", At: wentUp})
		if err != nil {
			t.Fatal(err)
		}
		for _, step := range []error{
			ed.Arrive(ctx, a, home), ed.Triage(ctx, a, home.ID, 2, triaged), ed.Move(ctx, a, home.ID, "RESUS"),
			ed.RecordSeen(ctx, a, home.ID, "Dr Amir Khan", seen),
			ed.Depart(ctx, a, home.ID, crs.EDDeparture{Kind: crs.EDDischarged, Status: "182992009", Destination: "306689006", At: departed}),
			ed.Arrive(ctx, a, waiting), ed.Triage(ctx, a, waiting.ID, 4, triaged), ed.Move(ctx, a, waiting.ID, "MIN-1"),
		} {
			if step != nil {
				t.Fatal(step)
			}
		}
		const sct = "http://snomed.info/sct"
		coding := func(system, code, display string) string {
			return fmt.Sprint(map[string]any{"system": system, "code": code, "display": display})
		}
		for _, tc := range []struct {
			name string
			id   string
			want map[string]string // path, spaces between keys: the value as fmt prints it
			rows []string          // rows of the narrative
		}{
			{"seen and sent home", home.ID, map[string]string{
				"extension url=http://hl7.org/fhir/StructureDefinition/encounter-modeOfArrival valueCoding":                                           coding(sct, "1048031000000100", "Arrival by emergency road ambulance"),
				"extension url=https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-EmergencyCareDischargeStatus valueCodeableConcept coding": "[" + coding(sct, "182992009", "Treatment completed") + "]",
				"type text":                                   "Unplanned first attendance for a new clinical condition (or deterioration of a chronic condition)",
				"reasonCode coding":                           "[" + coding(sct, "29857009", "Chest pain") + "]",
				"reasonCode text":                             "crushing pain in my chest",
				"priority coding":                             "[" + coding(sct, "1064911000000105", "Very urgent level emergency care") + "]",
				"priority text":                               "Triage category 2",
				"statusHistory status=arrived period":         fmt.Sprint(map[string]any{"start": arrived.UTC().Format(time.RFC3339), "end": triaged.UTC().Format(time.RFC3339)}),
				"statusHistory status=triaged period":         fmt.Sprint(map[string]any{"start": triaged.UTC().Format(time.RFC3339), "end": seen.UTC().Format(time.RFC3339)}),
				"statusHistory status=in-progress period":     fmt.Sprint(map[string]any{"start": seen.UTC().Format(time.RFC3339), "end": departed.UTC().Format(time.RFC3339)}),
				"location location display":                   "RESUS",
				"location status":                             "completed",
				"location physicalType coding":                "[" + coding("https://fhir.hl7.org.uk/CodeSystem/UKCore-EncounterLocationTypeEngland", "E04", "Emergency Care Department or Minor Injuries Department") + "]",
				"participant individual":                      fmt.Sprint(map[string]any{"display": "Dr Amir Khan"}),
				"participant type coding":                     "[" + coding("http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "PPRF", "primary performer") + "]",
				"participant period start":                    seen.UTC().Format(time.RFC3339),
				"length":                                      fmt.Sprint(map[string]any{"value": 205, "unit": "min", "system": "http://unitsofmeasure.org", "code": "min"}),
				"hospitalization dischargeDisposition coding": "[" + coding(sct, "306689006", "Home") + "]",
			}, []string{row("Arrival", "Arrival by emergency road ambulance"), row("Chief complaint", "Chest pain"),
				row("Acuity", "Very urgent level emergency care (triage category 2)"), row("Triaged", shownAt(triaged)),
				row("Area in department", "RESUS"), row("Seen by", "Dr Amir Khan, "+shownAt(seen)), row("Reason", "crushing pain in my chest"),
				row("Time in department", "3 h 25 min"), row("Discharge status", "Treatment completed"), row("Discharge destination", "Home")}},
			{"decided to admit and admitted", admitted.ID, map[string]string{
				"extension url=https://opencrs.org/fhir/StructureDefinition/decision-to-admit valueDateTime":         decided.UTC().Format(time.RFC3339),
				"extension url=https://opencrs.org/fhir/StructureDefinition/decision-to-admit-specialty valueCoding": coding("https://fhir.nhs.uk/CodeSystem/NHSDataDictionary-TreatmentFunctionCode", "300", "General Internal Medicine Service"),
				"extension url=https://opencrs.org/fhir/StructureDefinition/admitted-to valueReference":              fmt.Sprint(map[string]any{"reference": "Encounter/ip-" + spell.ID}),
			}, []string{row("Decision to admit", shownAt(decided)+", General Internal Medicine Service"), row("Admitted to", "Encounter/ip-"+spell.ID)}},
			{"triaged and waiting", waiting.ID, map[string]string{
				"extension url=http://hl7.org/fhir/StructureDefinition/encounter-modeOfArrival valueCoding": coding(sct, "1048071000000103", "Arrival by own transport"),
				"priority coding":                     "[" + coding(sct, "1077241000000103", "Standard level emergency care") + "]",
				"statusHistory status=triaged period": fmt.Sprint(map[string]any{"start": triaged.UTC().Format(time.RFC3339)}),
				"location location display":           "MIN-1",
				"location status":                     "active",
				"length":                              "<nil>",
				"hospitalization":                     "<nil>",
				"participant":                         "<nil>",
			}, []string{row("Area in department", "MIN-1"), row("Acuity", "Standard level emergency care (triage category 4)")}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				id := "ae-" + tc.id
				r := servedAlike(t, u, f.a, id, "EMER", tc.want)
				_, div := narrativeOf(r)
				for _, want := range tc.rows {
					if !strings.Contains(div, want) {
						t.Errorf("Encounter/%s narrative %s lacks %s", id, div, want)
					}
				}
			})
		}
	})
}

// TestEncounterOutpatient reads outpatient attendances as Encounters:
// each carries its clinic's consultant, treatment function and room and
// the outcome the clinic recorded, the same by a read, a search of the
// patient's encounters, a search across the trust and a search by _id,
// and conforms to UK Core Encounter.
func TestEncounterOutpatient(t *testing.T) {
	u := loadUKCore(t)
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		journey(t, db, f)
		ctx := context.Background()
		a := f.trustA.Actor(crs.RoleInterface)
		op := store.NewOutpatientService(db)
		clinics, err := op.FindClinics(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		rooms, err := store.NewOrganisationService(db).FindLocations(ctx, a, "")
		if err != nil {
			t.Fatal(err)
		}
		all := matches(t, f.a, "Encounter?class=AMB&_count=1000")
		if len(all) == 0 {
			t.Fatal("no outpatient attendance seeded")
		}
		checked, outcomes := 0, 0
		for _, found := range all {
			id := found["id"].(string)
			ap, err := op.FindAppointment(ctx, a, strings.TrimPrefix(id, "op-"))
			if err != nil {
				t.Fatal(err)
			}
			var c *crs.Clinic
			for _, x := range clinics {
				if x.ID == ap.ClinicID {
					c = x
				}
			}
			var room string
			for _, l := range rooms {
				if l.ID == c.LocationID {
					room = l.Name
				}
			}
			want := map[string]string{
				"participant individual reference":        "Practitioner/cons-" + c.ConsultantCode,
				"participant individual identifier value": c.ConsultantCode,
				"participant individual display":          c.ConsultantName,
				"participant type coding code":            "ATND",
				"serviceType coding system":               "https://fhir.nhs.uk/CodeSystem/NHSDataDictionary-TreatmentFunctionCode",
				"serviceType coding code":                 c.TreatmentFunction,
				"location location reference":             "Location/" + c.LocationID,
				"location location display":               room,
				"location physicalType coding code":       "E01",
			}
			// The outcome the clinic recorded, as OUTCOME OF ATTENDANCE.
			outcome := "<nil>"
			if ap.Outcome != nil {
				outcome = map[string]string{crs.NextDischarge: "1", crs.NextReferOn: "1", crs.NextFollowUp: "2", crs.NextWaitingList: "3"}[ap.Outcome.NextStep]
				outcomes++
			}
			want["extension url=https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-OutcomeOfAttendance valueCodeableConcept coding code"] = outcome
			if c.ConsultantCode == "" || c.TreatmentFunction == "" || room == "" {
				t.Fatalf("the seeded clinic %+v and appointment %+v lack what the test checks", c, ap)
			}
			r := servedAlike(t, u, f.a, id, "AMB", want)
			if checked++; checked == 1 || ap.Outcome != nil && outcomes == 1 {
				_, div := narrativeOf(r)
				rows := []string{row("Clinic room", room), row("Consultant", c.ConsultantName+" ("+c.ConsultantCode+")"), row("Treatment function", fmt.Sprint(pick(r, "serviceType", "coding", "display")))}
				if ap.Outcome != nil {
					rows = append(rows, row("Outcome", html.EscapeString(fmt.Sprint(pick(r, "extension", "valueCodeableConcept", "coding", "display")))))
				}
				for _, want := range rows {
					if !strings.Contains(div, want) {
						t.Errorf("Encounter/%s narrative %s lacks %s", id, div, want)
					}
				}
			}
		}
		if outcomes == 0 {
			t.Errorf("none of the %d outpatient attendances has an outcome recorded", len(all))
		}
	})
}

// servedAlike checks an Encounter read, found by a search of its
// patient's encounters, by a search of the trust's of its class and by
// a search of a list of _id: each conforms to UK Core and holds each value of want (a path,
// keys between spaces, and the value as fmt prints it). It returns the
// one read.
func servedAlike(t *testing.T, u *ukCore, c *client, id, class string, want map[string]string) map[string]any {
	t.Helper()
	read := c.do("GET", "/fhir/Encounter/"+id, "")
	if read.status != 200 {
		t.Fatalf("read Encounter/%s: %d %s", id, read.status, read.body)
	}
	r := read.json(t)
	pid := strings.TrimPrefix(fmt.Sprint(pick(r, "subject", "reference")), "Patient/")
	served := map[string]map[string]any{"read": r}
	for how, q := range map[string]string{"patient": "Encounter?patient=" + pid + "&_count=1000", "trust": "Encounter?class=" + class + "&_count=1000",
		"_id": "Encounter?_id=" + id + ",ae-none,op-none"} {
		for _, m := range matches(t, c, q) {
			if m["id"] == id {
				served[how] = m
			}
		}
	}
	for _, how := range []string{"read", "patient", "trust", "_id"} {
		r := served[how]
		if r == nil {
			t.Errorf("the %s search did not find Encounter/%s", how, id)
			continue
		}
		u.conforms(t, r)
		for path, want := range want {
			if got := fmt.Sprint(pick(r, strings.Fields(path)...)); got != want {
				t.Errorf("%s: Encounter/%s %s = %s, want %s", how, id, path, got, want)
			}
		}
	}
	return r
}
