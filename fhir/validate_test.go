package fhir

import (
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestValidateRefusesUnknownElements(t *testing.T) {
	tests := []struct {
		name, body, wantExpr string
	}{
		{"unknown top-level element", `{"resourceType":"Patient","nickname":"Bob"}`, "Patient.nickname"},
		{"unknown nested element", `{"resourceType":"Patient","name":[{"family":"Smith","middle":"X"}]}`, "Patient.name[0].middle"},
		{"unknown backbone element", `{"resourceType":"Patient","contact":[{"name":{"family":"A"},"mood":"calm"}]}`, "Patient.contact[0].mood"},
		{"repeating element not an array", `{"resourceType":"Patient","name":{"family":"Smith"}}`, "Patient.name"},
		{"single element as array", `{"resourceType":"Patient","birthDate":["2000-01-01"]}`, "Patient.birthDate"},
		{"wrong primitive kind", `{"resourceType":"Patient","active":"yes"}`, "Patient.active"},
		{"unknown choice type", `{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueMoney":{"value":1}}`, "Observation.valueMoney"},
		{"extension on a non-primitive", `{"resourceType":"Patient","_name":{"extension":[]}}`, "Patient._name"},
		{"extension on a repeated definition", `{"resourceType":"ClaimResponse","_adjudication":{}}`, "ClaimResponse._adjudication"},
		{"unknown resource type", `{"resourceType":"Patience"}`, "resourceType"},
		{"contained resource checked", `{"resourceType":"Patient","contained":[{"resourceType":"Organization","nom":"x"}]}`, "Patient.contained[0].nom"},
		{"two types of one choice", `{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueCodeableConcept":{"text":"cc"},"valueQuantity":{"value":1}}`, "Observation.valueQuantity"},
		{"two types of a nested choice", `{"resourceType":"Observation","status":"final","code":{"text":"x"},"component":[{"code":{"text":"y"},"valueString":"a","_valueBoolean":{"id":"b"}}]}`, "Observation.component[0].valueString"},
		{"two types of a contained resource's choice", `{"resourceType":"Patient","contained":[{"resourceType":"Condition","subject":{"reference":"#p"},"onsetDateTime":"2026-01-01","onsetString":"last year"}]}`, "Patient.contained[0].onsetString"},
		{"integer with a fraction", `{"resourceType":"Patient","multipleBirthInteger":1.5}`, "Patient.multipleBirthInteger"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode([]byte(tc.body))
			o, ok := err.(*Outcome)
			if !ok {
				t.Fatalf("Decode(%s) = %v, want an *Outcome", tc.body, err)
			}
			if o.Issues[0].Expression != tc.wantExpr || o.Issues[0].Severity != "error" {
				t.Errorf("issue = %+v, want expression %q", o.Issues[0], tc.wantExpr)
			}
		})
	}
}

func TestDecodeKeepsWhatWasSent(t *testing.T) {
	body := `{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8867-4"},{"system":"http://snomed.info/sct","code":"364075005"}]},"valueQuantity":{"value":72.50,"unit":"/min"}}`
	r, err := Decode([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(r)
	if !strings.Contains(string(b), `"value":72.50`) {
		t.Errorf("decimal not kept exactly: %s", b)
	}
	if i, j := strings.Index(string(b), "8867-4"), strings.Index(string(b), "364075005"); i < 0 || j < i {
		t.Errorf("coding order not kept: %s", b)
	}
	p := `{"resourceType":"Patient","birthDate":"1970-01-01","_birthDate":{"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/patient-birthTime","valueDateTime":"1970-01-01T10:30:00Z"}]},"name":[{"given":["Ann",null],"_given":[null,{"extension":[{"url":"http://example.org/x","valueString":"y"}]}]}]}`
	if _, err := Decode([]byte(p)); err != nil {
		t.Errorf("primitive extensions refused: %v", err)
	}
	one := `{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueString":"a","_valueString":{"id":"v"},"effectiveDateTime":"2026-01-01"}`
	if _, err := Decode([]byte(one)); err != nil {
		t.Errorf("a choice's value with its primitive extension refused: %v", err)
	}
}

// TestValidateSynthea checks that every resource of the Synthea bundles
// is valid R4 by the generated tables, as stored and as sent.
func TestValidateSynthea(t *testing.T) {
	files := syntheaBundles(t)
	if len(files) > 10 {
		files = files[:10]
	}
	for _, f := range files {
		b := gunzip(t, f)
		if _, err := Decode(b); err != nil {
			t.Errorf("%s: %v", filepath.Base(f), err)
		}
		if _, err := decodeSent(b); err != nil {
			t.Errorf("%s sent: %v", filepath.Base(f), err)
		}
	}
}

// syntheaBundles lists the shared Synthea bundles (../shared beside the
// repository, or CRS_SHARED); it skips without them.
func syntheaBundles(tb testing.TB) []string {
	dir := "../../shared"
	if s := os.Getenv("CRS_SHARED"); s != "" {
		dir = s
	}
	files, _ := filepath.Glob(filepath.Join(dir, "data/fhir/synthea/*.json.gz"))
	if len(files) == 0 {
		tb.Skip("no Synthea bundles in ../shared/data/fhir/synthea (set CRS_SHARED to the shared directory)")
	}
	return files
}

// gunzip reads a gzipped file whole.
func gunzip(tb testing.TB, path string) []byte {
	fh, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer fh.Close()
	z, err := gzip.NewReader(fh)
	if err != nil {
		tb.Fatal(err)
	}
	b, err := io.ReadAll(z)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}
