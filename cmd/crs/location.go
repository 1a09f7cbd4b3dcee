package main

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/nhs"
	"github.com/opencrs/crs/store"
)

// locationColumns are the columns of an estate CSV file, in the order
// crs location import --help gives them.
var locationColumns = []string{"kind", "code", "name", "parent", "sex", "specialty", "ed_type", "status"}

// locationCSVHelp describes the estate CSV file; the README repeats it.
const locationCSVHelp = `The file is CSV (UTF-8, comma-separated) with a header row naming its
columns, in any order; kind, code and name are required, the others may be
left out or empty where they do not apply:

  kind       site, ward, bay, bed, room (a clinic room) or ed (an emergency
             department, or an area within one)
  code       the location's code: 1 to 20 letters, digits, dots, hyphens or
             underscores. A ward's code is unique in the trust (HL7 PV1-3
             names a ward by it); any other's among its parent's
  name       the location's name, e.g. Nightingale Ward
  parent     where it is, as the codes from its site down joined by "/":
             MAIN for a ward on site MAIN, MAIN/WD10 for a bay or bed of ward
             WD10, MAIN/WD10/BAYA for a bed in bay BAYA; empty for a site
  sex        a ward's or bay's: male, female or mixed (required for both)
  specialty  a ward's treatment function code, e.g. 300 (required for a ward)
  ed_type    an emergency department's type: 01 major (consultant-led 24
             hours, full resuscitation), 02 mono-specialty, 03 other A&E,
             minor injury unit, urgent treatment centre or walk-in centre
             (required for a department on a site; empty for an area within
             a department)
  status     a bed's: available, closed or out_of_use (empty: available for
             a new bed, unchanged for one already there)

A row names a location by its parent and code. A location already there is
kept, and changed where the row's name, sex, specialty, type or status
differ; so importing the same file again changes nothing. Every row is
checked before anything is written: a file with a bad row loads nothing,
and each bad row is reported as FILE:LINE: column NAME: what is wrong.
Parents may come after their children in the file. For example:

  kind,code,name,parent,sex,specialty,ed_type,status
  site,RGH,Riverside General Hospital,,,,,
  ward,WD10,Nightingale Ward,RGH,female,300,,
  bay,BAYA,Bay A,RGH/WD10,female,,,
  bed,A1,Bed A1,RGH/WD10/BAYA,,,,available
  bed,SR1,Side room 1,RGH/WD10,,,,out_of_use
  room,OPD1,Outpatients room 1,RGH,,,,
  ed,ED,Emergency department,RGH,,,01,`

