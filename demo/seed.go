// Package demo fills a database with synthetic data to show OpenCRS
// working: two fictional trusts, each with hospital sites, wards, bays,
// beds, clinic rooms and an emergency department, a member of staff in
// every role, and a patient index of generated patients. Nothing in it
// describes a real person.
package demo

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/opencrs/crs"
)

// Password is the password of every demo user.
const Password = "demo-password"

// Options say how much demo data to make.
type Options struct {
	// Patients is how many patients each trust gets; 0 means 10,000.
	Patients int
	// Seed chooses the generated patients: the same seed gives the same
	// patients.
	Seed int64
	// Logger reports each step; nil means slog.Default().
	Logger *slog.Logger
	// Progress, if set, is told how many patients of both trusts are
	// registered so far.
	Progress func(done, total int)
	// Say, if set, is told in a sentence for the console when Seed
	// finishes what an earlier run left part way.
	Say func(msg string)
}

// Services are what the demo seeds a deployment through: the same
// services and write path as every other edge, so each trust, place,
// user and patient is checked, validated, and has its event and audit
// record.
type Services struct {
	Organisations crs.OrganisationService
	Users         crs.UserService
	Patients      crs.BulkLoader
	Clock         crs.Clock
	// Access gives the demo staff their wards, specialties and A&E, so
	// they have legitimate relationships; nil leaves them with none.
	Access crs.AccessService
}

// Result says what the demo data holds and how to log in to it.
type Result struct {
	Trusts   []*TrustResult
	Password string
	Elapsed  time.Duration
}

// TrustResult is one demo trust as Seed left it.
type TrustResult struct {
	Org *crs.Organisation
	// Created is false when the trust was already there and reused.
	Created bool
	// Locations counts the trust's sites, wards, bays, beds, clinic rooms
	// and emergency department areas.
	Locations int
	Users     []*crs.User
	// Access says, by username, where the user works and the roles they
	// choose from at login (see seedAccess).
	Access map[string]string
	// Patients is how many patients the trust's index holds, and Added
	// how many of them this run registered.
	Patients, Added int
	// Found is how many patients an earlier run had registered when this
	// run registered the rest; 0 when it found none or enough.
	Found int
	// Duplicates are the deliberate duplicate registrations this run
	// made, for trying duplicate detection and merge. An original an
	// earlier run registered has no ID here.
	Duplicates []Duplicate
}

// WriteTo writes what a user needs to start: each trust and its users,
// and the password.
func (r *Result) WriteTo(w io.Writer) (int64, error) {
	var b strings.Builder
	for _, t := range r.Trusts {
		state := "created"
		switch {
		case t.Found > 0:
			state = fmt.Sprintf("completed (%d patients were there)", t.Found)
		case !t.Created:
			state = "already there"
		}
		fmt.Fprintf(&b, "%s (%s), %s: %s, %s", t.Org.Name, t.Org.ODSCode, state, crs.Count(t.Locations, "location", "locations"), crs.Count(t.Patients, "patient", "patients"))
		if t.Added > 0 {
			fmt.Fprintf(&b, " (%d added, %s among them)", t.Added, crs.Count(len(t.Duplicates), "likely duplicate", "likely duplicates"))
		}
		b.WriteString("\n")
		for _, u := range t.Users {
			what := u.Role.Name()
			if !u.Role.PersonRole() {
				what += " (a system: cannot log in to the web)"
			}
			if a := t.Access[u.Username]; a != "" {
				what += ": " + a
			}
			fmt.Fprintf(&b, "  %-28s %s\n", u.Username, what)
		}
	}
	fmt.Fprintf(&b, "Every demo user's password is %q.\n", r.Password)
	n, err := io.WriteString(w, b.String())
	return int64(n), err
}

// trustSpec describes a demo trust.
type trustSpec struct {
	ods, name, prefix, userSuffix string
	area                          *Area
	sites                         []siteSpec
}

type siteSpec struct {
	code, name string
	wards      []wardSpec
	clinics    int
	ed         bool
}

type wardSpec struct {
	code, name, specialty string
	bays, bedsPerBay      int
	sideRooms             int
}

// ODS codes of the demo trusts. The names are fictional.
const (
	NorthgateODS = "ZXN"
	RiversideODS = "ZXW"
)

