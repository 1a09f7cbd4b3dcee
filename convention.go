package crs

import (
	"strings"
)

// What an inbound interface does with a message about a patient the
// trust does not know (Interface.UnknownPatient).
const (
	// UnknownPatientRegister registers the patient from the message's PID
	// and PD1, after the duplicate check: a likely duplicate of a patient
	// already known is held for a clerk to decide, never guessed.
	UnknownPatientRegister = "register"
	// UnknownPatientHold holds the message until the patient is known.
	UnknownPatientHold = "hold"
)

// NHSNumberOID is the ISO object identifier of the NHS number, which
// some senders give as the assigning authority of PID-3.
const NHSNumberOID = "2.16.840.1.113883.2.1.4.1"

// IDConvention is how a sender marks one kind of patient identifier among
// the repetitions of PID-3: by its assigning authority (CX-4, by name or
// universal id) and identifier type (CX-5). An empty part matches
// anything, so "NHS" alone is any identifier the NHS assigned and "^PI"
// any of type PI.
type IDConvention struct {
	Authority string `json:"authority,omitempty"`
	Type      string `json:"type,omitempty"`
}

// ParseIDConvention reads AUTHORITY^TYPE, AUTHORITY or ^TYPE, as given
// to `crs hl7 interface add --nhs-id` and `--local-id`.
func ParseIDConvention(s string) (IDConvention, error) {
	a, t, _ := strings.Cut(strings.TrimSpace(s), "^")
	c := IDConvention{Authority: strings.ToUpper(strings.TrimSpace(a)), Type: strings.ToUpper(strings.TrimSpace(t))}
	if c.Authority == "" && c.Type == "" {
		return c, Errorf(EINVALID, "identifier convention %q: write AUTHORITY^TYPE, AUTHORITY or ^TYPE (e.g. RX1^PI)", s)
	}
	if strings.Contains(c.Type, "^") {
		return c, Errorf(EINVALID, "identifier convention %q: write AUTHORITY^TYPE, with one ^", s)
	}
	return c, nil
}

// String writes the convention as AUTHORITY^TYPE.
func (c IDConvention) String() string {
	if c.Type == "" {
		return c.Authority
	}
	return c.Authority + "^" + c.Type
}

// Matches reports whether an identifier with the assigning authority
// names (CX-4.1 namespace and CX-4.2 universal id) and type (CX-5)
// follows the convention. Comparison ignores case.
func (c IDConvention) Matches(authorities []string, typ string) bool {
	if c.Type != "" && !strings.EqualFold(c.Type, typ) {
		return false
	}
	if c.Authority == "" {
		return true
	}
	for _, a := range authorities {
		if a != "" && strings.EqualFold(c.Authority, a) {
			return true
		}
	}
	return false
}

// nhsConventions are the NHS number conventions seen in UK feeds: the
// ITK ^^^NHS^NH, NHS^NHS, the NHSNBR^NHSNMBR alias pool and the NHS
// number OID as authority.
var nhsConventions = []IDConvention{
	{Type: "NH"}, {Authority: "NHS"}, {Authority: "NHSNBR"}, {Type: "NHSNMBR"}, {Authority: NHSNumberOID},
}

// IsNHSNumberID reports whether a PID-3 repetition with these assigning
// authority names and identifier type holds an NHS number, by the UK
// conventions every interface knows or the interface's own (extra).
func IsNHSNumberID(authorities []string, typ string, extra []IDConvention) bool {
	for _, c := range nhsConventions {
		if c.Matches(authorities, typ) {
			return true
		}
	}
	for _, c := range extra {
		if c.Matches(authorities, typ) {
			return true
		}
	}
	return false
}

// AcceptsReceiver reports whether the interface takes a message
// addressed (MSH-5 application, MSH-6 facility) as given, for the trust
// with the ODS code: an empty MSH-6, the ODS code, or one of its
// ReceivingFacilities in MSH-6 or MSH-5.
func (i *Interface) AcceptsReceiver(ods, app, facility string) bool {
	if facility == "" || strings.EqualFold(facility, ods) {
		return true
	}
	for _, v := range i.ReceivingFacilities {
		if strings.EqualFold(v, facility) || strings.EqualFold(v, app) {
			return true
		}
	}
	return false
}

// Sender is the interface's sender as `crs hl7` names it: MSH-3@MSH-4.
func (i *Interface) Sender() string { return i.SendingApplication + "@" + i.SendingFacility }

// FindInterface picks from a trust's interfaces the one a name gives:
// its name, or its sender as MSH-3@MSH-4. ENOTFOUND names the choices.
func FindInterface(is []*Interface, name string) (*Interface, error) {
	for _, i := range is {
		if i.Name == name {
			return i, nil
		}
	}
	for _, i := range is {
		if strings.EqualFold(i.Sender(), name) {
			return i, nil
		}
	}
	var names []string
	for _, i := range is {
		names = append(names, i.Name+" ("+i.Sender()+")")
	}
	if len(names) == 0 {
		return nil, Errorf(ENOTFOUND, "no inbound interface %q: the trust has none yet", name)
	}
	return nil, Errorf(ENOTFOUND, "no inbound interface %q; the trust has %s", name, strings.Join(names, ", "))
}
