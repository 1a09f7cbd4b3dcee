package fhir

import (
	"cmp"
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/opencrs/crs"
)

// heldWrite is an entry of a transaction that creates or changes one of
// the PAS's records through the PAS's own commands, inside the
// transaction's one command.
//
// A create is of a referral (ServiceRequest of category referral), an
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
//
// A change (PUT or PATCH of ServiceRequest/ref-..., Encounter/ip-...,
// Appointment/...: a referral closed, a patient moved or discharged, an
// appointment cancelled, attended or missed) is decided on the request
// by the type's change function, as the request by itself decides it,
// against the record as it stands before the transaction (its
// request.ifMatch checked against it); its commands run among the
// transaction's PUTs and PATCHes, undone with the rest when another
// entry fails.
type heldWrite struct {
	id     string // a change's: the served id of the record it changes
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
	// apply makes the entry's write within the command: a create
	// records its resource (references resolved) as e.newID; a change
	// runs the commands decided on the request.
	apply func(tx crs.Tx, e *txEntry) error
	// read reads the record as served, once the command has committed.
	read func(ctx context.Context, id string) (*crs.Resource, error)
}

// heldCreateOf is how a transaction's entry creates one of the PAS's
// records, or nil when it creates none.
func (s *Server) heldCreateOf(r *http.Request, p *Principal, te *txEntry) (*heldWrite, error) {
	if te.method != http.MethodPost || te.resource == nil {
		return nil, nil
	}
	res := te.resource
	var h *heldWrite
	switch {
	case isReferral(res) && s.referralsWritable():
		var ubrn string
		if te.criteria != "" {
			var err error
			if ubrn, err = ubrnCriteria(te.criteria, "Bundle.entry["+strconv.Itoa(te.index)+"].request.ifNoneExist"); err != nil {
				return nil, err
			}
		}
		h = &heldWrite{prefix: prefixReferral,
			read: func(ctx context.Context, id string) (*crs.Resource, error) { return readReferral(s, ctx, p, id) },
			apply: func(tx crs.Tx, e *txEntry) error {
				rf, err := s.referralOf(e.resource)
				if err != nil {
					return err
				}
				if ubrn != "" {
					if err := takeUBRN(rf, ubrn, "Bundle.entry["+strconv.Itoa(e.index)+"].request.ifNoneExist"); err != nil {
						return err
					}
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
		h = &heldWrite{prefix: prefixSpell, rank: 1,
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
		h = &heldWrite{rank: 2, sentChecks: true,
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

// heldUpdateOf is how a transaction's PUT or PATCH changes one of the
// PAS's records, or nil when it changes none.
func (s *Server) heldUpdateOf(r *http.Request, p *Principal, te *txEntry) (*heldWrite, error) {
	if te.method != http.MethodPut && te.method != http.MethodPatch || te.match != "" || te.id == "" {
		return nil, nil
	}
	var read heldRead
	var change heldChange
	switch {
	case s.appointmentWritable(te.typ):
		read, change = readAppointment, s.changeAppointment
	case s.heldReferral(te.typ, te.id):
		read, change = readReferral, s.changeReferral
	case s.heldSpell(te.typ, te.id):
		read, change = readEncounter, s.changeSpell
	default:
		return nil, nil
	}
	if err := p.allow(te.typ, true); err != nil {
		return nil, err
	}
	sent := func(cur *crs.Resource) (Resource, error) {
		if te.method == http.MethodPatch {
			return te.patch.applyTo(cur.Body, te.typ, te.id)
		}
		if te.resource.ID() != te.id {
			return nil, invalid("invalid", "Bundle.entry["+strconv.Itoa(te.index)+"].resource.id", "the resource's id %q is not the id %q of request.url", te.resource.ID(), te.id)
		}
		return te.resource, nil
	}
	_, cmd, err := s.decideHeld(r, p, te.typ, te.id, te.ifMatch, read, sent, change)
	if err != nil {
		return nil, err
	}
	return &heldWrite{id: te.id, read: func(ctx context.Context, id string) (*crs.Resource, error) { return read(s, ctx, p, id) },
		apply: func(tx crs.Tx, _ *txEntry) error {
			if cmd == nil {
				return nil // the record as it is
			}
			return cmd(tx)
		}}, nil
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
// entries that created one of the PAS's records, found it (a conditional
// create) or changed it, with the record as served.
func answerHeld(ctx context.Context, entries []*txEntry, base string) error {
	for _, e := range entries {
		if e.held == nil || e.outcome != nil {
			continue
		}
		id, found := strings.CutPrefix(e.resolvedRef, e.typ+"/")
		if !found {
			id = cmp.Or(e.held.id, e.newID)
		}
		stored, err := e.held.read(ctx, id)
		if err != nil {
			return inEntry(e, err)
		}
		switch {
		case e.held.id != "":
			e.response = created(base, stored, "200")
		case found:
			e.response = createResponse(base, nil, stored)
		default:
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