// runLocation sets up a trust's estate from the command line: its sites,
// wards, bays, beds, clinic rooms and emergency departments.
func runLocation(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	const synopsis = `location <add|list|import> --db DSN --ods CODE ...

  crs location add --ods CODE --kind KIND --code C --name N [--parent PATH] [--sex S]
                   [--specialty TFC] [--ed-type T] [--status S]
                                      add one location, or bring one already there up to date
  crs location list --ods CODE        list the trust's estate as a tree
  crs location import --ods CODE FILE.csv
                                      add (or bring up to date) the estate from a CSV file

Kinds: site, ward, bay, bed, room (clinic room), ed (emergency department).
A parent is named by its path of codes from its site: MAIN, MAIN/WD10,
MAIN/WD10/BAYA. See crs location import --help for the CSV columns.`
	if len(args) == 0 {
		fmt.Fprintf(stderr, "Usage: crs %s\n", synopsis)
		return errUsage
	}
	switch args[0] {
	case "add":
		return locationAdd(ctx, args[1:], stdout)
	case "list":
		return locationList(ctx, args[1:], stdout)
	case "import":
		return locationImport(ctx, args[1:], stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprintf(stdout, "Usage: crs %s\n", synopsis)
		return nil
	}
	fmt.Fprintf(stderr, "crs location: unknown subcommand %q\n\nUsage: crs %s\n", args[0], synopsis)
	return errUsage
}

// locationFlags maps the fields of a location's errors to the flags of
// crs location add.
var locationFlags = map[string]string{"kind": "--kind", "code": "--code", "name": "--name", "parent": "--parent", "sex": "--sex",
	"specialty": "--specialty", "ed_type": "--ed-type", "status": "--status"}

func locationAdd(ctx context.Context, args []string, stdout io.Writer) error {
	f := newLocationFlags("add", "location add --db DSN --ods CODE --kind KIND --code C --name N [--parent PATH] [--sex S] [--specialty TFC] [--ed-type T] [--status S]\n\n"+
		"Adds one location to the trust's estate. The parent is named by its path of\ncodes from its site, e.g. MAIN/WD10 for a bay or bed of ward WD10 on site MAIN.", stdout)
	v := map[string]*string{}
	v["kind"] = f.fs.String("kind", "", "site, ward, bay, bed, room (a clinic room) or ed (an emergency department) (required)")
	v["code"] = f.fs.String("code", "", "the location's code, e.g. WD10 (required)")
	v["name"] = f.fs.String("name", "", "the location's name, e.g. \"Nightingale Ward\" (required)")
	v["parent"] = f.fs.String("parent", "", "the path of codes of the location it is within, e.g. MAIN or MAIN/WD10 (required but for a site)")
	v["sex"] = f.fs.String("sex", "", "whom a ward or bay takes: male, female or mixed (required for a ward or bay)")
	v["specialty"] = f.fs.String("specialty", "", "a ward's treatment function code, e.g. 300 (required for a ward)")
	v["ed_type"] = f.fs.String("ed-type", "", "an emergency department's type: 01, 02 or 03 (required for a department on a site)")
	v["status"] = f.fs.String("status", "", "a bed's status: available (the default), closed or out_of_use")
	if err := parseFlags(f.fs, args); err != nil {
		return err
	}
	if err := required("location add", map[string]string{"ods": *f.ods, "kind": *v["kind"], "code": *v["code"], "name": *v["name"]}); err != nil {
		return err
	}
	row := map[string]string{}
	for k, p := range v {
		row[k] = strings.TrimSpace(*p)
	}
	est, err := openEstate(ctx, *f.db, *f.ods)
	if err != nil {
		return err
	}
	defer est.db.Close()
	org := est.org
	l, errs := est.check(row, nil)
	if err := errs.Err(); err != nil {
		return flagError(err, locationFlags)
	}
	added, changed, err := est.apply(ctx, l, row["status"] != "")
	if err != nil {
		return flagError(err, locationFlags)
	}
	what := "is already there as given"
	switch {
	case added > 0:
		what = "added"
	case changed > 0:
		what = "changed"
	}
	fmt.Fprintf(stdout, "%s %s %s in %s: %s\n", l.Kind.Name(), l.path, what, org.ODSCode, l.Name)
	return nil
}

// newLocationFlags returns the flags of a location subcommand: --db and
// --ods, as every user subcommand has.
func newLocationFlags(name, synopsis string, stdout io.Writer) userFlags {
	fs := newFlags("location "+name, synopsis, stdout)
	return userFlags{
		fs:  fs,
		db:  fs.String("db", "sqlite:crs-data/crs.db", "the database: sqlite:PATH or postgres://..."),
		ods: fs.String("ods", "", "ODS code of the trust (required)"),
	}
}

func locationList(ctx context.Context, args []string, stdout io.Writer) error {
	f := newLocationFlags("list", "location list --db DSN --ods CODE\n\nLists the trust's estate as a tree: each location's code, name, kind and what\nis recorded of it (a ward's sex and specialty, a bed's status, a department's type).", stdout)
	if err := parseFlags(f.fs, args); err != nil {
		return err
	}
	if err := required("location list", map[string]string{"ods": *f.ods}); err != nil {
		return err
	}
	db, org, err := openTrust(ctx, *f.db, *f.ods)
	if err != nil {
		return err
	}
	defer db.Close()
	locs, err := store.NewOrganisationService(db).FindLocations(ctx, crs.SystemActor(org.ID), "")
	if err != nil {
		return err
	}
	for _, root := range crs.LocationTree(locs) {
		root.Walk(func(n *crs.LocationNode) {
			fmt.Fprintf(stdout, "%s%s  %s  (%s)\n", strings.Repeat("  ", n.Depth), n.Code, n.Name, locationDetail(n.Location))
		})
	}
	fmt.Fprintf(stdout, "%d locations in %s (%s)\n", len(locs), org.ODSCode, org.Name)
	return nil
}

// locationDetail says a location's kind and what is recorded of it.
func locationDetail(l *crs.Location) string {
	parts := []string{l.Kind.Name()}
	if l.Sex != "" {
		parts = append(parts, string(l.Sex))
	}
	if l.Specialty != "" {
		d, _ := nhs.Lookup(nhs.TreatmentFunctions, l.Specialty)
		parts = append(parts, l.Specialty+" "+d)
	}
	if l.EDType != "" {
		parts = append(parts, "type "+l.EDType)
	}
	if l.Status != "" {
		parts = append(parts, strings.ReplaceAll(string(l.Status), "_", " "))
	}
	return strings.Join(parts, ", ")
}

func locationImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newLocationFlags("import", "location import --db DSN --ods CODE FILE.csv\n\nAdds the trust's estate from a CSV file, or brings it up to date.\n\n"+locationCSVHelp+"\n\nFlags:", stdout)
	if err := parseFlags(f.fs, args); err != nil {
		return err
	}
	if err := required("location import", map[string]string{"ods": *f.ods}); err != nil {
		return err
	}
	if f.fs.NArg() != 1 {
		return usageError("name one CSV file to import (see crs location import --help)")
	}
	file := f.fs.Arg(0)
	rows, err := readLocationCSV(file)
	if err != nil {
		return err
	}
	est, err := openEstate(ctx, *f.db, *f.ods)
	if err != nil {
		return err
	}
	defer est.db.Close()
	org := est.org
	// Check every row first, with the file's own rows as parents.
	inFile := map[string]*estateRow{}
	for _, r := range rows {
		if r.err == nil {
			p := strings.Trim(r.fields["parent"], "/")
			key := r.fields["code"]
			if p != "" {
				key = p + "/" + key
			}
			if prev, ok := inFile[key]; ok {
				r.err = crs.Errors{crs.FieldErrorf("code", "%s is already on line %d", key, prev.line)}
				continue
			}
			inFile[key] = r
		}
	}
	bad := 0
	var locs []*estateLocation
	for _, r := range rows {
		if r.err == nil {
			r.loc, r.err = est.check(r.fields, inFile)
			if r.loc != nil {
				r.loc.row = r
			}
		}
		if len(r.err) > 0 {
			bad++
			for _, e := range r.err {
				if e.Field != "" {
					fmt.Fprintf(stderr, "%s:%d: column %s: %s\n", file, r.line, e.Field, e.Message)
				} else {
					fmt.Fprintf(stderr, "%s:%d: %s\n", file, r.line, e.Message)
				}
			}
			continue
		}
		locs = append(locs, r.loc)
	}
	if bad > 0 {
		return fmt.Errorf("%s: %d of %d rows are wrong; nothing was imported", file, bad, len(rows))
	}
	// Parents first: a location's parent is made before it.
	slices.SortStableFunc(locs, func(a, b *estateLocation) int { return strings.Count(a.path, "/") - strings.Count(b.path, "/") })
	var added, changed int
	for _, l := range locs {
		a, c, err := est.apply(ctx, l, l.row.fields["status"] != "")
		if err != nil {
			for field, msg := range crs.FieldErrors(err) {
				fmt.Fprintf(stderr, "%s:%d: column %s: %s\n", file, l.row.line, field, msg)
			}
			return fmt.Errorf("%s:%d: %s was not imported (%d added, %d changed before it): %s; the rows before it are in, so importing the file again carries on",
				file, l.row.line, l.path, added, changed, crs.ErrorMessage(err))
		}
		added, changed = added+a, changed+c
	}
	fmt.Fprintf(stdout, "%s: %d rows: %d added, %d changed, %d unchanged in %s (%s)\n", file, len(rows), added, changed, len(rows)-added-changed, org.ODSCode, org.Name)
	return nil
}

