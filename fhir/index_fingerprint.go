package fhir

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/opencrs/crs"
)

// The search index a trust's resources hold is what the OpenCRS that
// wrote them extracted of each search parameter. An upgrade that indexes
// more (a parameter, the display of a coding for :text) or indexes a
// value otherwise would leave the resources written before it unfound by
// a search that finds those written after: a patient's allergy missing
// from a search is lost to the clinician who searched. So each trust
// records the fingerprint of the index its resources were last wholly
// indexed under, and OpenCRS reindexes a trust whose fingerprint is not
// its own (ReindexStale) as it starts.
//
// The fingerprint is a digest of the search parameters of every type
// (their names, types, paths, targets and components) and of the index
// rows of indexFixtures, resources that hold a value of each kind a
// parameter indexes: a change to the definitions or to how a value of one
// of those kinds becomes rows changes it.

// indexFixtures are resources whose index rows the fingerprint holds:
// a token with and without a display, a string, a date and a period,
// references of each form, a quantity, a number, a uri, a canonical with
// its version, a composite and a Patient's derived deceased.
var indexFixtures = []string{
	`{"resourceType":"Patient","id":"p1","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000018","type":{"text":"NHS number"}}],
		"name":[{"family":"O'Brien-Smith","given":["Zoë","Ann"],"prefix":["Dr"]}],"telecom":[{"system":"phone","value":"020 7946 0000"}],
		"gender":"female","birthDate":"1970-05","address":[{"line":["1 High Street"],"city":"Leeds","postalCode":"LS1 4AP"}],
		"generalPractitioner":[{"reference":"Practitioner/g1"}],"deceasedDateTime":"2020-01-02T10:00:00+01:00"}`,
	`{"resourceType":"Observation","id":"o1","status":"final","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"vital-signs","display":"Vital Signs"}]}],
		"code":{"coding":[{"system":"http://loinc.org","code":"85354-9","display":"Blood pressure panel"}],"text":"BP"},"subject":{"reference":"urn:uuid:9f1c2a4e-0000-4000-8000-000000000001"},
		"encounter":{"reference":"https://example.org/fhir/Encounter/e1"},"effectivePeriod":{"start":"2023-03-14T09:00:00Z","end":"2023-03-14T09:05:00Z"},
		"component":[{"code":{"coding":[{"system":"http://loinc.org","code":"8480-6"}]},"valueQuantity":{"value":120.50,"unit":"mmHg","system":"http://unitsofmeasure.org","code":"mm[Hg]"}},
			{"code":{"coding":[{"system":"http://loinc.org","code":"8462-4"}]},"valueQuantity":{"value":8.0e1,"unit":"mmHg","system":"http://unitsofmeasure.org","code":"mm[Hg]"}}]}`,
	`{"resourceType":"Condition","id":"c1","clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"active"}]},
		"code":{"coding":[{"system":"http://snomed.info/sct","code":"195967001","display":"Asthma"}]},"subject":{"reference":"Patient/p1"},
		"onsetAge":{"value":7,"unit":"a","system":"http://unitsofmeasure.org","code":"a"},"recordedDate":"2021-06-01"}`,
	`{"resourceType":"RiskAssessment","id":"r1","status":"final","subject":{"reference":"Patient/p1"},"prediction":[{"probabilityDecimal":0.025}]}`,
	`{"resourceType":"DocumentReference","id":"d1","status":"current","subject":{"identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000018"}},
		"content":[{"attachment":{"contentType":"text/plain; charset=utf-8","url":"https://example.org/docs/1"}}],"date":"2022-02-02T12:00:00.123Z"}`,
	`{"resourceType":"ValueSet","id":"v1","url":"https://example.org/fhir/ValueSet/wards","version":"1.2.0","status":"active","name":"Wards","date":"2020"}`,
	`{"resourceType":"MedicationRequest","id":"m1","status":"active","intent":"order","subject":{"reference":"Patient/p1"},
		"medicationReference":{"reference":"#med"},"contained":[{"resourceType":"Medication","id":"med","code":{"text":"Paracetamol"}}],
		"authoredOn":"2024-01-01T08:00:00Z","dosageInstruction":[{"timing":{"event":["2024-01-01T09:00:00Z"]}}]}`,
}

var (
	fingerprintOnce sync.Once
	fingerprint     string
)

// IndexFingerprint is the fingerprint of the search index this version
// of OpenCRS writes: hex of a SHA-256 digest.
func IndexFingerprint() string {
	fingerprintOnce.Do(func() {
		h := sha256.New()
		for _, typ := range resourceTypes {
			names := make([]string, 0, len(searchParams[typ]))
			for n := range searchParams[typ] {
				names = append(names, n)
			}
			slices.Sort(names)
			for _, n := range names {
				p := searchParams[typ][n]
				fmt.Fprintf(h, "%s.%s %s %q %q %+v\n", typ, n, p.Type, p.Paths, p.Targets, p.Components)
			}
		}
		for i, f := range indexFixtures {
			r, err := Decode([]byte(f))
			if err != nil {
				// The fixtures are this file's own, and a test decodes
				// each; one that did not would still digest the same.
				fmt.Fprintf(h, "fixture %d: %v\n", i, err)
				continue
			}
			for _, row := range IndexRows(r) {
				fmt.Fprintf(h, "%s %s|%s|%s|%s|%s|%s|", r.Type(), row.Param, row.System, row.Code, row.Text,
					row.Lo.UTC().Format("2006-01-02T15:04:05.000000Z"), row.Hi.UTC().Format("2006-01-02T15:04:05.000000Z"))
				if row.Num != nil {
					fmt.Fprintf(h, "%v", *row.Num)
				}
				h.Write([]byte{'\n'})
			}
		}
		fingerprint = hex.EncodeToString(h.Sum(nil))
	})
	return fingerprint
}

// ReindexStale reindexes every resource of the actor's trust (Reindex)
// when the trust's resources were last indexed under a fingerprint other
// than IndexFingerprint (an upgrade changed what the index holds, or the
// trust was never checked), recording this version's once done; ran is
// false when they were indexed under it already. A reindex stopped part
// of the way (the server stopped) records nothing and is run again at
// the next start.
func ReindexStale(ctx context.Context, st crs.Store, a crs.Actor, progress func(ReindexCount)) (ran bool, n ReindexCount, err error) {
	var fp string
	err = st.Write(ctx, a, crs.ActAdministerSettings, func(tx crs.Tx) error {
		var err error
		if fp, err = tx.ResourceIndexFingerprint(); err != nil {
			return err
		}
		return errUnchanged // it reads, and writes nothing
	})
	if !errors.Is(err, errUnchanged) {
		return false, n, err
	}
	if fp == IndexFingerprint() {
		return false, n, nil
	}
	n, err = Reindex(ctx, st, a, nil, progress)
	return true, n, err
}

// RecordIndexCurrent records that every resource of the actor's trust is
// indexed under this version's fingerprint: a trust just made, whose
// resources this version wrote, or one a reindex of every type has gone
// through.
func RecordIndexCurrent(ctx context.Context, st crs.Store, a crs.Actor) error {
	return st.Write(ctx, a, crs.ActAdministerSettings, func(tx crs.Tx) error { return tx.SetResourceIndexFingerprint(IndexFingerprint()) })
}
