package fhir_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestInpatientEncounterStay follows a stay through the API as an
// interface analyst reads it: the admission method and source, every
// ward and bed with its period (a move of bed within the ward keeps the
// ward's period going), every consultant episode, named; then the
// discharge's method and destination and every period closed. A read,
// a search and $everything serve the same Encounter, and it conforms to
// UK Core.
func TestInpatientEncounterStay(t *testing.T) {
	u := loadUKCore(t)
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		ctx := context.Background()
		admin, clerk := f.trustA.Actor(crs.RoleAdmin), f.trustA.Actor(crs.RoleClerk)
		orgs := store.NewOrganisationService(db)
		loc := func(parent string, kind crs.LocationKind, code, name string) *crs.Location {
			l := &crs.Location{ParentID: parent, Kind: kind, Code: code, Name: name}
			if err := orgs.CreateLocation(ctx, admin, l); err != nil {
				t.Fatalf("location %s: %v", code, err)
			}
			return l
		}
		site := loc("", crs.LocationSite, "MAIN", "Main Hospital")
		wardA := loc(site.ID, crs.LocationWard, "WDA", "Ward A Acute Medicine")
		bedA1 := loc(wardA.ID, crs.LocationBed, "A1", "Ward A bed 1")
		bedA2 := loc(wardA.ID, crs.LocationBed, "A2", "Ward A bed 2")
		wardB := loc(site.ID, crs.LocationWard, "WDB", "Ward B Cardiology")
		bedB1 := loc(wardB.ID, crs.LocationBed, "B1", "Ward B bed 1")
		room := loc(site.ID, crs.LocationClinicRoom, "OPD1", "Outpatients room 1")
		sessions := []crs.ClinicSession{{Weekday: time.Monday, Start: "09:00", End: "12:00", SlotMinutes: 20, SlotType: crs.SlotNew}}
		op := store.NewOutpatientService(db)
		for _, c := range []*crs.Clinic{
			{Code: "MED1", Name: "Medicine", ConsultantCode: "C1234567", ConsultantName: "Dr Ada Physician", TreatmentFunction: "300", LocationID: room.ID, Sessions: sessions},
			{Code: "CAR1", Name: "Cardiology", ConsultantCode: "C7654321", ConsultantName: "Dr Ben Cardio", TreatmentFunction: "320", LocationID: room.ID, Sessions: sessions},
		} {
			if err := op.CreateClinic(ctx, admin, c); err != nil {
				t.Fatalf("clinic %s: %v", c.Code, err)
			}
		}
		pid := create(t, f.a, "Patient", `{"resourceType":"Patient","name":[{"family":"Stay","given":["Sam"]}],"birthDate":"1961-02-03","gender":"male"}`)
		ip := store.NewInpatientService(db)
		t0 := clock.Now().Add(-72 * time.Hour).Truncate(time.Second)
		t1, t2, t3, t4 := t0.Add(6*time.Hour), t0.Add(20*time.Hour), t0.Add(30*time.Hour), t0.Add(60*time.Hour)
		sp, err := ip.Admit(ctx, clerk, &crs.Admission{PatientID: pid, Method: "21", Source: "19", WardID: wardA.ID, BedID: bedA1.ID,
			ConsultantCode: "C1234567", TreatmentFunction: "300", At: t0})
		if err != nil {
			t.Fatal(err)
		}
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		must(ip.Transfer(ctx, clerk, sp.ID, crs.Transfer{WardID: wardA.ID, BedID: bedA2.ID, At: t1}))
		must(ip.ChangeConsultant(ctx, clerk, sp.ID, "C7654321", "320", t2))
		must(ip.Transfer(ctx, clerk, sp.ID, crs.Transfer{WardID: wardB.ID, BedID: bedB1.ID, At: t3}))

		id := "ip-" + sp.ID
		at := func(x time.Time) string { return x.UTC().Format(time.RFC3339) }
		type place struct{ ref, display, status, start, end, kind string }
		places := func(e map[string]any) []place {
			var out []place
			for _, x := range e["location"].([]any) {
				l := x.(map[string]any)
				r := l["location"].(map[string]any)
				p, _ := l["period"].(map[string]any)
				kind := ""
				for _, c := range l["physicalType"].(map[string]any)["coding"].([]any) {
					kind += c.(map[string]any)["code"].(string) + " "
				}
				s, _ := p["start"].(string)
				en, _ := p["end"].(string)
				out = append(out, place{r["reference"].(string), r["display"].(string), l["status"].(string), s, en, strings.TrimSpace(kind)})
			}
			return out
		}
		type episode struct{ code, display, start, end string }
		episodes := func(e map[string]any) []episode {
			var out []episode
			for _, x := range e["participant"].([]any) {
				p := x.(map[string]any)
				if got := js(t, p["type"]); !strings.Contains(got, `"code":"ATND"`) {
					t.Errorf("participant type %s, want ATND", got)
				}
				ind := p["individual"].(map[string]any)
				per := p["period"].(map[string]any)
				en, _ := per["end"].(string)
				out = append(out, episode{ind["identifier"].(map[string]any)["value"].(string), ind["display"].(string), per["start"].(string), en})
			}
			return out
		}
		check := func(e map[string]any, wantPlaces []place, wantEpisodes []episode) {
			t.Helper()
			if got := places(e); js(t, got) != js(t, wantPlaces) {
				t.Errorf("location\n got %+v\nwant %+v", got, wantPlaces)
			}
			if got := episodes(e); js(t, got) != js(t, wantEpisodes) {
				t.Errorf("participant\n got %+v\nwant %+v", got, wantEpisodes)
			}
			h := e["hospitalization"].(map[string]any)
			if got := js(t, h["extension"]); !strings.Contains(got, `"url":"https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-AdmissionMethod"`) ||
				!strings.Contains(got, `"code":"21","display":"Emergency Admission: Emergency Care Department or dental casualty department of the Health Care Provider","system":"https://fhir.hl7.org.uk/CodeSystem/UKCore-AdmissionMethodEngland"`) {
				t.Errorf("admission method %s", got)
			}
			if got := js(t, h["admitSource"]); !strings.Contains(got, `"code":"19"`) || !strings.Contains(got, "UKCore-SourceOfAdmissionEngland") {
				t.Errorf("admitSource %s", got)
			}
			u.conforms(t, e)
		}
		ward := "E02 wa"
		read := f.a.do("GET", "/fhir/Encounter/"+id, "").json(t)
		check(read, []place{
			{"Location/" + wardA.ID, "Ward A Acute Medicine", "completed", at(t0), at(t3), ward},
			{"Location/" + bedA1.ID, "Ward A bed 1", "completed", at(t0), at(t1), "bd"},
			{"Location/" + bedA2.ID, "Ward A bed 2", "completed", at(t1), at(t3), "bd"},
			{"Location/" + wardB.ID, "Ward B Cardiology", "active", at(t3), "", ward},
			{"Location/" + bedB1.ID, "Ward B bed 1", "active", at(t3), "", "bd"},
		}, []episode{{"C1234567", "Dr Ada Physician", at(t0), at(t2)}, {"C7654321", "Dr Ben Cardio", at(t2), ""}})
		if h := read["hospitalization"].(map[string]any); h["dischargeDisposition"] != nil || read["extension"] != nil {
			t.Errorf("an admitted patient's Encounter has a discharge: %v %v", h["dischargeDisposition"], read["extension"])
		}
		if div := read["text"].(map[string]any)["div"].(string); !strings.Contains(div, "Ward B Cardiology") || strings.Contains(div, "Ward A bed 1") {
			t.Errorf("narrative of an admitted patient does not say the ward and bed they are in now alone: %s", div)
		}

		must(ip.Discharge(ctx, clerk, sp.ID, crs.Discharge{Method: "1", Destination: "19", At: t4}))
		read = f.a.do("GET", "/fhir/Encounter/"+id, "").json(t)
		check(read, []place{
			{"Location/" + wardA.ID, "Ward A Acute Medicine", "completed", at(t0), at(t3), ward},
			{"Location/" + bedA1.ID, "Ward A bed 1", "completed", at(t0), at(t1), "bd"},
			{"Location/" + bedA2.ID, "Ward A bed 2", "completed", at(t1), at(t3), "bd"},
			{"Location/" + wardB.ID, "Ward B Cardiology", "completed", at(t3), at(t4), ward},
			{"Location/" + bedB1.ID, "Ward B bed 1", "completed", at(t3), at(t4), "bd"},
		}, []episode{{"C1234567", "Dr Ada Physician", at(t0), at(t2)}, {"C7654321", "Dr Ben Cardio", at(t2), at(t4)}})
		if got := js(t, read["extension"]); !strings.Contains(got, "Extension-UKCore-DischargeMethod") || !strings.Contains(got, `"code":"1"`) ||
			!strings.Contains(got, "UKCore-DischargeMethodEngland") {
			t.Errorf("discharge method %s", got)
		}
		if got := js(t, read["hospitalization"].(map[string]any)["dischargeDisposition"]); !strings.Contains(got, `"code":"19"`) ||
			!strings.Contains(got, "UKCore-DischargeDestinationEngland") {
			t.Errorf("dischargeDisposition %s", got)
		}
		if div := read["text"].(map[string]any)["div"].(string); !strings.Contains(div, "Ward B Cardiology, Ward B bed 1") || !strings.Contains(div, "Discharge destination") {
			t.Errorf("narrative of a discharged stay does not say the last ward and bed and the discharge: %s", div)
		}

		// A search and $everything serve the Encounter the read serves.
		want := js(t, read)
		found := matches(t, f.a, "Encounter?patient=Patient/"+pid+"&class=IMP")
		if len(found) != 1 || js(t, found[0]) != want {
			t.Errorf("search served %d Encounters, want the one read:\n%s\nwant\n%s", len(found), js(t, found), want)
		}
		if got := matches(t, f.a, "Encounter?location=Location/"+bedA1.ID); len(got) != 1 {
			t.Errorf("Encounter?location= a bed left: %d, want the stay", len(got))
		}
		var inEverything bool
		for _, r := range matches(t, f.a, "Patient/"+pid+"/$everything") {
			if r["resourceType"] == "Encounter" && r["id"] == id {
				inEverything = js(t, r) == want
			}
		}
		if !inEverything {
			t.Errorf("$everything does not serve the Encounter read")
		}
	})
}

