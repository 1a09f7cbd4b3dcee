package crs

import (
	"context"
	"regexp"
	"strconv"
	"strings"
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

// Location is a place in the hospital where care happens: a site, ward,
// bed, clinic room. Locations form a tree through ParentID (a bed's parent
// is its ward, a ward's parent its site).
type Location struct {
	ID        string
	OrgID     string
	ParentID  string
	Kind      LocationKind
	Code      string // short code used on boards and in HL7 PV1-3, e.g. "WD10", "B03"
	Name      string
	Specialty string // main specialty for a ward (e.g. "300" general medicine)
	Active    bool
}

// Validate checks the location's fields.
func (l *Location) Validate() error {
	var es Errors
	switch l.Kind {
	case LocationSite, LocationWard, LocationBay, LocationBed, LocationClinicRoom, LocationED:
	default:
		es = append(es, FieldErrorf("kind", "location kind %q is not one of site, ward, bay, bed, clinic_room, ed", l.Kind))
	}
	if strings.TrimSpace(l.Code) == "" {
		es = append(es, FieldErrorf("code", "a location needs a code"))
	}
	if strings.TrimSpace(l.Name) == "" {
		es = append(es, FieldErrorf("name", "a location needs a name"))
	}
	if l.Kind != LocationSite && l.ParentID == "" {
		es = append(es, FieldErrorf("parent", "a %s must belong to a site or ward", l.Kind))
	}
	return es.Err()
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
	// CreateLocation adds a site, ward, bed or room to the actor's trust.
	CreateLocation(ctx context.Context, a Actor, l *Location) error
	// FindLocations lists the actor's trust's locations of one kind ("" for all).
	FindLocations(ctx context.Context, a Actor, kind LocationKind) ([]*Location, error)
}
