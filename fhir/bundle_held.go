package fhir

import (
	"cmp"
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/opencrs/crs"
)

// heldCreate is an entry of a transaction that creates one of the PAS's
// records through the PAS's own command, inside the transaction's one
// command: a referral (ServiceRequest of category referral), an
// admission (Encounter of class IMP of this trust) or a booking
// (Appointment), recorded as POSTed by itself, with its event, pathway,
// worklist, bed and HL7 message, and undone with the rest when another
// entry fails. So a Patient, its referral and its first appointment, or
// a Patient and the admission its Observations are about, are sent as
// one Bundle, the references between them resolved (a urn:uuid, a
// conditional reference). Its id is made before the command (the served
// id, with the record's prefix) so that entries referring to its fullUrl
// name it; it is applied after the other creates of the transaction, so
// that the patient it names is registered first, and its referrals
// before its bookings.
type heldCreate struct {
	prefix string // of the served id: prefixReferral, prefixSpell; "" for an Appointment
	// rank orders the transaction's creates of the PAS's records: its
	// referrals, then its admissions, then its bookings (of its referrals).
	rank int
	// sentChecks says whether the resource is checked as one the API is
	// sent (checkSent); a referral's and an admission's are the PAS's.
	sentChecks bool
	// find is a conditional create's search for the record it names
	// (a referral's UBRN): its id, or ENOTFOUND; nil when the record
	// takes no conditional create.
	find func(tx crs.Tx) (string, error)
	// apply records the entry's resource, as e.newID, within the
	// command, its references resolved.
	apply func(tx crs.Tx, e *txEntry) error
	// read reads the record as served, once the command has committed.
	read func(ctx context.Context, id string) (*crs.Resource, error)
}

// heldCreateOf is how a transaction's entry creates one of the PAS's
// records, or nil when it creates none.
func (s *Server) heldCreateOf(r *http.Request, p *Principal, te *txEntry) (*heldCreate, error) {
	if te.method != http.MethodPost || te.resource == nil {
		return nil, nil
	}
	res := te.resource
	var h *heldCreate
	switch {
	case isReferral(res) && s.referralsWritable():
		var ubrn string
		if te.criteria != "" {
			var err error
			if ubrn, err = ubrnCriteria(te.criteria, "Bundle.entry["+strconv.Itoa(te.index)+"].request.ifNoneExist"); err != nil {
				return nil, err
			}
		}
		h = &heldCreate{prefix: prefixReferral,
			read: func(ctx context.Context, id string) (*crs.Resource, error) { return readReferral(s, ctx, p, id) },
			apply: func(tx crs.Tx, e *txEntry) error {
				rf, err := s.referralOf(e.resource)
				if err != nil {
					return err
				}
				if ubrn != "" {
					if rf.UBRN != "" && rf.UBRN != ubrn {
						return invalid("invalid", "Bundle.entry["+strconv.Itoa(e.index)+"].request.ifNoneExist", "ifNoneExist names UBRN %s, the referral UBRN %s", ubrn, rf.UBRN)
					}
					rf.UBRN = ubrn
				}
				rf.ID = strings.TrimPrefix(e.newID, prefixReferral)
				return fieldOutcome(tx.RecordReferral(rf), "ServiceRequest", referralFieldPaths)
			}}
		if ubrn != "" {
			h.find = func(tx crs.Tx) (string, error) { return tx.ReferralIDByUBRN(ubrn) }
		}
	case isAdmission(res) && s.spellsWritable():
		if te.criteria != "" {
			return nil, invalid("not-supported", "Bundle.entry["+strconv.Itoa(te.index)+"].request.ifNoneExist", "a conditional create of an admission is not supported: a patient already admitted is refused (409)")
		}
		h = &heldCreate{prefix: prefixSpell, rank: 1,
			read: func(ctx context.Context, id string) (*crs.Resource, error) { return readEncounter(s, ctx, p, id) },
			apply: func(tx crs.Tx, e *txEntry) error {
				ad, err := s.admissionOf(r, p, e.resource)
				if err != nil {
					return err
				}
				ad.SpellID = strings.TrimPrefix(e.newID, prefixSpell)
				_, err = tx.AdmitPatient(ad)
				return fieldOutcome(err, "Encounter", admissionFieldPaths)
			}}
	case s.appointmentWritable(te.typ) && res.Type() == te.typ:
		if te.criteria != "" {
			return nil, invalid("not-supported", "Bundle.entry["+strconv.Itoa(te.index)+"].request.ifNoneExist", "a conditional create of an Appointment is not supported: a booking takes its slot, which no second booking can")
		}
		h = &heldCreate{rank: 2, sentChecks: true,
			read: func(ctx context.Context, id string) (*crs.Resource, error) { return readAppointment(s, ctx, p, id) },
			apply: func(tx crs.Tx, e *txEntry) error {
				b, patient, err := bookingOf(e.resource)
				if err != nil {
					return err
				}
				b.ID = e.newID
				_, err = bookIn(tx, b, patient)
				return err
			}}
	default:
		return nil, nil
	}
	if te.criteria == "" {
		te.newID = h.prefix + crs.NewID()
	}
	return h, nil
}

// findHeld matches a transaction's conditional create of one of the
// PAS's records inside the command: the record found is the entry's
// answer (resolvedRef), else it is created with an id made once (a
// command run again keeps it).
func (e *txEntry) findHeld(tx crs.Tx, refs map[string]string) error {
	e.resolvedRef = ""
	id, err := e.held.find(tx)
	switch {
	case err == nil:
		e.resolvedRef = e.typ + "/" + e.held.prefix + id
	case crs.ErrorCode(err) != crs.ENOTFOUND:
		return err
	case e.newID == "":
		e.newID = e.held.prefix + crs.NewID()
	}
	if e.fullURL != "" {
		refs[e.fullURL] = cmp.Or(e.resolvedRef, e.typ+"/"+e.newID)
	}
	return nil
}

// answerHeld answers, once the transaction has committed, each of its
// entries that created one of the PAS's records, or found it (a
// conditional create), with the record as served.
func answerHeld(ctx context.Context, entries []*txEntry, base string) error {
	for _, e := range entries {
		if e.held == nil || e.outcome != nil {
			continue
		}
		id, found := strings.CutPrefix(e.resolvedRef, e.typ+"/")
		if !found {
			id = e.newID
		}
		stored, err := e.held.read(ctx, id)
		if err != nil {
			return inEntry(e, err)
		}
		if found {
			e.response = createResponse(base, nil, stored)
		} else {
			e.response = createResponse(base, stored, nil)
		}
	}
	return nil
}

// checkSentUnlessHeld checks an entry's resource as checkSent checks one
// sent, unless it creates one of the PAS's records, which its command
// checks by the PAS's rules.
func (s *Server) checkSentUnlessHeld(ctx context.Context, a crs.Actor, te *txEntry) error {
	if te.held != nil && !te.held.sentChecks {
		return nil
	}
	return s.checkSent(ctx, a, te.resource, "Bundle.entry["+strconv.Itoa(te.index)+"].resource")
}