// estateRow is one data row of an estate CSV file.
type estateRow struct {
	line   int
	fields map[string]string
	err    crs.Errors
	loc    *estateLocation
}

// readLocationCSV reads an estate CSV file. A file that cannot be read as
// CSV at all, or whose header is wrong, is an error; a row with the wrong
// number of fields is a row error.
func readLocationCSV(file string) ([]*estateRow, error) {
	fh, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	r := csv.NewReader(fh)
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err == io.EOF {
		return nil, fmt.Errorf("%s:1: the file is empty: it needs a header row (%s)", file, strings.Join(locationColumns, ","))
	} else if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	cols := make([]string, len(header))
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if !slices.Contains(locationColumns, h) {
			return nil, fmt.Errorf("%s:1: column %s: not a column of an estate file; the columns are %s", file, h, strings.Join(locationColumns, ","))
		}
		if slices.Contains(cols[:i], h) {
			return nil, fmt.Errorf("%s:1: column %s: named twice", file, h)
		}
		cols[i] = h
	}
	for _, need := range []string{"kind", "code", "name"} {
		if !slices.Contains(cols, need) {
			return nil, fmt.Errorf("%s:1: column %s: the header row lacks it (the columns are %s)", file, need, strings.Join(locationColumns, ","))
		}
	}
	var rows []*estateRow
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, fmt.Errorf("%s:%d: %v", file, pe.Line, pe.Err)
			}
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		line, _ := r.FieldPos(0)
		row := &estateRow{line: line, fields: map[string]string{}}
		if len(rec) != len(cols) {
			row.err = crs.Errors{crs.Errorf(crs.EINVALID, "the row has %d fields; the header has %d", len(rec), len(cols))}
		} else {
			for i, v := range rec {
				row.fields[cols[i]] = strings.TrimSpace(v)
			}
		}
		rows = append(rows, row)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%s: the file has a header row but no locations", file)
	}
	return rows, nil
}

