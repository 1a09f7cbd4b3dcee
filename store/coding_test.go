package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/demo"
	"github.com/opencrs/crs/nhs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// loadSampleCodes loads a few ICD-10 and OPCS-4 codes as the trust's lists.
func loadSampleCodes(t *testing.T, cs *store.CodingService, a crs.Actor) {
	t.Helper()
	ctx := context.Background()
	for system, text := range map[string]string{
		nhs.ICD10: "code,description\nJ18.9,Pneumonia unspecified\nI10,Essential hypertension\nK35.8,Acute appendicitis other\nE11.9,Type 2 diabetes without complications\n",
		nhs.OPCS4: "code,description\nH01.1,Emergency excision of abnormal appendix\nW37.1,Primary total prosthetic replacement of hip joint using cement\nY53.1,Approach to organ under radiological control\n",
	} {
		codes, err := nhs.ReadCodeList(strings.NewReader(text), system+".csv", system)
		if err != nil {
			t.Fatal(err)
		}
		if n, err := cs.LoadCodeList(ctx, a, system, codes); err != nil || n != len(codes) {
			t.Fatalf("load %s: %d, %v", system, n, err)
		}
	}
}

// TestClinicalCoding codes a finished episode from the worklist: the
// episode of a patient still in hospital is not on it, a code off the
// trust's list is refused beside its field, and the coded episode leaves
// the worklist and counts in the month's completeness.
func TestClinicalCoding(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		s := newSite(t, db, "RQC", 3)
		cs := store.NewCodingService(db)
		coder := s.tr.Actor(crs.RoleCoder)
		admin := s.tr.Actor(crs.RoleAdmin)
		if _, err := cs.LoadCodeList(ctx, coder, nhs.ICD10, []nhs.Code{{Code: "J189", Description: "x"}}); crs.ErrorCode(err) != crs.EFORBIDDEN {
			t.Fatalf("coder loads the code list: err = %v, want EFORBIDDEN", err)
		}
		loadSampleCodes(t, cs, admin)

		admit := func(i int, bed int) *crs.Spell {
			sp, err := s.ip.Admit(ctx, s.clerk, &crs.Admission{PatientID: s.patients[i].ID, Method: "21", Source: "19", WardID: s.ward.ID,
				BedID: s.beds[bed].ID, ConsultantCode: "C1111111", TreatmentFunction: "300", At: clock.Now().Add(-48 * time.Hour)})
			if err != nil {
				t.Fatalf("admit: %v", err)
			}
			return sp
		}
		sp1, sp2, _ := admit(0, 0), admit(1, 1), admit(2, 2)
		if err := s.ip.ChangeConsultant(ctx, s.clerk, sp1.ID, "C2222222", "100", clock.Now().Add(-24*time.Hour)); err != nil {
			t.Fatalf("change consultant: %v", err)
		}
		if err := s.ip.Discharge(ctx, s.clerk, sp2.ID, crs.Discharge{Method: "1", Destination: "19", At: clock.Now().Add(-time.Hour)}); err != nil {
			t.Fatalf("discharge: %v", err)
		}
		list, err := cs.Worklist(ctx, coder, 0)
		if err != nil {
			t.Fatal(err)
		}
		// sp1's first episode ended at the change of consultant, sp2's at
		// discharge; sp1's second episode and sp3's are still open.
		if len(list) != 2 || list[0].SpellID != sp1.ID || list[0].Seq != 1 || list[1].SpellID != sp2.ID {
			t.Fatalf("worklist = %+v, want sp1 episode 1 then sp2", list)
		}
		if _, err := cs.Worklist(ctx, s.clerk, 0); crs.ErrorCode(err) != crs.EFORBIDDEN {
			t.Fatalf("clerk reads the coding worklist: err = %v, want EFORBIDDEN", err)
		}
		ep := list[1]
		bad := &crs.EpisodeCoding{EpisodeID: ep.EpisodeID, Diagnoses: []string{"J18.9", "Z99.9", "A1"}, Procedures: []crs.ProcedureCode{{Code: "H01.1"}, {Code: "X99.9"}}}
		err = cs.CodeEpisode(ctx, coder, bad)
		fields := crs.FieldErrors(err)
		if fields["diagnosis_3"] == "" || len(fields) != 1 {
			t.Fatalf("format errors = %v, want diagnosis_3 only", fields)
		}
		bad.Diagnoses = bad.Diagnoses[:2]
		fields = crs.FieldErrors(cs.CodeEpisode(ctx, coder, bad))
		if !strings.Contains(fields["diagnosis_2"], "Z99.9 is not on the trust's ICD-10 code list") || !strings.Contains(fields["procedure_2"], "X99.9") || len(fields) != 2 {
			t.Fatalf("code list errors = %v", fields)
		}
		good := &crs.EpisodeCoding{EpisodeID: ep.EpisodeID, Diagnoses: []string{"k35.8", "I10"}, Procedures: []crs.ProcedureCode{{Code: "H011"}}}
		if err := cs.CodeEpisode(ctx, coder, good); err != nil {
			t.Fatalf("code episode: %v", err)
		}
		got, err := cs.FindEpisode(ctx, coder, ep.EpisodeID)
		if err != nil || got.Coding == nil {
			t.Fatalf("find coded episode: %+v, %v", got, err)
		}
		if d := got.Coding.Diagnoses; len(d) != 2 || d[0] != "K358" || d[1] != "I10X" {
			t.Fatalf("diagnoses = %v, want [K358 I10X]", d)
		}
		if p := got.Coding.Procedures; len(p) != 1 || p[0].Code != "H011" || p[0].Date != crs.LocalDate(ep.Start) || got.Coding.CodedBy != coder.Username {
			t.Fatalf("procedures = %+v by %q", p, got.Coding.CodedBy)
		}
		list, _ = cs.Worklist(ctx, coder, 0)
		if len(list) != 1 || list[0].SpellID != sp1.ID {
			t.Fatalf("worklist after coding = %+v", list)
		}
		// An open episode cannot be coded.
		open, _ := s.ip.FindSpell(ctx, s.clerk, sp1.ID)
		if err := cs.CodeEpisode(ctx, coder, &crs.EpisodeCoding{EpisodeID: open.Episodes[1].ID, Diagnoses: []string{"I10"}}); crs.ErrorCode(err) != crs.ECONFLICT {
			t.Fatalf("code an open episode: err = %v, want ECONFLICT", err)
		}
		month := crs.LocalDate(clock.Now()).Format("2006-01")
		c, err := cs.Completeness(ctx, coder, month)
		if err != nil {
			t.Fatal(err)
		}
		if c.Finished != 2 || c.Coded != 1 || c.Share != 0.5 || len(c.ByFunction) != 1 || c.ByFunction[0].TreatmentFunction != "300" {
			t.Fatalf("completeness = %+v", c)
		}
		if _, err := cs.Completeness(ctx, coder, "March"); crs.ErrorCode(err) != crs.EINVALID {
			t.Fatalf("bad month: err = %v", err)
		}
		// Another trust sees none of it.
		other := storetest.NewTrust(t, db, "RQD")
		if _, err := cs.FindEpisode(ctx, other.Actor(crs.RoleCoder), ep.EpisodeID); crs.ErrorCode(err) != crs.ENOTFOUND {
			t.Fatalf("other trust finds the episode: err = %v", err)
		}
	})
}

// TestDemoCodeLists loads the demo's sample code lists once: a second
// seeding keeps the lists a trust has.
func TestDemoCodeLists(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		tr := storetest.NewTrust(t, db, "RQE")
		cs := store.NewCodingService(db)
		for i := 0; i < 2; i++ {
			if err := demo.SeedCodeLists(ctx, cs, tr.System); err != nil {
				t.Fatalf("seed %d: %v", i, err)
			}
		}
		for system, code := range map[string]string{nhs.ICD10: "J189", nhs.OPCS4: "W371"} {
			if d, err := cs.LookupCode(ctx, tr.Actor(crs.RoleCoder), system, code); err != nil || d == "" {
				t.Errorf("%s %s: %q, %v", system, code, d, err)
			}
		}
		if _, err := cs.LookupCode(ctx, tr.Actor(crs.RoleCoder), nhs.ICD10, "Z999"); crs.ErrorCode(err) != crs.ENOTFOUND {
			t.Errorf("Z99.9: err = %v, want ENOTFOUND", err)
		}
	})
}