// TestAppointmentServed reads an outpatient appointment as a clinic's
// booking system would: its slot's start and end, the clinic, the
// patient, the consultant and the room named, the treatment function,
// a first appointment as such, and the trust that booked it; a search
// serves the same Appointment, found by its consultant and room, and it
// conforms to UK Core.
func TestAppointmentServed(t *testing.T) {
	u := loadUKCore(t)
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		ctx := context.Background()
		clerk := f.trustA.Actor(crs.RoleClerk)
		op, room, slots := outpatientClinic(t, f, db, clock)
		pid := create(t, f.a, "Patient", `{"resourceType":"Patient","name":[{"family":"Clinic","given":["Cora"]}],"birthDate":"1970-04-05","gender":"female"}`)
		ref := referTo(t, f, db, clock, pid)
		ap, err := op.BookAppointment(ctx, clerk, crs.Booking{ReferralID: ref.ID, SlotID: slots[0].ID})
		if err != nil {
			t.Fatal(err)
		}
		read := f.a.do("GET", "/fhir/Appointment/"+ap.ID, "").json(t)
		at := func(x time.Time) string { return x.UTC().Format(time.RFC3339) }
		if read["start"] != at(slots[0].Start) || read["end"] != at(slots[0].End) || slots[0].End.Sub(slots[0].Start) != 20*time.Minute {
			t.Errorf("start %v end %v, want the slot's %s to %s", read["start"], read["end"], at(slots[0].Start), at(slots[0].End))
		}
		if read["description"] != "General surgery Monday" {
			t.Errorf("description %v, want the clinic", read["description"])
		}
		parts := js(t, read["participant"])
		for _, want := range []string{`"reference":"Patient/` + pid + `"`, `"display":"Ms Cara Surgeon"`, `"reference":"Practitioner/cons-C1234567"`,
			`"display":"Outpatients room 3"`, `"reference":"Location/` + room.ID + `"`, `"code":"ATND"`} {
			if !strings.Contains(parts, want) {
				t.Errorf("participant %s lacks %s", parts, want)
			}
		}
		if got := js(t, read["serviceType"]); !strings.Contains(got, `"code":"100"`) || !strings.Contains(got, "TreatmentFunctionCode") {
			t.Errorf("serviceType %s", got)
		}
		if got := js(t, read["appointmentType"]); !strings.Contains(got, `"code":"ROUTINE"`) || !strings.Contains(got, "v2-0276") {
			t.Errorf("appointmentType %s, want ROUTINE for a first appointment", got)
		}
		if got := js(t, read["extension"]); !strings.Contains(got, "Extension-UKCore-BookingOrganization") {
			t.Errorf("extension %s, want the booking organisation", got)
		}
		if div := read["text"].(map[string]any)["div"].(string); !strings.Contains(div, "Ms Cara Surgeon") || !strings.Contains(div, "Outpatients room 3") {
			t.Errorf("narrative does not name the consultant and room: %s", div)
		}
		u.conforms(t, read)
		for _, q := range []string{"Appointment?patient=Patient/" + pid, "Appointment?practitioner=Practitioner/cons-C1234567&patient=Patient/" + pid,
			"Appointment?location=Location/" + room.ID, "Appointment?service-type=100&patient=Patient/" + pid} {
			found := matches(t, f.a, q)
			if len(found) != 1 || js(t, found[0]) != js(t, read) {
				t.Errorf("%s: %d Appointments, want the one read", q, len(found))
			}
		}
	})
}