var trusts = []trustSpec{
	{
		ods: NorthgateODS, name: "Northgate University Hospitals NHS Trust", prefix: "N", userSuffix: "zxn", area: EastLondon,
		sites: []siteSpec{
			{code: "NGH", name: "Northgate Hospital", clinics: 10, ed: true, wards: []wardSpec{
				{"WD10", "Alder Ward", "300", 4, 6, 2}, {"WD11", "Beech Ward", "300", 4, 6, 2},
				{"WD12", "Cedar Ward", "430", 4, 6, 4}, {"WD14", "Damson Ward", "320", 3, 6, 4},
				{"WD15", "Elm Ward", "340", 4, 6, 2}, {"WD20", "Fir Ward", "100", 4, 5, 4},
				{"WD21", "Hazel Ward", "110", 4, 6, 2}, {"WD30", "Juniper Ward", "501", 3, 6, 6},
				{"WD31", "Larch Ward", "420", 3, 6, 6}, {"ICU", "Critical Care Unit", "192", 2, 8, 4},
			}},
			{code: "FLH", name: "Forest Lane Hospital", clinics: 8, wards: []wardSpec{
				{"WD40", "Maple Ward", "430", 4, 6, 2}, {"WD41", "Oak Ward", "430", 4, 6, 2},
				{"WD42", "Poplar Ward", "100", 4, 6, 2}, {"WD43", "Rowan Ward", "110", 4, 6, 2},
				{"WD44", "Sycamore Ward", "300", 4, 6, 2}, {"WD45", "Willow Ward", "301", 4, 5, 4},
				{"WD46", "Yew Ward", "340", 3, 6, 4}, {"WD47", "Holly Ward", "430", 4, 6, 2},
			}},
		},
	},
	{
		ods: RiversideODS, name: "Riverside and Weald NHS Foundation Trust", prefix: "W", userSuffix: "zxw", area: KentAndSussex,
		sites: []siteSpec{
			{code: "RGH", name: "Riverside General Hospital", clinics: 10, ed: true, wards: []wardSpec{
				{"WD01", "Medway Ward", "300", 4, 6, 2}, {"WD02", "Darent Ward", "300", 4, 6, 2},
				{"WD03", "Stour Ward", "430", 4, 6, 4}, {"WD04", "Rother Ward", "320", 3, 6, 4},
				{"WD05", "Eden Ward", "340", 4, 6, 2}, {"WD06", "Teise Ward", "100", 4, 5, 4},
				{"WD07", "Len Ward", "110", 4, 6, 2}, {"WD08", "Ouse Ward", "501", 3, 6, 6},
				{"WD09", "Cuckmere Ward", "420", 3, 6, 6}, {"CCU", "Critical Care Unit", "192", 2, 8, 4},
				{"WD12", "Arun Ward", "430", 4, 6, 2},
			}},
			{code: "WCH", name: "Weald Community Hospital", clinics: 6, wards: []wardSpec{
				{"WD20", "Ashdown Ward", "430", 4, 6, 2}, {"WD21", "Bewl Ward", "430", 4, 5, 2},
				{"WD22", "Bedgebury Ward", "110", 4, 6, 2}, {"WD23", "Chiddingstone Ward", "300", 4, 6, 2},
				{"WD24", "Scotney Ward", "100", 3, 6, 4}, {"WD25", "Sissinghurst Ward", "430", 4, 6, 2},
				{"WD26", "Pevensey Ward", "340", 3, 6, 4}, {"WD27", "Bodiam Ward", "300", 4, 6, 2},
			}},
		},
	},
}

// usernames gives each role the first part of its demo username.
var usernames = map[crs.Role]string{
	crs.RoleClerk: "clerk", crs.RoleNurse: "nurse", crs.RoleDoctor: "doctor", crs.RoleAnalyst: "analyst",
	crs.RoleInterfaceAnalyst: "interface-analyst", crs.RoleInterface: "interface", crs.RolePrivacyOfficer: "privacy",
	crs.RoleAdmin: "admin", crs.RoleCoder: "coder",
}

// staffNames are the demo users' names, one per role.
var staffNames = map[crs.Role]string{
	crs.RoleClerk: "Sam Clerk (demo)", crs.RoleNurse: "Nia Nurse (demo)", crs.RoleDoctor: "Dev Doctor (demo)",
	crs.RoleAnalyst: "Ana Analyst (demo)", crs.RoleInterfaceAnalyst: "Ira Integration (demo)",
	crs.RoleInterface: "Interface engine (demo)", crs.RolePrivacyOfficer: "Pat Privacy (demo)", crs.RoleAdmin: "Alex Admin (demo)",
	crs.RoleCoder: "Cory Coder (demo)",
}

