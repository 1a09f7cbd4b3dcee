package crs

import (
	"context"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/opencrs/crs/nhs"
)

// Organisation is an NHS trust (or other provider) identified by its ODS
// code. Every row in OpenCRS belongs to one organisation, and no request of
// one organisation can read another's rows.
type Organisation struct {
	ID        string
	ODSCode   string // e.g. "RXX"; Organisation Data Service code
	Name      string
	MRNPrefix string // letters put before hospital numbers this trust allocates
}

// FormatMRN writes the nth hospital number a trust allocates: its prefix,
// then the number with at least seven digits ("RXX" and 42 make
// "RXX0000042").
func FormatMRN(prefix string, n int64) string {
	var b [24]byte
	s := strconv.AppendInt(b[:0], n, 10)
	out := make([]byte, 0, len(prefix)+max(7, len(s)))
	out = append(out, prefix...)
	for k := len(s); k < 7; k++ {
		out = append(out, '0')
	}
	return string(append(out, s...))
}

// FirstMRN is the first hospital number the trust allocates, the example
// shown to clerks of what a hospital number of theirs looks like.
func (o *Organisation) FirstMRN() string { return FormatMRN(o.MRNPrefix, 1) }

var odsPattern = regexp.MustCompile(`^[A-Z0-9]{3,5}$`)

// Validate checks the organisation's identifying fields.
func (o *Organisation) Validate() error {
	var es Errors
	if !odsPattern.MatchString(o.ODSCode) {
		es = append(es, FieldErrorf("ods_code", "ODS code %q must be 3 to 5 capital letters or digits", o.ODSCode))
	}
	if strings.TrimSpace(o.Name) == "" {
		es = append(es, FieldErrorf("name", "an organisation needs a name"))
	}
	if !regexp.MustCompile(`^[A-Z]{0,3}$`).MatchString(o.MRNPrefix) {
		es = append(es, FieldErrorf("mrn_prefix", "hospital number prefix %q must be up to 3 capital letters", o.MRNPrefix))
	}
	es.addText("name", "the name", o.Name, MaxLineLength)
	return es.Err()
}

// LocationKind says what a location is.
type LocationKind string

// Kinds of location.
const (
	LocationSite       LocationKind = "site"        // a hospital site
	LocationWard       LocationKind = "ward"        // an inpatient ward on a site
	LocationBay        LocationKind = "bay"         // a bay or side room within a ward
	LocationBed        LocationKind = "bed"         // one bed within a ward or bay
	LocationClinicRoom LocationKind = "clinic_room" // an outpatient clinic room
	LocationED         LocationKind = "ed"          // an emergency department area
)

// LocationSex says whom a ward or bay takes, so that patients are not
// placed in mixed-sex accommodation by accident (NHS same-sex
// accommodation guidance).
type LocationSex string

// The sexes of a ward or bay.
const (
	SexMale   LocationSex = "male"   // men only
	SexFemale LocationSex = "female" // women only
	SexMixed  LocationSex = "mixed"  // men and women, in single-sex bays or side rooms
)

// BedStatus says whether a bed can take a patient now.
type BedStatus string

// The statuses of a bed.
const (
	BedAvailable BedStatus = "available"  // open: free beds are offered for admission
	BedClosed    BedStatus = "closed"     // closed, e.g. for lack of staff or infection control
	BedOutOfUse  BedStatus = "out_of_use" // out of use for a while, e.g. for cleaning or repair
)

// LocationSexes lists the sexes a ward or bay can take, for pick lists.
var LocationSexes = []nhs.Code{{Code: string(SexMale), Description: "Male"}, {Code: string(SexFemale), Description: "Female"}, {Code: string(SexMixed), Description: "Mixed"}}

// BedStatuses lists the statuses of a bed, for pick lists.
var BedStatuses = []nhs.Code{{Code: string(BedAvailable), Description: "Available"}, {Code: string(BedClosed), Description: "Closed"},
	{Code: string(BedOutOfUse), Description: "Out of use"}}

// Location is a place in the hospital where care happens: a site, ward,
// bay, bed, clinic room or emergency department. Locations form a tree
// through ParentID: a ward, clinic room or emergency department is on a
// site, a bay in a ward, a bed in a ward or one of its bays; a clinic room
// may be within an outpatients department (another clinic room) and an
// emergency department area (resus, majors) within its department.
type Location struct {
	ID        string
	OrgID     string
	ParentID  string
	Kind      LocationKind
	Code      string // short code used on boards and in HL7 PV1-3, e.g. "WD10", "B03"
	Name      string
	Specialty string      // a ward's ACTIVITY TREATMENT FUNCTION CODE (e.g. "300" general medicine)
	Sex       LocationSex // whom a ward or bay takes; "" when not recorded (locations made before it was)
	Status    BedStatus   // a bed's status; "" for anything but a bed
	EDType    string      // an emergency department's EMERGENCY CARE DEPARTMENT TYPE (nhs.EDDepartmentTypes)
	Active    bool
}

var locationCodePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,19}$`)

// Validate checks the location's fields: its kind, a code that can be
// carried in HL7 PV1-3 and named in a parent path (letters, digits, dot,
// hyphen, underscore; no spaces or slashes), its name, and the fields
// that belong to its kind only (sex of a ward or bay, specialty of a
// ward, status of a bed, type of an emergency department).
func (l *Location) Validate() error {
	var es Errors
	switch l.Kind {
	case LocationSite, LocationWard, LocationBay, LocationBed, LocationClinicRoom, LocationED:
	default:
		es = append(es, FieldErrorf("kind", "location kind %q is not one of site, ward, bay, bed, clinic_room, ed", l.Kind))
	}
	if strings.TrimSpace(l.Code) == "" {
		es = append(es, FieldErrorf("code", "a location needs a code"))
	} else if !locationCodePattern.MatchString(l.Code) {
		es = append(es, FieldErrorf("code", "code %q must be 1 to 20 letters, digits, dots, hyphens or underscores, starting with a letter or digit (no spaces or slashes)", l.Code))
	}
	if strings.TrimSpace(l.Name) == "" {
		es = append(es, FieldErrorf("name", "a location needs a name"))
	} else if len(l.Name) > 80 {
		es = append(es, FieldErrorf("name", "a location's name must be at most 80 characters"))
	}
	if l.Kind == LocationSite && l.ParentID != "" {
		es = append(es, FieldErrorf("parent", "a site is not within another location"))
	} else if l.Kind != LocationSite && l.ParentID == "" {
		es = append(es, FieldErrorf("parent", "a %s must belong to %s", l.Kind, parentKindsText(l.Kind)))
	}
	switch {
	case l.Kind != LocationWard && l.Kind != LocationBay && l.Sex != "":
		es = append(es, FieldErrorf("sex", "only a ward or bay has a sex"))
	case l.Sex != "" && l.Sex != SexMale && l.Sex != SexFemale && l.Sex != SexMixed:
		es = append(es, FieldErrorf("sex", "sex %q is not one of male, female, mixed", l.Sex))
	}
	if l.Specialty != "" {
		if l.Kind != LocationWard {
			es = append(es, FieldErrorf("specialty", "only a ward has a specialty"))
		} else if _, ok := nhs.Lookup(nhs.TreatmentFunctions, l.Specialty); !ok {
			es = append(es, FieldErrorf("specialty", "specialty %q is not a treatment function code", l.Specialty))
		}
	}
	switch {
	case l.Kind == LocationBed && l.Status != BedAvailable && l.Status != BedClosed && l.Status != BedOutOfUse:
		es = append(es, FieldErrorf("status", "bed status %q is not one of available, closed, out_of_use", l.Status))
	case l.Kind != LocationBed && l.Status != "":
		es = append(es, FieldErrorf("status", "only a bed has a status"))
	}
	if l.EDType != "" {
		if l.Kind != LocationED {
			es = append(es, FieldErrorf("ed_type", "only an emergency department has a department type"))
		} else if err := nhs.CheckEDDepartmentType(l.EDType); err != nil {
			es = append(es, FieldErrorf("ed_type", "%v", err))
		}
	}
	es.addText("name", "the name", l.Name, MaxLineLength)
	return es.Err()
}

// ValidateNew checks a location a person is setting up now: besides
// Validate, a ward or bay must say whom it takes, a ward its specialty,
// and an emergency department on a site its department type. (Locations
// made before these were recorded, and the areas within a department,
// leave them empty.)
func (l *Location) ValidateNew(parentKind LocationKind) error {
	var es Errors
	if err := l.Validate(); err != nil {
		es = append(es, FieldErrorList(err)...)
	}
	has := func(f string) bool { return HasFieldError(es, f) }
	if (l.Kind == LocationWard || l.Kind == LocationBay) && l.Sex == "" && !has("sex") {
		es = append(es, FieldErrorf("sex", "say whom the %s takes: male, female or mixed", l.Kind))
	}
	if l.Kind == LocationWard && l.Specialty == "" && !has("specialty") {
		es = append(es, FieldErrorf("specialty", "choose the ward's specialty (treatment function)"))
	}
	if l.Kind == LocationED && parentKind == LocationSite && l.EDType == "" && !has("ed_type") {
		es = append(es, FieldErrorf("ed_type", "choose the department's type"))
	}
	return es.Err()
}

// ParentKinds lists the kinds of location a location of kind k may be
// within.
func ParentKinds(k LocationKind) []LocationKind {
	switch k {
	case LocationWard:
		return []LocationKind{LocationSite}
	case LocationBay:
		return []LocationKind{LocationWard}
	case LocationBed:
		return []LocationKind{LocationWard, LocationBay}
	case LocationClinicRoom:
		return []LocationKind{LocationSite, LocationClinicRoom}
	case LocationED:
		return []LocationKind{LocationSite, LocationED}
	}
	return nil
}

// parentKindsText names the kinds a location of kind k may be within.
func parentKindsText(k LocationKind) string {
	var names []string
	for _, p := range ParentKinds(k) {
		names = append(names, "a "+p.Name())
	}
	if len(names) == 0 {
		return "a site"
	}
	return strings.Join(names, " or ")
}

// Name says what a kind of location is in words.
func (k LocationKind) Name() string {
	switch k {
	case LocationClinicRoom:
		return "clinic room"
	case LocationED:
		return "emergency department"
	}
	return string(k)
}

// LocationNode is a location in the trust's estate tree, with the
// locations within it.
type LocationNode struct {
	*Location
	Path     string // the codes from the site down, e.g. "MAIN/WD10/BAYA"
	Depth    int    // 0 for a site
	Children []*LocationNode
}

// kindOrder is the order of kinds within a parent in the tree.
var kindOrder = map[LocationKind]int{LocationSite: 0, LocationWard: 1, LocationBay: 2, LocationBed: 3, LocationClinicRoom: 4, LocationED: 5}

// LocationTree arranges a trust's locations as its estate: sites, then
// within each its wards (their bays and beds), clinic rooms and emergency
// departments, each level in order of kind then code. A location whose
// parent is missing from locs is shown at the top, so nothing is hidden.
func LocationTree(locs []*Location) []*LocationNode {
	nodes := make(map[string]*LocationNode, len(locs))
	for _, l := range locs {
		nodes[l.ID] = &LocationNode{Location: l}
	}
	var roots []*LocationNode
	for _, l := range locs {
		n := nodes[l.ID]
		if p := nodes[l.ParentID]; p != nil && l.ParentID != "" {
			p.Children = append(p.Children, n)
		} else {
			roots = append(roots, n)
		}
	}
	var walk func(ns []*LocationNode, path string, depth int)
	walk = func(ns []*LocationNode, path string, depth int) {
		slices.SortFunc(ns, func(a, b *LocationNode) int {
			if d := kindOrder[a.Kind] - kindOrder[b.Kind]; d != 0 {
				return d
			}
			return strings.Compare(a.Code, b.Code)
		})
		for _, n := range ns {
			n.Path, n.Depth = path+n.Code, depth
			walk(n.Children, n.Path+"/", depth+1)
		}
	}
	walk(roots, "", 0)
	return roots
}

// Walk calls f for the node and every node within it, parents first.
func (n *LocationNode) Walk(f func(*LocationNode)) {
	f(n)
	for _, c := range n.Children {
		c.Walk(f)
	}
}

// OrganisationService manages trusts and their places.
type OrganisationService interface {
	// CreateOrganisation adds a trust. Only a system actor may do it.
	CreateOrganisation(ctx context.Context, a Actor, o *Organisation) error
	// FindOrganisation returns the actor's own organisation.
	FindOrganisation(ctx context.Context, a Actor) (*Organisation, error)
	// FindOrganisationByODS returns an organisation by ODS code. Only a
	// system actor may look across organisations.
	FindOrganisationByODS(ctx context.Context, a Actor, ods string) (*Organisation, error)
	// CreateLocation adds a site, ward, bay, bed, clinic room or emergency
	// department to the actor's trust. A bed with no status is available.
	CreateLocation(ctx context.Context, a Actor, l *Location) error
	// UpdateLocation changes a location's name, sex, specialty, bed status
	// or department type; its kind, code and place in the tree stay. An
	// occupied bed cannot be closed or put out of use.
	UpdateLocation(ctx context.Context, a Actor, l *Location) error
	// FindLocations lists the actor's trust's locations of one kind ("" for all).
	FindLocations(ctx context.Context, a Actor, kind LocationKind) ([]*Location, error)
	// FindLocationsByID returns the actor's trust's locations with the ids
	// given, by id, so that a page can name the few wards and beds it
	// shows; an id of no location of the trust is left out.
	FindLocationsByID(ctx context.Context, a Actor, ids []string) (map[string]*Location, error)
	// ListGPPractices lists the GP practices the trust knows, by ODS code
	// after after ("" from the first), at most limit: those it keeps
	// (migrated from the legacy PAS, with name and postcode) and those
	// its patients are registered with (the name their records give).
	// more says whether any follow.
	ListGPPractices(ctx context.Context, a Actor, after string, limit int) (ps []GPPractice, more bool, err error)
}
