package main

import (
	"strings"
	"testing"
)

// TestNoteTemplateLoad loads a trust's note and letter templates from the
// command line, again without change, and refuses a bad file with each
// bad line as FILE:LINE and nothing loaded.
func TestNoteTemplateLoad(t *testing.T) {
	dsn, write := trustToLoad(t)
	good := write("templates.csv", "specialty,kind,title,heading,prompt\n"+
		"320,letter,Cardiology clinic letter,Diagnosis,\n320,letter,Cardiology clinic letter,Plan,What happens next\n"+
		"110,note,Post-operative review,Wound and limb,\"Wound, neurovascular status\"\n")
	code, out, errs := runCLI(t, "note", "template", "load", "--db", dsn, "--ods", "RXX", good)
	if code != 0 || !strings.Contains(out, "2 templates of RXX, 2 added or changed") {
		t.Fatalf("load: %d %q %q", code, out, errs)
	}
	if code, out, errs := runCLI(t, "note", "template", "load", "--db", dsn, "--ods", "RXX", good); code != 0 || !strings.Contains(out, "2 templates of RXX, 0 added or changed") {
		t.Fatalf("load again: %d %q %q", code, out, errs)
	}
	bad := write("bad.csv", "specialty,kind,title,heading,prompt\n999,letter,X,Diagnosis,\n320,memo,Y,Plan,\n320,note,Z,,\n"+
		"320,note,A,One,\n320,note,B,One,\n320,note,A,Two,\n")
	code, _, errs = runCLI(t, "note", "template", "load", "--db", dsn, "--ods", "RXX", bad)
	for _, want := range []string{bad + ":2: specialty", bad + ":3: kind", bad + ":4: heading", bad + ":7: template \"A\" (320 note) began on line 5"} {
		if code == 0 || !strings.Contains(errs, want) {
			t.Errorf("bad file: %d %q, want %q", code, errs, want)
		}
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"note", "template", "load", "--db", dsn, good}, "--ods is required"},
		{[]string{"note", "template", "load", "--db", dsn, "--ods", "RXX"}, "give one FILE"},
		{[]string{"note", "template", "load", "--db", dsn, "--ods", "RXX", write("head.csv", "specialty,kind,title\n")}, `has no "heading" column`},
	} {
		if code, _, errs := runCLI(t, tc.args...); code == 0 || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: %d %q, want %q", tc.args, code, errs, tc.want)
		}
	}
}