// estate is a trust's locations as they are in the database, by path.
type estate struct {
	db     *store.DB
	org    *crs.Organisation
	orgs   *store.OrganisationService
	actor  crs.Actor
	byPath map[string]*crs.Location
	wards  map[string]string // ward code → its path
}

// estateLocation is a location to add or bring up to date, with its path.
type estateLocation struct {
	*crs.Location
	path       string
	parentPath string
	row        *estateRow
}

// openEstate opens the database and reads the estate of the trust with
// the ODS code; the caller closes est.db.
func openEstate(ctx context.Context, dsn, ods string) (*estate, error) {
	db, org, err := openTrust(ctx, dsn, ods)
	if err != nil {
		return nil, err
	}
	e := &estate{db: db, org: org, orgs: store.NewOrganisationService(db), actor: crs.SystemActor(org.ID), byPath: map[string]*crs.Location{}, wards: map[string]string{}}
	locs, err := e.orgs.FindLocations(ctx, e.actor, "")
	if err != nil {
		db.Close()
		return nil, err
	}
	for _, root := range crs.LocationTree(locs) {
		root.Walk(func(n *crs.LocationNode) {
			e.byPath[n.Path] = n.Location
			if n.Kind == crs.LocationWard {
				e.wards[n.Code] = n.Path
			}
		})
	}
	return e, nil
}

// kindNames maps the kinds a person types to the kinds of location.
var kindNames = map[string]crs.LocationKind{"site": crs.LocationSite, "ward": crs.LocationWard, "bay": crs.LocationBay, "bed": crs.LocationBed,
	"room": crs.LocationClinicRoom, "clinic_room": crs.LocationClinicRoom, "ed": crs.LocationED}

