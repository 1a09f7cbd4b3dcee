package fhir

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestSharedRowsMigration checks that migration 0108 deletes the index
// rows of exactly the parameters that are read from others' rows: never
// a row a search still reads.
func TestSharedRowsMigration(t *testing.T) {
	b, err := os.ReadFile("../store/migrations/0108_fhir_index_shared.sql")
	if err != nil {
		t.Fatal(err)
	}
	var deleted []string
	for _, m := range regexp.MustCompile(`\('([A-Za-z]+)', '([a-z:-]+)'\)`).FindAllStringSubmatch(string(b), -1) {
		deleted = append(deleted, m[1]+"."+m[2])
		name, _, _ := strings.Cut(m[2], ":")
		if hasOwnRows(m[1], name) {
			t.Errorf("migration 0108 deletes the rows of %s %s, which a search reads", m[1], m[2])
		}
	}
	for typ, m := range sharedTable() {
		for name := range m {
			if !slices.Contains(deleted, typ+"."+name) {
				t.Errorf("migration 0108 keeps the rows of %s %s, which nothing reads", typ, name)
			}
		}
	}
}

// TestSharedParams checks which parameters of Observation and
// Condition are read from others' rows.
func TestSharedParams(t *testing.T) {
	for _, tc := range []struct {
		typ, name, params, target string
	}{
		{"Observation", "patient", "subject", "Patient"},
		{"Observation", "combo-code", "code,component-code", ""},
		{"Observation", "combo-code:text", "code:text,component-code:text", ""},
		{"Observation", "combo-value-quantity", "component-value-quantity,value-quantity", ""},
		{"Observation", "combo-value-concept", "component-value-concept,value-concept", ""},
		{"Observation", "combo-data-absent-reason", "component-data-absent-reason,data-absent-reason", ""},
		{"Condition", "patient", "subject", "Patient"},
	} {
		sh, ok := sharedOf(tc.typ, tc.name)
		if got := strings.Join(sh.params, ","); !ok || got != tc.params || sh.target != tc.target {
			t.Errorf("%s %s is read from %q (%s), want %q (%s)", tc.typ, tc.name, got, sh.target, tc.params, tc.target)
		}
	}
	for _, name := range []string{"subject", "code", "component-code", "value-quantity", "status", "date", "category"} {
		if !hasOwnRows("Observation", name) {
			t.Errorf("Observation %s has no rows of its own", name)
		}
	}
	// The typed core answers these by name: they keep their rows.
	for _, p := range [][2]string{{"Patient", "phone"}, {"Encounter", "patient"}, {"Appointment", "patient"}} {
		if !hasOwnRows(p[0], p[1]) {
			t.Errorf("%s %s has no rows of its own", p[0], p[1])
		}
	}
}
