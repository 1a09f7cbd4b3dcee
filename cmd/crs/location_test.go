package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
)

// TestLocationCommands sets up a trust's estate from the command line:
// an import, the same import again (nothing changes), a bad file (each bad
// row reported as FILE:LINE: column: reason, nothing loaded), one location
// added with flags, the tree listed, and the refusals of a wrong command.
func TestLocationCommands(t *testing.T) {
	dir := t.TempDir()
	dsn := "sqlite:" + filepath.Join(dir, "crs.db")
	write := func(name, text string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	mustRun := func(t *testing.T, args ...string) string {
		t.Helper()
		code, out, errs := runCLI(t, args...)
		if code != 0 {
			t.Fatalf("crs %s: exit %d; want 0\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, out, errs)
		}
		return out
	}
	// estate reads the trust's locations from the database the commands wrote, by path.
	estate := func(t *testing.T) map[string]*crs.Location {
		t.Helper()
		db, err := store.Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		org, err := store.NewOrganisationService(db).FindOrganisationByODS(context.Background(), crs.SystemActor(""), "RXX")
		if err != nil {
			t.Fatal(err)
		}
		locs, err := store.NewOrganisationService(db).FindLocations(context.Background(), crs.SystemActor(org.ID), "")
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]*crs.Location{}
		for _, root := range crs.LocationTree(locs) {
			root.Walk(func(n *crs.LocationNode) { out[n.Path] = n.Location })
		}
		return out
	}
	mustRun(t, "trust", "add", "--db", dsn, "--ods", "RXX", "--name", "Riverside Hospitals NHS Trust")

	// Children may come before their parents in the file.
	good := write("estate.csv", `kind,code,name,parent,sex,specialty,ed_type,status
bed,A1,Bed A1,RGH/WD10/BAYA,,,,
site,RGH,Riverside General Hospital,,,,,
ward,WD10,Nightingale Ward,RGH,female,300,,
bay,BAYA,Bay A,RGH/WD10,female,,,
bed,A2,Bed A2,RGH/WD10/BAYA,,,,available
bed,SR1,Side room 1,RGH/WD10,,,,out_of_use
room,OPD1,Outpatients room 1,RGH,,,,
ed,ED,Emergency department,RGH,,,01,
ed,RESUS,Resus,RGH/ED,,,,
`)
	if out := mustRun(t, "location", "import", "--db", dsn, "--ods", "RXX", good); !strings.Contains(out, "9 rows: 9 added, 0 changed, 0 unchanged") {
		t.Errorf("the first import printed %q; want 9 added", out)
	}
	first := estate(t)
	if out := mustRun(t, "location", "import", "--db", dsn, "--ods", "RXX", good); !strings.Contains(out, "9 rows: 0 added, 0 changed, 9 unchanged") {
		t.Errorf("the second import printed %q; want 9 unchanged", out)
	}
	again := estate(t)
	for path, l := range first {
		if *again[path] != *l {
			t.Errorf("the second import changed %s: %+v to %+v", path, l, again[path])
		}
	}
	if len(again) != 9 {
		t.Errorf("%d locations after importing twice, want 9", len(again))
	}
	want := map[string]crs.Location{
		"RGH/WD10":         {Kind: crs.LocationWard, Code: "WD10", Name: "Nightingale Ward", Sex: crs.SexFemale, Specialty: "300"},
		"RGH/WD10/BAYA":    {Kind: crs.LocationBay, Code: "BAYA", Name: "Bay A", Sex: crs.SexFemale},
		"RGH/WD10/BAYA/A1": {Kind: crs.LocationBed, Code: "A1", Name: "Bed A1", Status: crs.BedAvailable},
		"RGH/WD10/SR1":     {Kind: crs.LocationBed, Code: "SR1", Name: "Side room 1", Status: crs.BedOutOfUse},
		"RGH/OPD1":         {Kind: crs.LocationClinicRoom, Code: "OPD1", Name: "Outpatients room 1"},
		"RGH/ED":           {Kind: crs.LocationED, Code: "ED", Name: "Emergency department", EDType: "01"},
	}
	for path, w := range want {
		l := again[path]
		if l == nil {
			t.Errorf("no %s after the import", path)
			continue
		}
		if l.Kind != w.Kind || l.Code != w.Code || l.Name != w.Name || l.Sex != w.Sex || l.Specialty != w.Specialty || l.Status != w.Status || l.EDType != w.EDType {
			t.Errorf("%s = %+v; want %+v", path, *l, w)
		}
	}

	// A bad file: every bad row is reported, and nothing of the file is loaded.
	bad := write("bad.csv", `kind,code,name,parent,sex,specialty,ed_type,status
site,NGH,Northgate Hospital,,,,,
ward,WD20,Ward 20,NGH,males,300,,
ward,WD10,Another ten,NGH,male,300,,
bed,B1,Bed 1,NGH,,,,
bed,B2,Bed 2,NGH/WD99,,,,
ed,WIC,Walk-in centre,NGH,,,04,
castle,C,Keep,,,,,
ward,WD30,Ward 30,NGH,male
`)
	code, out, errs := runCLI(t, "location", "import", "--db", dsn, "--ods", "RXX", bad)
	if code != 1 {
		t.Errorf("import of a bad file: exit %d; want 1\nstdout: %s\nstderr: %s", code, out, errs)
	}
	for _, line := range []string{
		bad + `:3: column sex: sex "males" is not one of male, female, mixed`,
		bad + `:4: column code: the trust already has a ward with code WD10, at RGH/WD10`,
		bad + `:5: column parent: a bed cannot be within a site (NGH)`,
		bad + `:6: column parent: no location NGH/WD99 in the trust or the file`,
		bad + `:7: column ed_type: emergency care department type 04 (NHS walk-in centres) was retired on 1 July 2023`,
		bad + `:8: column kind: "castle" is not one of site, ward, bay, bed, room, ed`,
		bad + `:9: the row has 5 fields; the header has 8`,
		"bad.csv: 7 of 8 rows are wrong; nothing was imported",
	} {
		if !strings.Contains(errs, line) {
			t.Errorf("import of a bad file: stderr lacks %q:\n%s", line, errs)
		}
	}
	if strings.Contains(errs, ":2:") {
		t.Errorf("import of a bad file reports the good line 2:\n%s", errs)
	}
	if got := estate(t); len(got) != 9 || got["NGH"] != nil {
		t.Errorf("a bad file loaded something: %d locations (NGH: %v), want the 9 there were", len(got), got["NGH"])
	}
	for _, tc := range []struct{ name, text, want string }{
		{"unknown column", "kind,code,name,floor\n", ":1: column floor: not a column of an estate file"},
		{"no name column", "kind,code\nsite,X\n", ":1: column name: the header row lacks it"},
		{"empty", "", ":1: the file is empty: it needs a header row"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errs := runCLI(t, "location", "import", "--db", dsn, "--ods", "RXX", write(tc.name+".csv", tc.text))
			if code != 1 || !strings.Contains(errs, tc.want) {
				t.Errorf("exit %d, stderr %q; want 1 and %q", code, errs, tc.want)
			}
		})
	}

	// One location with flags; the same again changes nothing; a status changes.
	if out := mustRun(t, "location", "add", "--db", dsn, "--ods", "RXX", "--kind", "bed", "--code", "A3", "--name", "Bed A3", "--parent", "RGH/WD10/BAYA"); out != "bed RGH/WD10/BAYA/A3 added in RXX: Bed A3\n" {
		t.Errorf("crs location add printed %q", out)
	}
	if out := mustRun(t, "location", "add", "--db", dsn, "--ods", "RXX", "--kind", "bed", "--code", "A3", "--name", "Bed A3", "--parent", "RGH/WD10/BAYA"); !strings.Contains(out, "already there as given") {
		t.Errorf("crs location add of the same bed printed %q", out)
	}
	mustRun(t, "location", "add", "--db", dsn, "--ods", "RXX", "--kind", "bed", "--code", "A3", "--name", "Bed A3", "--parent", "RGH/WD10/BAYA", "--status", "closed")
	if st := estate(t)["RGH/WD10/BAYA/A3"].Status; st != crs.BedClosed {
		t.Errorf("A3's status after --status closed: %q", st)
	}
	out = mustRun(t, "location", "list", "--db", dsn, "--ods", "RXX")
	for _, re := range []string{
		`(?m)^RGH  Riverside General Hospital  \(site\)$`,
		`(?m)^  WD10  Nightingale Ward  \(ward, female, 300 General Internal Medicine Service\)$`,
		`(?m)^    BAYA  Bay A  \(bay, female\)$`,
		`(?m)^      A3  Bed A3  \(bed, closed\)$`,
		`(?m)^    SR1  Side room 1  \(bed, out of use\)$`,
		`(?m)^  ED  Emergency department  \(emergency department, type 01\)$`,
		`(?m)^10 locations in RXX`,
	} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("crs location list lacks %s:\n%s", re, out)
		}
	}

	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"unknown trust", []string{"list", "--db", dsn, "--ods", "RZZ"}, 1, "no trust with ODS code RZZ in the database: add it with crs trust add"},
		{"no --ods", []string{"list", "--db", dsn}, 2, "--ods is required"},
		{"no file", []string{"import", "--db", dsn, "--ods", "RXX"}, 2, "name one CSV file to import"},
		{"ward without sex or specialty", []string{"add", "--db", dsn, "--ods", "RXX", "--kind", "ward", "--code", "WD11", "--name", "X", "--parent", "RGH"}, 1,
			"--sex: say whom the ward takes: male, female or mixed\n  --specialty: choose the ward's specialty"},
		{"unknown parent", []string{"add", "--db", dsn, "--ods", "RXX", "--kind", "bed", "--code", "Z1", "--name", "X", "--parent", "RGH/WD99"}, 1, "--parent: no location RGH/WD99 in the trust"},
		{"unknown subcommand", []string{"remove"}, 2, `unknown subcommand "remove"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := runCLI(t, append([]string{"location"}, tc.args...)...)
			if code != tc.code || !strings.Contains(errs, tc.want) {
				t.Errorf("exit %d; want %d and %q\nstdout: %s\nstderr: %s", code, tc.code, tc.want, out, errs)
			}
		})
	}
}

func TestLocationHelp(t *testing.T) {
	for _, tc := range []struct {
		args  []string
		want  []string
		flags []string
	}{
		{[]string{"location", "add"}, []string{"Usage: crs location add"}, []string{"db", "ods", "kind", "code", "name", "parent", "sex", "specialty", "ed-type", "status"}},
		{[]string{"location", "list"}, []string{"Usage: crs location list"}, []string{"db", "ods"}},
		{[]string{"location", "import"}, []string{"Usage: crs location import", "header row", "FILE:LINE: column NAME", "importing the same file again changes nothing",
			"kind,code,name,parent,sex,specialty,ed_type,status"}, []string{"db", "ods"}},
		{[]string{"location"}, []string{"crs location import --ods CODE FILE.csv"}, nil},
	} {
		args := append(append([]string{}, tc.args...), "--help")
		name := strings.Join(args, " ")
		t.Run(name, func(t *testing.T) {
			code, out, errs := runCLI(t, args...)
			if code != 0 {
				t.Fatalf("crs %s: exit %d; want 0\nstderr: %s", name, code, errs)
			}
			for _, w := range tc.want {
				if !strings.Contains(strings.Join(strings.Fields(out), " "), w) {
					t.Errorf("crs %s lacks %q:\n%s", name, w, out)
				}
			}
			for _, f := range tc.flags {
				if !regexp.MustCompile(`(?m)^  -` + regexp.QuoteMeta(f) + `\b`).MatchString(out) {
					t.Errorf("crs %s: flag -%s not listed:\n%s", name, f, out)
				}
			}
		})
	}
	if code, out, _ := runCLI(t, "--help"); code != 0 || !regexp.MustCompile(`(?m)^  location +\S`).MatchString(out) {
		t.Errorf("crs --help does not list location:\n%s", out)
	}
}