// check reads one location (a row of fields named as the CSV columns)
// and checks it against the estate and, for an import, the file's other
// rows (inFile, by path), returning every problem found.
func (e *estate) check(fields map[string]string, inFile map[string]*estateRow) (*estateLocation, crs.Errors) {
	kind, ok := kindNames[strings.ToLower(fields["kind"])]
	if !ok {
		return nil, crs.Errors{crs.FieldErrorf("kind", "%q is not one of site, ward, bay, bed, room, ed", fields["kind"])}
	}
	l := &estateLocation{Location: &crs.Location{Kind: kind, Code: fields["code"], Name: fields["name"],
		Sex: crs.LocationSex(strings.ToLower(fields["sex"])), Specialty: fields["specialty"], EDType: fields["ed_type"],
		Status: crs.BedStatus(strings.ToLower(fields["status"]))}}
	if kind == crs.LocationBed && l.Status == "" {
		l.Status = crs.BedAvailable
	}
	l.parentPath = strings.Trim(fields["parent"], "/")
	l.path = l.Code
	if l.parentPath != "" {
		l.path = l.parentPath + "/" + l.Code
	}
	var es crs.Errors
	var parentKind crs.LocationKind
	var parentSex crs.LocationSex
	if l.parentPath != "" {
		if p := e.byPath[l.parentPath]; p != nil {
			l.ParentID, parentKind, parentSex = p.ID, p.Kind, p.Sex
		} else if r := inFile[l.parentPath]; r != nil {
			l.ParentID, parentKind = "new", kindNames[strings.ToLower(r.fields["kind"])]
			parentSex = crs.LocationSex(strings.ToLower(r.fields["sex"]))
		} else {
			where := "the trust"
			if inFile != nil {
				where += " or the file"
			}
			es = append(es, crs.FieldErrorf("parent", "no location %s in %s", l.parentPath, where))
		}
		if parentKind != "" && !slices.Contains(crs.ParentKinds(kind), parentKind) {
			es = append(es, crs.FieldErrorf("parent", "a %s cannot be within a %s (%s)", kind.Name(), parentKind.Name(), l.parentPath))
		}
	}
	if err := l.ValidateNew(parentKind); err != nil {
		for _, fe := range crs.FieldErrorList(err) {
			if fe.Field != "parent" || l.parentPath == "" {
				es = append(es, fe)
			}
		}
	}
	if kind == crs.LocationBay && parentSex != "" && parentSex != crs.SexMixed && l.Sex != "" && l.Sex != parentSex {
		es = append(es, crs.FieldErrorf("sex", "a bay of a %s ward must be %s too", parentSex, parentSex))
	}
	if old := e.byPath[l.path]; old != nil && old.Kind != kind {
		es = append(es, crs.FieldErrorf("kind", "%s is a %s already, not a %s", l.path, old.Kind.Name(), kind.Name()))
	}
	if kind == crs.LocationWard {
		if p, ok := e.wards[l.Code]; ok && p != l.path {
			es = append(es, crs.FieldErrorf("code", "the trust already has a ward with code %s, at %s", l.Code, p))
		}
		for path, r := range inFile {
			if path != l.path && r.fields["code"] == l.Code && kindNames[strings.ToLower(r.fields["kind"])] == crs.LocationWard {
				es = append(es, crs.FieldErrorf("code", "ward code %s is also on line %d", l.Code, r.line))
			}
		}
	}
	return l, es
}

// apply adds a checked location to the estate, or brings one already
// there up to date (its status only when setStatus), and reports which it
// did.
func (e *estate) apply(ctx context.Context, l *estateLocation, setStatus bool) (added, changed int, err error) {
	if l.parentPath != "" {
		l.ParentID = e.byPath[l.parentPath].ID
	}
	old := e.byPath[l.path]
	if old == nil {
		if err := e.orgs.CreateLocation(ctx, e.actor, l.Location); err != nil {
			return 0, 0, err
		}
		e.byPath[l.path] = l.Location
		return 1, 0, nil
	}
	next := *old
	next.Name, next.Sex, next.Specialty, next.EDType = l.Name, l.Sex, l.Specialty, l.EDType
	if setStatus {
		next.Status = l.Status
	}
	if next == *old {
		return 0, 0, nil
	}
	if err := e.orgs.UpdateLocation(ctx, e.actor, &next); err != nil {
		return 0, 0, err
	}
	e.byPath[l.path] = &next
	return 0, 1, nil
}