// Seed creates the demo trusts, their places, users and patients, or
// reuses what an earlier run made: an organisation, location or user
// that exists is kept, and a trust that has fewer patients than asked
// for (an earlier run stopped part way, or asked for fewer) gets the
// rest of them, the same patients a first run would have registered
// after those it finds; one that has enough gets no more. Running it
// twice on one database therefore changes nothing the second time.
func Seed(ctx context.Context, svc Services, opts Options) (*Result, error) {
	start := time.Now()
	if opts.Patients <= 0 {
		opts.Patients = 10_000
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	today := crs.DateOf(svc.Clock.Now())
	res := &Result{Password: Password}
	total := opts.Patients * len(trusts)
	for i, spec := range trusts {
		tr, err := seedTrust(ctx, svc, spec, log)
		if err != nil {
			return nil, err
		}
		res.Trusts = append(res.Trusts, tr)
		have, err := svc.Patients.CountPatients(ctx, tr.Org.ID)
		if err != nil {
			return nil, fmt.Errorf("count patients: %w", err)
		}
		tr.Patients = have
		if have >= opts.Patients {
			log.Info("demo trust already has its patients", "ods", spec.ods, "patients", have)
			continue
		}
		ps, pairs := trustPatients(i, opts.Seed, opts.Patients, today)
		if have > 0 {
			tr.Found = have
			log.Info("demo trust has part of its patients; registering the rest", "ods", spec.ods, "patients", have, "want", opts.Patients)
			if opts.Say != nil {
				opts.Say(fmt.Sprintf("%s: found %s of %s patients from an earlier run that stopped part way (or asked for fewer); registering the remaining %s",
					spec.ods, thousands(have), thousands(opts.Patients), thousands(opts.Patients-have)))
			}
		}
		done := i*opts.Patients + have
		n, err := svc.Patients.LoadPatients(ctx, crs.SystemActor(tr.Org.ID), ps[have:], crs.LoadOptions{Progress: func(d, _ int) {
			if opts.Progress != nil {
				opts.Progress(done+d, total)
			}
		}})
		tr.Patients, tr.Added = have+n, n
		if err != nil {
			return nil, fmt.Errorf("register demo patients of %s: %w", spec.ods, err)
		}
		added := map[*crs.Patient]bool{}
		for _, p := range ps[have:] {
			added[p] = true
		}
		for _, d := range pairs {
			if added[d.Duplicate] {
				tr.Duplicates = append(tr.Duplicates, d)
			}
		}
		log.Info("demo patients registered", "ods", spec.ods, "patients", tr.Patients, "added", n, "duplicates", len(tr.Duplicates))
	}
	res.Elapsed = time.Since(start)
	return res, nil
}

// TrustPatients draws the patients Seed registers at the demo trust with
// the ODS code (NorthgateODS or RiversideODS) from the seed, n of them
// aged as on today, in the order Seed registers them, and the deliberate
// duplicates among them. It needs no database.
func TrustPatients(ods string, seed int64, n int, today crs.Date) ([]*crs.Patient, []Duplicate, error) {
	for i, spec := range trusts {
		if spec.ods == ods {
			ps, pairs := trustPatients(i, seed, n, today)
			return ps, pairs, nil
		}
	}
	return nil, nil, crs.Errorf(crs.ENOTFOUND, "no demo trust has ODS code %q", ods)
}

// trustPatients draws the patients of the i-th demo trust. Each trust has
// a generator of its own and its own part of the NHS number test range,
// so its patients do not depend on whether another trust's were drawn.
func trustPatients(i int, seed int64, n int, today crs.Date) ([]*crs.Patient, []Duplicate) {
	gen := NewGenerator(seed)
	gen.Area, gen.Today = trusts[i].area, today
	gen.NHSPart(i, len(trusts))
	ps := make([]*crs.Patient, n)
	for k := range ps {
		ps[k] = gen.Patient()
	}
	return ps, gen.Duplicates()
}

// thousands writes n with commas between thousands, as 10,000.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// seedTrust makes (or finds) the organisation, its locations and users.
func seedTrust(ctx context.Context, svc Services, spec trustSpec, log *slog.Logger) (*TrustResult, error) {
	orgs := svc.Organisations
	tr := &TrustResult{}
	org, err := orgs.FindOrganisationByODS(ctx, crs.SystemActor(""), spec.ods)
	switch crs.ErrorCode(err) {
	case "":
	case crs.ENOTFOUND:
		org = &crs.Organisation{ODSCode: spec.ods, Name: spec.name, MRNPrefix: spec.prefix}
		if err := orgs.CreateOrganisation(ctx, crs.SystemActor(""), org); err != nil {
			return nil, fmt.Errorf("create demo trust %s: %w", spec.ods, err)
		}
		tr.Created = true
		log.Info("demo trust created", "ods", spec.ods, "org", org.ID)
	default:
		return nil, err
	}
	tr.Org = org
	sys := crs.SystemActor(org.ID)
	if tr.Locations, err = seedLocations(ctx, orgs, sys, spec); err != nil {
		return nil, fmt.Errorf("demo locations of %s: %w", spec.ods, err)
	}
	if tr.Users, err = seedUsers(ctx, svc.Users, sys, spec); err != nil {
		return nil, fmt.Errorf("demo users of %s: %w", spec.ods, err)
	}
	if svc.Access != nil {
		if err := seedAccess(ctx, svc, sys, spec, tr); err != nil {
			return nil, fmt.Errorf("demo staff access of %s: %w", spec.ods, err)
		}
	}
	return tr, nil
}

// seedLocations creates the trust's location tree, level by level, each
// level's locations at once so the write path commits them together. A
// location already there (same parent and code) is kept.
func seedLocations(ctx context.Context, orgs crs.OrganisationService, sys crs.Actor, spec trustSpec) (int, error) {
	existing, err := orgs.FindLocations(ctx, sys, "")
	if err != nil {
		return 0, err
	}
	have := map[[2]string]*crs.Location{}
	for _, l := range existing {
		have[[2]string{l.ParentID, l.Code}] = l
	}
	// node is a location to make, with its children.
	type node struct {
		loc      *crs.Location
		children []*node
	}
	var roots []*node
	for _, s := range spec.sites {
		site := &node{loc: &crs.Location{Kind: crs.LocationSite, Code: s.code, Name: s.name}}
		roots = append(roots, site)
		for _, w := range s.wards {
			ward := &node{loc: &crs.Location{Kind: crs.LocationWard, Code: w.code, Name: w.name, Specialty: w.specialty}}
			site.children = append(site.children, ward)
			bed := 0
			for b := 1; b <= w.bays+w.sideRooms; b++ {
				bay := &node{loc: &crs.Location{Kind: crs.LocationBay, Code: "BAY" + strconv.Itoa(b), Name: w.name + " bay " + strconv.Itoa(b)}}
				beds := w.bedsPerBay
				if b > w.bays {
					bay.loc.Code, bay.loc.Name, beds = "SR"+strconv.Itoa(b-w.bays), w.name+" side room "+strconv.Itoa(b-w.bays), 1
				}
				ward.children = append(ward.children, bay)
				for k := 0; k < beds; k++ {
					bed++
					code := "B" + pad(bed, 2)
					bay.children = append(bay.children, &node{loc: &crs.Location{Kind: crs.LocationBed, Code: code, Name: w.name + " bed " + code[1:]}})
				}
			}
		}
		opd := &node{loc: &crs.Location{Kind: crs.LocationClinicRoom, Code: "OPD", Name: s.name + " outpatients"}}
		site.children = append(site.children, opd)
		for c := 1; c <= s.clinics; c++ {
			code := "CR" + pad(c, 2)
			opd.children = append(opd.children, &node{loc: &crs.Location{Kind: crs.LocationClinicRoom, Code: code, Name: s.name + " clinic room " + strconv.Itoa(c)}})
		}
		if s.ed {
			ed := &node{loc: &crs.Location{Kind: crs.LocationED, Code: "ED", Name: s.name + " emergency department"}}
			site.children = append(site.children, ed)
			for _, a := range [][2]string{{"RESUS", "Resus"}, {"MAJ", "Majors"}, {"MIN", "Minors"}, {"PAED", "Paediatric ED"}, {"UTC", "Urgent treatment centre"}} {
				ed.children = append(ed.children, &node{loc: &crs.Location{Kind: crs.LocationED, Code: a[0], Name: s.name + " " + a[1]}})
			}
		}
	}
	count := 0
	level := roots
	for len(level) > 0 {
		var next []*node
		var wg sync.WaitGroup
		errs := make([]error, len(level))
		for i, n := range level {
			count++
			next = append(next, n.children...)
			if l, ok := have[[2]string{n.loc.ParentID, n.loc.Code}]; ok {
				n.loc = l
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = orgs.CreateLocation(ctx, sys, n.loc)
			}()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				return 0, err
			}
		}
		for _, n := range level {
			for _, c := range n.children {
				c.loc.ParentID = n.loc.ID
			}
		}
		level = next
	}
	return count, nil
}