// TestEncounterByClass: a search by class finds the Encounters of that
// class, and only those, whichever of the PAS's records they are served
// from (a search of one class reads only its records); a class no record
// has finds none, and :not keeps the others.
func TestEncounterByClass(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		journey(t, db, f)
		byClass := map[string]int{}
		for _, e := range matches(t, f.a, "Encounter?_count=1000") {
			byClass[e["class"].(map[string]any)["code"].(string)]++
		}
		if byClass["IMP"] == 0 || byClass["EMER"] == 0 || byClass["AMB"] == 0 {
			t.Fatalf("the journey's Encounters by class: %v, want each class", byClass)
		}
		count := func(q string) map[string]int {
			got := map[string]int{}
			for _, e := range matches(t, f.a, q+"&_count=1000") {
				got[e["class"].(map[string]any)["code"].(string)]++
			}
			return got
		}
		act := url.QueryEscape("http://terminology.hl7.org/CodeSystem/v3-ActCode|")
		for _, tc := range []struct {
			query string
			want  []string
		}{
			{"Encounter?class=IMP", []string{"IMP"}},
			{"Encounter?class=" + act + "EMER", []string{"EMER"}},
			{"Encounter?class=IMP,AMB", []string{"IMP", "AMB"}},
			{"Encounter?class=HH", nil},
			{"Encounter?class=IMP&class=EMER", nil},
			{"Encounter?class:not=IMP", []string{"EMER", "AMB"}},
			{"Encounter?class=http://example.org/other|IMP", nil},
		} {
			want := map[string]int{}
			for _, c := range tc.want {
				want[c] = byClass[c]
			}
			if got := count(tc.query); js(t, got) != js(t, want) {
				t.Errorf("%s: %v, want %v", tc.query, got, want)
			}
		}
	})
}

