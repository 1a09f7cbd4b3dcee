package nhs

import (
	"fmt"
	"strings"
	"testing"
)

func TestCheckSCTID(t *testing.T) {
	for _, tc := range []struct {
		id   string
		want string // "" for valid, else part of the error
	}{
		{"195967001", ""},
		{"716186003", ""},
		{"900000000000207008", ""},
		{"195967002", "check digit"},
		{"12345", "6 to 18 digits"},
		{"0195967001", "6 to 18 digits"},
		{"19596700A", "6 to 18 digits"},
	} {
		err := CheckSCTID(tc.id)
		if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("CheckSCTID(%q) = %v, want %q", tc.id, err, tc.want)
		}
	}
}

const (
	conceptHeader = "id\teffectiveTime\tactive\tmoduleId\tdefinitionStatusId\n"
	descHeader    = "id\teffectiveTime\tactive\tmoduleId\tconceptId\tlanguageCode\ttypeId\tterm\tcaseSignificanceId\n"
	langHeader    = "id\teffectiveTime\tactive\tmoduleId\trefsetId\treferencedComponentId\tacceptabilityId\n"
	refsetHeader  = "id\teffectiveTime\tactive\tmoduleId\trefsetId\treferencedComponentId\n"
	relHeader     = "id\teffectiveTime\tactive\tmoduleId\tsourceId\tdestinationId\trelationshipGroup\ttypeId\tcharacteristicTypeId\tmodifierId\n"
)