// seedUsers creates a user of every role, named role.suffix, unless one
// of that name is there.
func seedUsers(ctx context.Context, us crs.UserService, sys crs.Actor, spec trustSpec) ([]*crs.User, error) {
	existing, err := us.FindUsers(ctx, sys)
	if err != nil {
		return nil, err
	}
	have := map[string]*crs.User{}
	for _, u := range existing {
		have[u.Username] = u
	}
	roles := crs.Roles()
	out := make([]*crs.User, len(roles))
	errs := make([]error, len(roles))
	var wg sync.WaitGroup
	for i, r := range roles {
		name := usernames[r] + "." + spec.userSuffix
		if u, ok := have[name]; ok {
			out[i] = u
			continue
		}
		out[i] = &crs.User{Username: name, Name: staffNames[r], Role: r}
		wg.Add(1)
		go func() { // hashing a password takes a while; do them together
			defer wg.Done()
			errs[i] = us.CreateUser(ctx, sys, out[i], Password)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// seedAccess gives the demo staff legitimate relationships: the doctor
// works on the trust's first ward, in its specialty and in A&E; the nurse
// on the first ward and in A&E. A duty manager holds two roles (nurse and
// ward clerk) and chooses one at login. Assignments already there are
// kept, so a second run adds none.
func seedAccess(ctx context.Context, svc Services, sys crs.Actor, spec trustSpec, tr *TrustResult) error {
	ward := spec.sites[0].wards[0]
	plan := map[crs.Role][]crs.Assignment{
		crs.RoleDoctor: {{Kind: crs.AssignWard, Value: ward.code}, {Kind: crs.AssignSpecialty, Value: ward.specialty}, {Kind: crs.AssignDepartment, Value: "ED"}},
		crs.RoleNurse:  {{Kind: crs.AssignWard, Value: ward.code}, {Kind: crs.AssignDepartment, Value: "ED"}},
	}
	duty := "duty." + spec.userSuffix
	found := false
	for _, u := range tr.Users {
		found = found || u.Username == duty
	}
	if !found {
		u := &crs.User{Username: duty, Name: "Dana Duty (demo)", Role: crs.RoleNurse, Roles: []crs.Role{crs.RoleClerk}}
		if existing, err := svc.Users.FindUserByUsername(ctx, sys, duty); err == nil {
			u = existing
		} else if err := svc.Users.CreateUser(ctx, sys, u, Password); err != nil {
			return err
		}
		tr.Users = append(tr.Users, u)
	}
	plan[crs.Role("duty")] = plan[crs.RoleNurse]
	tr.Access = map[string]string{duty: "chooses Nurse or Receptionist / clerk at login"}
	from := crs.LocalDate(svc.Clock.Now()).AddDate(0, 0, -1)
	for _, u := range tr.Users {
		want := plan[u.Role]
		if u.Username == duty {
			want = plan[crs.Role("duty")]
		}
		if len(want) == 0 {
			continue
		}
		have, err := svc.Access.Assignments(ctx, sys, u.ID)
		if err != nil {
			return err
		}
		var where []string
		for _, as := range want {
			where = append(where, string(as.Kind)+" "+as.Value)
			if len(have) > 0 {
				continue
			}
			as.UserID, as.StartsOn = u.ID, crs.Date{Time: from}
			if err := svc.Access.Assign(ctx, sys, &as); err != nil {
				return err
			}
		}
		note := "sees the patients of " + strings.Join(where, ", ")
		if tr.Access[u.Username] != "" {
			note = tr.Access[u.Username] + "; " + note
		}
		tr.Access[u.Username] = note
	}
	return nil
}
