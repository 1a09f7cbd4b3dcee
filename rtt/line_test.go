package rtt

import "testing"

func TestReportingLine(t *testing.T) {
	tests := []struct{ tfc, code, name string }{
		{"100", "100", "General Surgery Service"},
		{"101", "101", "Urology Service"},
		{" 110 ", "110", "Trauma & Orthopaedics Service"},
		// s10.1.4 named exceptions.
		{"108", "110", "Trauma & Orthopaedics Service"},
		{"111", "110", "Trauma & Orthopaedics Service"},
		{"115", "110", "Trauma & Orthopaedics Service"},
		{"144", "140", "Oral Surgery Service"},
		{"145", "140", "Oral Surgery Service"},
		{"172", "170", "Cardiothoracic Surgery Service"},
		{"173", "170", "Cardiothoracic Surgery Service"},
		// s10.1.4: 300 excludes 306-309, which go to Other - Medical.
		{"300", "300", "General Internal Medicine Service"},
		{"306", "X02", "Other – Medical Services"},
		{"309", "X02", "Other – Medical Services"},
		{"502", "502", "Gynaecology Service"},
		{"103", "X05", "Other – Surgical Services"},
		{"171", "X04", "Other – Paediatric Services"},
		// Not a current national treatment function.
		{"199", "", ""},
		{"990", "", ""},
		{"", "", ""},
	}
	for _, tt := range tests {
		code, name := ReportingLine(tt.tfc)
		if code != tt.code || name != tt.name {
			t.Errorf("ReportingLine(%q) = %q, %q; want %q, %q", tt.tfc, code, name, tt.code, tt.name)
		}
	}
	for tfc, line := range tfcLine {
		if c, _ := ReportingLine(tfc); c != line {
			t.Errorf("TFC %s maps to %s, which is not a line of the return", tfc, line)
		}
	}
	if n := len(Lines()); n != 23 {
		t.Errorf("Lines() has %d lines, want 18 + 5 (s10.1.4)", n)
	}
}

func TestReportingLineMatchesReference(t *testing.T) {
	rows := sharedFile(t, "rtt_treatment_function_map.csv")
	if len(rows) != len(tfcLine) {
		t.Errorf("CSV maps %d codes, table %d", len(rows), len(tfcLine))
	}
	for _, r := range rows {
		if c, _ := ReportingLine(r[0]); c != r[2] {
			t.Errorf("TFC %s: line %q, CSV %q", r[0], c, r[2])
		}
	}
	names := map[string]string{}
	for _, r := range sharedFile(t, "rtt_reporting_lines.csv") {
		names[r[0]] = r[1]
	}
	for _, l := range Lines() {
		if names[l.Code] != l.Name {
			t.Errorf("line %s: name %q, CSV %q", l.Code, l.Name, names[l.Code])
		}
	}
}