// TestReadRF2 reads a full release: the latest row of each component
// counts, inactive concepts and descriptions are left out, and the
// language reference set says the preferred term.
func TestReadRF2(t *testing.T) {
	concepts := conceptHeader +
		"195967001\t20020131\t1\t900000000000207008\t900000000000074008\n" +
		"22298006\t20020131\t1\t900000000000207008\t900000000000074008\n" +
		"22298006\t20200131\t0\t900000000000207008\t900000000000074008\n"
	descs := descHeader +
		"301480018\t20020131\t1\t900000000000207008\t195967001\ten\t900000000000013009\tAsthma\t900000000000448009\n" +
		"1001016\t20020131\t1\t900000000000207008\t195967001\ten\t900000000000003001\tAsthma (disorder)\t900000000000448009\n" +
		"1002011\t20020131\t1\t900000000000207008\t195967001\ten\t900000000000013009\tBronchial asthma\t900000000000448009\n" +
		"1002011\t20210131\t1\t900000000000207008\t195967001\ten\t900000000000013009\tAsthmatic\t900000000000448009\n" +
		"1003018\t20020131\t0\t900000000000207008\t195967001\ten\t900000000000013009\tRetired term\t900000000000448009\n" +
		"1004012\t20020131\t1\t900000000000207008\t22298006\ten\t900000000000013009\tHeart attack\t900000000000448009\n"
	lang := langHeader +
		"a1\t20020131\t1\t900000000000207008\t999001261000000100\t1002011\t900000000000548007\n" +
		"a2\t20020131\t1\t900000000000207008\t999001261000000100\t301480018\t900000000000549004\n"
	got, err := ReadRF2([]RF2File{{"sct2_Concept_Full_INT.txt", strings.NewReader(concepts)},
		{"sct2_Description_Full-en_INT.txt", strings.NewReader(descs)}, {"der2_cRefset_LanguageFull-en.txt", strings.NewReader(lang)}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("got %d concepts, want 1 (22298006 is inactive): %+v", len(got), got)
	}
	c := got[0]
	if c.ID != "195967001" || c.Term != "Asthmatic" || c.FSN != "Asthma (disorder)" || c.SemanticTag() != "disorder" ||
		strings.Join(c.Synonyms, "|") != "Asthma" {
		t.Errorf("got %+v, want the preferred term Asthmatic, synonym Asthma", c)
	}
	// Without the language reference set the FSN without its tag is the term.
	got, err = ReadRF2([]RF2File{{"sct2_Concept_Full_INT.txt", strings.NewReader(concepts)}, {"sct2_Description_Full-en_INT.txt", strings.NewReader(descs)}})
	if err != nil || got[0].Term != "Asthma" {
		t.Errorf("without preferences: %+v %v, want the term Asthma", got, err)
	}
}

// TestReadRF2Hierarchy reads what each concept is a kind of from the
// relationship file: its active is-a relationships only, the latest row
// of each, none to or from an inactive concept.
func TestReadRF2Hierarchy(t *testing.T) {
	concepts := conceptHeader +
		"195967001\t20020131\t1\t900000000000207008\t900000000000074008\n" +
		"64572001\t20020131\t1\t900000000000207008\t900000000000074008\n" +
		"404684003\t20020131\t1\t900000000000207008\t900000000000074008\n" +
		"22298006\t20020131\t0\t900000000000207008\t900000000000074008\n"
	descs := descHeader +
		"1002011\t20020131\t1\t900000000000207008\t195967001\ten\t900000000000013009\tAsthma\t900000000000448009\n" +
		"3006015\t20020131\t1\t900000000000207008\t64572001\ten\t900000000000013009\tDisease\t900000000000448009\n" +
		"3004017\t20020131\t1\t900000000000207008\t404684003\ten\t900000000000013009\tClinical finding\t900000000000448009\n"
	rels := relHeader +
		"5001024\t20020131\t1\t900000000000207008\t195967001\t64572001\t0\t116680003\t900000000000011006\t900000000000451002\n" +
		// Asthma was once a clinical finding directly: retired since.
		"5002028\t20020131\t1\t900000000000207008\t195967001\t404684003\t0\t116680003\t900000000000011006\t900000000000451002\n" +
		"5002028\t20100131\t0\t900000000000207008\t195967001\t404684003\t0\t116680003\t900000000000011006\t900000000000451002\n" +
		"5003022\t20020131\t1\t900000000000207008\t64572001\t404684003\t0\t116680003\t900000000000011006\t900000000000451002\n" +
		// Not an is-a (finding site), and one from an inactive concept.
		"5004027\t20020131\t1\t900000000000207008\t195967001\t404684003\t0\t363698007\t900000000000011006\t900000000000451002\n" +
		"5005026\t20020131\t1\t900000000000207008\t22298006\t64572001\t0\t116680003\t900000000000011006\t900000000000451002\n"
	got, err := ReadRF2([]RF2File{{"sct2_Concept_Snapshot_INT.txt", strings.NewReader(concepts)},
		{"sct2_Description_Snapshot-en_INT.txt", strings.NewReader(descs)}, {"sct2_Relationship_Snapshot_INT.txt", strings.NewReader(rels)}})
	if err != nil {
		t.Fatal(err)
	}
	parents := map[string]string{}
	for _, c := range got {
		parents[c.ID] = strings.Join(c.Parents, ",")
	}
	want := map[string]string{"195967001": "64572001", "64572001": "404684003", "404684003": ""}
	if fmt.Sprint(parents) != fmt.Sprint(want) {
		t.Errorf("parents %v, want %v", parents, want)
	}
	_, err = ReadRF2([]RF2File{{"sct2_Concept_X.txt", strings.NewReader(concepts)}, {"sct2_Description_X.txt", strings.NewReader(descs)},
		{"sct2_Relationship_X.txt", strings.NewReader(relHeader + "5001024\t20020131\t1\t900000000000207008\t195967001\t73211009\t0\t116680003\t900000000000011006\t900000000000451002\n")}})
	if err == nil || !strings.Contains(err.Error(), "sct2_Relationship_X.txt:2: relationship 5001024 is of concept 73211009, which is not in the concept file") {
		t.Errorf("an is-a to a concept not in the release: got %v", err)
	}
}

// TestReadRF2Refsets reads which concepts the release's simple reference
// sets list: active members only, the latest row of each, none of an
// inactive concept or of a description; a member of a concept the
// release lacks, or a bad line, is reported by file and line.
func TestReadRF2Refsets(t *testing.T) {
	concepts := conceptHeader +
		"195967001\t20020131\t1\t900000000000207008\t900000000000074008\n" +
		"64572001\t20020131\t1\t900000000000207008\t900000000000074008\n" +
		"22298006\t20020131\t0\t900000000000207008\t900000000000074008\n" +
		"19999999103\t20260401\t1\t900000000000207008\t900000000000074008\n"
	descs := descHeader +
		"1002011\t20020131\t1\t900000000000207008\t195967001\ten\t900000000000013009\tAsthma\t900000000000448009\n" +
		"3006015\t20020131\t1\t900000000000207008\t64572001\ten\t900000000000013009\tDisease\t900000000000448009\n" +
		"29999999114\t20260401\t1\t900000000000207008\t19999999103\ten\t900000000000013009\tDemo simple reference set\t900000000000448009\n"
	members := refsetHeader +
		"80000000-0000-4000-8000-000000000001\t20260401\t1\t900000000000207008\t19999999103\t195967001\n" +
		// Disease was listed, and taken off since.
		"80000000-0000-4000-8000-000000000002\t20200101\t1\t900000000000207008\t19999999103\t64572001\n" +
		"80000000-0000-4000-8000-000000000002\t20260401\t0\t900000000000207008\t19999999103\t64572001\n" +
		// A retired concept, and a description.
		"80000000-0000-4000-8000-000000000003\t20260401\t1\t900000000000207008\t19999999103\t22298006\n" +
		"80000000-0000-4000-8000-000000000004\t20260401\t1\t900000000000207008\t19999999103\t1002011\n"
	got, err := ReadRF2([]RF2File{{"sct2_Concept_Snapshot_INT.txt", strings.NewReader(concepts)},
		{"sct2_Description_Snapshot-en_INT.txt", strings.NewReader(descs)}, {"der2_Refset_SimpleSnapshot_INT.txt", strings.NewReader(members)}})
	if err != nil {
		t.Fatal(err)
	}
	refsets := map[string]string{}
	for _, c := range got {
		refsets[c.ID] = strings.Join(c.Refsets, ",")
	}
	want := map[string]string{"195967001": "19999999103", "64572001": "", "19999999103": ""}
	if fmt.Sprint(refsets) != fmt.Sprint(want) {
		t.Errorf("reference sets %v, want %v", refsets, want)
	}
	for _, tc := range []struct{ name, line, want string }{
		{"unknown concept", "80000000-0000-4000-8000-000000000005\t20260401\t1\t900000000000207008\t19999999103\t73211009\n",
			"der2_Refset_SimpleSnapshot_X.txt:2: reference set member 80000000-0000-4000-8000-000000000005 lists concept 73211009, which is not in the concept file"},
		{"unknown reference set", "80000000-0000-4000-8000-000000000006\t20260401\t1\t900000000000207008\t1127551000000109\t195967001\n",
			"der2_Refset_SimpleSnapshot_X.txt:2: reference set member 80000000-0000-4000-8000-000000000006 is of reference set 1127551000000109, which is not in the concept file"},
		{"check digit", "80000000-0000-4000-8000-000000000007\t20260401\t1\t900000000000207008\t19999999103\t195967002\n",
			"der2_Refset_SimpleSnapshot_X.txt:2: referencedComponentId: SNOMED CT identifier 195967002 fails its check digit"},
		{"fields", "80000000-0000-4000-8000-000000000008\t20260401\t1\t19999999103\t195967001\n",
			"der2_Refset_SimpleSnapshot_X.txt:2: 5 fields, not the 6 of the header"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadRF2([]RF2File{{"sct2_Concept_X.txt", strings.NewReader(concepts)}, {"sct2_Description_X.txt", strings.NewReader(descs)},
				{"der2_Refset_SimpleSnapshot_X.txt", strings.NewReader(refsetHeader + tc.line)}})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestReadRF2Errors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files []RF2File
		want  string
	}{
		{"no descriptions", []RF2File{{"sct2_Concept_X.txt", strings.NewReader(conceptHeader)}}, "give a concept file"},
		{"unknown file", []RF2File{{"readme.txt", strings.NewReader("")}}, "readme.txt: not a file of a SNOMED CT RF2 release"},
		{"header", []RF2File{{"sct2_Concept_X.txt", strings.NewReader("id\tactive\n")}}, "sct2_Concept_X.txt:1: the header is not"},
		{"active", []RF2File{{"sct2_Concept_X.txt", strings.NewReader(conceptHeader + "195967001\t20020131\t2\t900000000000207008\t900000000000074008\n")}},
			"sct2_Concept_X.txt:2: active is \"2\""},
		{"orphan description", []RF2File{{"sct2_Concept_X.txt", strings.NewReader(conceptHeader)},
			{"sct2_Description_X.txt", strings.NewReader(descHeader + "1004012\t20020131\t1\t900000000000207008\t22298006\ten\t900000000000013009\tHeart attack\t900000000000448009\n")}},
			"sct2_Description_X.txt:2: description 1004012 is of concept 22298006, which is not in the concept file"},
		{"twice", []RF2File{{"sct2_Concept_X.txt", strings.NewReader(conceptHeader + "195967001\t20020131\t1\t900000000000207008\t900000000000074008\n195967001\t20020131\t0\t900000000000207008\t900000000000074008\n")}},
			"sct2_Concept_X.txt:3: component 195967001 is given twice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadRF2(tc.files)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// FuzzReadRF2 reads any description file beside a good concept file: an
// error or concepts, never a panic.
func FuzzReadRF2(f *testing.F) {
	f.Add(descHeader + "301480018\t20020131\t1\t900000000000207008\t195967001\ten\t900000000000013009\tAsthma\t900000000000448009\n")
	f.Add("id\n\t\t\n")
	f.Fuzz(func(t *testing.T, descs string) {
		concepts := conceptHeader + "195967001\t20020131\t1\t900000000000207008\t900000000000074008\n"
		cs, err := ReadRF2([]RF2File{{"sct2_Concept_X.txt", strings.NewReader(concepts)}, {"sct2_Description_X.txt", strings.NewReader(descs)}})
		if err == nil {
			for _, c := range cs {
				if c.Term == "" {
					t.Errorf("concept %s without a term", c.ID)
				}
			}
		}
	})
}