func js(t *testing.T, v any) string { return string(mustJSON(t, v)) }

// TestCountOfPAS: a count of the PAS's records (_summary=count, _total)
// is the number of matches a search pages through, whether the tables
// count them (no condition, a status, a class) or their records are read
// and matched (a date, another parameter).
func TestCountOfPAS(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		journey(t, db, f)
		since := url.QueryEscape(clock.Now().AddDate(0, 0, -30).Format("2006-01-02"))
		for _, q := range []string{
			"Encounter?", "Encounter?status=in-progress", "Encounter?status=finished,in-progress&class=IMP", "Encounter?class=AMB",
			"Encounter?class=HH", "Encounter?date=ge" + since, "Encounter?class=EMER&date=ge" + since, "Encounter?status:not=finished",
			"ServiceRequest?", "ServiceRequest?status=active", "EpisodeOfCare?", "EpisodeOfCare?status=active",
			"Appointment?", "Appointment?status=booked", "Appointment?status=booked&service-type=100",
		} {
			want := len(matches(t, f.a, q+"&_count=1000"))
			got := f.a.do("GET", "/fhir/"+q+"&_summary=count", "").json(t)
			if fmt.Sprint(got["total"]) != fmt.Sprint(want) {
				t.Errorf("%s: _summary=count %v, want the %d matches a search pages through", q, got["total"], want)
			}
		}
	})
}
