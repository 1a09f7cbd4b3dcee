package golive

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/nhs"
	"github.com/opencrs/crs/rtt"
)

// DefaultBatchSize is how many rows of an extract one command loads
// unless told otherwise.
const DefaultBatchSize = 2000

// Importer loads a checked legacy extract into a trust, through the one
// write path, as the migration user, in batches of one command each.
// Every loaded row is recorded with the record it became in the command
// that wrote it, so an import that was interrupted (a crash, a kill)
// carries on where it stopped when run again and loads every row once.
type Importer struct {
	Store     crs.Store
	Log       crs.MigrationLog
	OrgID     string
	BatchSize int       // rows per command; 0 means DefaultBatchSize
	Progress  io.Writer // told of the rows loaded, rows a second and the time left; nil for silence
	Now       func() time.Time
}

// loadState is what a load knows as it goes: the records the rows of the
// extract became, by file and key.
type loadState struct {
	mu  sync.RWMutex // guards ids and done while batches are loaded at once
	im  *Importer
	x   *Extract
	ids map[rowRef]string // the record id of each loaded row
	// refused are the rows the load met and refused since the extract was
	// last told of them (Extract.refuse).
	refused []crs.MigratedRow
	total   int
	done    int
	start   time.Time
	last    time.Time
}

// rowRef names a row of the extract by file and key. Its key is the
// row's own field, not a new string, so the map of a large extract's
// rows costs no copy of their keys.
type rowRef struct{ file, key string }

// newLoadState reads which rows of x are loaded into the trust already
// and counts those still to load.
func newLoadState(ctx context.Context, im *Importer, x *Extract, log crs.MigrationLog, orgID string) (*loadState, error) {
	done, err := log.MigratedRows(ctx, orgID)
	if err != nil {
		return nil, err
	}
	s := &loadState{im: im, x: x, ids: make(map[rowRef]string, len(done))}
	for _, r := range done {
		if r.Refused == "" {
			s.ids[rowRef{r.File, r.Key}] = r.RecordID
		}
	}
	x.refuse(slices.Collect(maps.Values(done)))
	s.total = s.toLoad()
	return s, nil
}

// toLoad counts the accepted rows not loaded yet.
func (s *loadState) toLoad() int {
	n := 0
	for _, name := range Files[1:] {
		f := s.x.files[name]
		for i := range f.Rows {
			if r := &f.Rows[i]; r.Accepted() && !s.loaded(name, r) {
				n++
			}
		}
	}
	return n
}

// NotLoaded counts the accepted rows of x that no import has loaded into
// the trust yet: none once an import has run to its end.
func NotLoaded(ctx context.Context, x *Extract, log crs.MigrationLog, orgID string) (int, error) {
	s, err := newLoadState(ctx, nil, x, log, orgID)
	if err != nil {
		return 0, err
	}
	return s.total, nil
}

// rowKey is the idempotency key of an accepted row: its key, or its line
// for a file without a key.
func rowKey(file string, r *Row) string {
	if file == FileEvents || file == FileSessions {
		return "line " + strconv.Itoa(r.Line)
	}
	return r.Fields[0]
}

// loaded reports whether an accepted row was loaded: a row of a file
// without a key (an RTT event, a clinic session) is loaded with its
// pathway or clinic, in the same command, and has no key of its own.
func (s *loadState) loaded(file string, r *Row) bool {
	switch file {
	case FileEvents:
		return s.id(FilePathways, r.Fields[0]) != ""
	case FileSessions:
		return s.id(FileClinics, r.Fields[0]) != ""
	}
	return s.id(file, rowKey(file, r)) != ""
}

func (s *loadState) id(file, key string) string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.ids[rowRef{file, key}]
}

// Load loads every accepted row of x not loaded before and returns how
// many rows it loaded.
func (im *Importer) Load(ctx context.Context, x *Extract) (int, error) {
	if im.BatchSize <= 0 {
		im.BatchSize = DefaultBatchSize
	}
	if im.Now == nil {
		im.Now = time.Now
	}
	s, err := newLoadState(ctx, im, x, im.Log, im.OrgID)
	if err != nil {
		return 0, err
	}
	// Every row refers only to the trust and to records this load or an
	// earlier one wrote (patients, referrals, pathways, wards, beds,
	// clinics, slots: none is ever deleted), so its batches are the bulk
	// load's own.
	ctx, restore, err := im.Log.BulkLoad(ctx, im.OrgID)
	if err != nil {
		return 0, err
	}
	defer restore()
	s.start = im.Now()
	steps := []func(context.Context) error{s.gpPractices, s.livePatients, s.mergedPatients, s.wards, s.clinics,
		s.referrals, s.pathways, s.appointments, s.waitingList, s.inpatients}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			return s.done, err
		}
		if len(s.refused) > 0 {
			// The rows of the later steps that depend on a record
			// refused are rejected before they are loaded.
			s.x.refuse(s.refused)
			s.refused = nil
			s.total = s.done + s.toLoad()
		}
	}
	s.report(true)
	return s.done, nil
}

// pending lists the accepted rows of a file not loaded yet, those for
// which keep (if given) is true.
func (s *loadState) pending(file string, keep func(*Row) bool) []*Row {
	f := s.x.files[file]
	var out []*Row
	for i := range f.Rows {
		r := &f.Rows[i]
		if r.Accepted() && !s.loaded(file, r) && (keep == nil || keep(r)) {
			out = append(out, r)
		}
	}
	return out
}

// concurrent is how many commands of one file a load has in the write
// path at once, for files whose rows touch no shared record: while one
// waits for its disk sync the next is applied. Sites and clinic rooms
// are shared, so wards and clinics load one command at a time; slots are
// made if absent, and which appointment holds a slot is decided before
// loading, so appointments load a few at once.
const concurrent = 3

// batches runs fn over rows in batches, each one command of activity
// act, conc at once; fn returns the rows it loaded, which are recorded in
// the same command. A batch reads only records of earlier files.
func (s *loadState) batches(ctx context.Context, rows []*Row, act crs.Activity, conc int, fn func(tx crs.Tx, batch []*Row) ([]crs.MigratedRow, int, error)) error {
	a := crs.MigrationActor(s.im.OrgID)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	next := make(chan []*Row)
	errs := make(chan error, conc)
	var wg sync.WaitGroup
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for batch := range next {
				var loaded []crs.MigratedRow
				var with int // rows without a key loaded with them
				err := s.im.Store.Write(ctx, a, act, func(tx crs.Tx) error {
					var err error
					if loaded, with, err = fn(tx, batch); err != nil {
						return err
					}
					return tx.RecordMigratedRows(loaded)
				})
				if err != nil {
					errs <- fmt.Errorf("load %s from line %d: %w", loadedFile(loaded, batch), batch[0].Line, err)
					cancel()
					return
				}
				s.mu.Lock()
				n := with
				for _, m := range loaded {
					if m.Refused != "" {
						s.refused = append(s.refused, m)
						continue
					}
					s.ids[rowRef{m.File, m.Key}] = m.RecordID
					n++
				}
				s.done += n
				s.report(false)
				s.mu.Unlock()
			}
		}()
	}
feed:
	for start := 0; start < len(rows); start += s.im.BatchSize {
		select {
		case next <- rows[start:min(start+s.im.BatchSize, len(rows))]:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
		return ctx.Err()
	}
}

// loadedFile names the file of a batch for an error message.
func loadedFile(loaded []crs.MigratedRow, batch []*Row) string {
	if len(loaded) > 0 {
		return loaded[0].File
	}
	return fmt.Sprintf("the batch of %d rows", len(batch))
}

// report writes the progress line, at most once a second unless final.
func (s *loadState) report(final bool) {
	w := s.im.Progress
	if w == nil {
		return
	}
	now := s.im.Now()
	if !final && now.Sub(s.last) < time.Second {
		return
	}
	s.last = now
	el := now.Sub(s.start).Seconds()
	rate := 0.0
	if el > 0 {
		rate = float64(s.done) / el
	}
	left := "-"
	if rate > 0 {
		left = (time.Duration(float64(s.total-s.done)/rate) * time.Second).Round(time.Second).String()
	}
	pct := 100.0
	if s.total > 0 {
		pct = 100 * float64(s.done) / float64(s.total)
	}
	fmt.Fprintf(w, "import: %d of %d rows (%.0f%%), %.0f rows/s, %s left\n", s.done, s.total, pct, rate, left)
}

func (s *loadState) row(file string, r *Row, recordID, patientID string) crs.MigratedRow {
	return crs.MigratedRow{File: file, Key: rowKey(file, r), Line: r.Line, RecordID: recordID, PatientID: patientID}
}

func (s *loadState) gpPractices(ctx context.Context) error {
	f := s.x.files[FileGPPractices]
	return s.batches(ctx, s.pending(FileGPPractices, nil), crs.ActAdministerSettings, 1, func(tx crs.Tx, b []*Row) ([]crs.MigratedRow, int, error) {
		ps := make([]crs.GPPractice, len(b))
		rows := make([]crs.MigratedRow, len(b))
		for i, r := range b {
			ps[i] = crs.GPPractice{Code: r.Fields[0], Name: f.get(r, "name"), Postcode: f.get(r, "postcode")}
			rows[i] = s.row(FileGPPractices, r, r.Fields[0], "")
		}
		return rows, 0, tx.MigrateGPPractices(ps)
	})
}

func isMerged(f *File, r *Row) bool { return f.get(r, "merged_into_legacy_patient_id") != "" }

// localTime reads a date, or a date and time, of the extract as the wall
// clock time in England it is.
func localTime(s string) time.Time {
	layout := "2006-01-02"
	if len(s) > 10 {
		layout = "2006-01-02T15:04"
	}
	t, _ := time.ParseInLocation(layout, s, crs.London)
	return t
}

func date(s string) crs.Date {
	d, _ := crs.ParseDate(s)
	return d
}

// patientOf is the patient record a live row of patients.csv becomes.
func (s *loadState) patientOf(r *Row) *crs.Patient {
	f, gp := s.x.files[FilePatients], s.x.files[FileGPPractices]
	given, other, _ := strings.Cut(f.get(r, "given_names"), " ")
	p := &crs.Patient{ID: crs.NewID(), MRN: f.get(r, "hospital_number"), NHSNumber: f.get(r, "nhs_number"),
		NHSNumberStatus: nhs.NumberStatus(f.get(r, "nhs_number_status")), Title: f.get(r, "title"),
		GivenName: given, OtherNames: other, FamilyName: f.get(r, "family_name"),
		BirthDate: date(f.get(r, "date_of_birth")), Gender: f.get(r, "gender"),
		EthnicCategory: f.get(r, "ethnic_category"), Phone: f.get(r, "phone"),
		GPPracticeCode: f.get(r, "gp_practice_code")}
	for _, c := range []string{"address_line1", "address_line2", "address_line3"} {
		if v := f.get(r, c); v != "" {
			p.Address.Lines = append(p.Address.Lines, v)
		}
	}
	p.Address.Postcode = f.get(r, "postcode")
	if p.GPPracticeCode != "" {
		p.GPPracticeName = gp.get(gp.lookup(p.GPPracticeCode), "name")
	}
	if d := f.get(r, "date_of_death"); d != "" {
		t := localTime(d)
		p.DeathTime = &t
	}
	return p
}

func (s *loadState) livePatients(ctx context.Context) error {
	f := s.x.files[FilePatients]
	rows := s.pending(FilePatients, func(r *Row) bool { return !isMerged(f, r) })
	return s.batches(ctx, rows, crs.ActRegisterPatient, concurrent, func(tx crs.Tx, b []*Row) ([]crs.MigratedRow, int, error) {
		ps := make([]*crs.Patient, len(b))
		for i, r := range b {
			ps[i] = s.patientOf(r)
		}
		refused, err := tx.MigratePatients(ps)
		if err != nil {
			return nil, 0, err
		}
		// A record whose NHS number a live patient already holds is
		// recorded as refused, naming that patient, and not loaded.
		ids := make([]crs.PatientIdentifier, 0, len(b))
		rows := make([]crs.MigratedRow, len(b))
		for i, r := range b {
			if len(refused) > 0 && refused[0].Index == i {
				reason := ReasonNHSHeld
				if refused[0].InBatch {
					reason = ReasonNHSDuplicate
				}
				rows[i] = crs.MigratedRow{File: FilePatients, Key: rowKey(FilePatients, r), Line: r.Line, Refused: reason, Detail: refused[0].Err.Message}
				refused = refused[1:]
				continue
			}
			ids = append(ids, crs.PatientIdentifier{PatientID: ps[i].ID, Kind: crs.IdentifierLegacy, Value: r.Fields[0]})
			rows[i] = s.row(FilePatients, r, ps[i].ID, ps[i].ID)
		}
		return rows, 0, tx.AddPatientIdentifiers(ids)
	})
}

// mergedPatients loads the merged records of the legacy PAS as what they
// are there: further numbers of the record they were merged into.
func (s *loadState) mergedPatients(ctx context.Context) error {
	f := s.x.files[FilePatients]
	rows := s.pending(FilePatients, func(r *Row) bool { return isMerged(f, r) })
	return s.batches(ctx, rows, crs.ActMergePatients, concurrent, func(tx crs.Tx, b []*Row) ([]crs.MigratedRow, int, error) {
		var ids []crs.PatientIdentifier
		rows := make([]crs.MigratedRow, len(b))
		for i, r := range b {
			target := f.lookup(f.get(r, "merged_into_legacy_patient_id"))
			pid := s.id(FilePatients, target.Fields[0])
			if pid == "" {
				return nil, 0, crs.Errorf(crs.EINTERNAL, "%s line %d: the record it was merged into was not loaded", FilePatients, r.Line)
			}
			ids = append(ids, crs.PatientIdentifier{PatientID: pid, Kind: crs.IdentifierLegacy, Value: r.Fields[0]})
			if mrn := f.get(r, "hospital_number"); mrn != f.get(target, "hospital_number") {
				ids = append(ids, crs.PatientIdentifier{PatientID: pid, Kind: "mrn", Value: mrn})
			}
			if n := f.get(r, "nhs_number"); n != "" && n != f.get(target, "nhs_number") {
				ids = append(ids, crs.PatientIdentifier{PatientID: pid, Kind: "nhs", Value: n})
			}
			rows[i] = s.row(FilePatients, r, pid, pid)
		}
		return rows, 0, tx.AddPatientIdentifiers(ids)
	})
}

func (s *loadState) wards(ctx context.Context) error {
	f := s.x.files[FileWards]
	return s.batches(ctx, s.pending(FileWards, nil), crs.ActAdministerSettings, 1, func(tx crs.Tx, b []*Row) ([]crs.MigratedRow, int, error) {
		ws := make([]*crs.MigratedWard, len(b))
		for i, r := range b {
			beds, _ := strconv.Atoi(f.get(r, "beds"))
			ws[i] = &crs.MigratedWard{SiteCode: f.get(r, "site_code"), Code: r.Fields[0], Name: f.get(r, "name"), Beds: beds, Sector: f.get(r, "sector")}
		}
		if err := tx.MigrateWards(ws); err != nil {
			return nil, 0, err
		}
		rows := make([]crs.MigratedRow, len(b))
		for i, r := range b {
			rows[i] = s.row(FileWards, r, ws[i].ID, "")
		}
		return rows, 0, nil
	})
}

// slotType is OpenCRS's slot type for the legacy system's.
func slotType(t string) string {
	if t == "follow-up" {
		return crs.SlotFollowUp
	}
	return t
}

// clinics loads each clinic with its accepted sessions: those still in
// use at the census date become its weekly template.
func (s *loadState) clinics(ctx context.Context) error {
	f, sf := s.x.files[FileClinics], s.x.files[FileSessions]
	byClinic := map[string][]*Row{}
	for i := range sf.Rows {
		if r := &sf.Rows[i]; r.Accepted() {
			byClinic[sf.get(r, "clinic_code")] = append(byClinic[sf.get(r, "clinic_code")], r)
		}
	}
	return s.batches(ctx, s.pending(FileClinics, nil), crs.ActAdministerSettings, 1, func(tx crs.Tx, b []*Row) ([]crs.MigratedRow, int, error) {
		cs := make([]*crs.Clinic, len(b))
		sites := make([]string, len(b))
		var rows []crs.MigratedRow
		with := 0
		for i, r := range b {
			c := &crs.Clinic{ID: crs.NewID(), Code: r.Fields[0], Name: f.get(r, "name"), ConsultantCode: f.get(r, "consultant_code"),
				TreatmentFunction: f.get(r, "treatment_function_code"), Sessions: []crs.ClinicSession{}}
			for _, sr := range byClinic[c.Code] {
				ses := sessionOf(sf, sr)
				if ses.to != "" && ses.to < s.x.CensusDate {
					continue
				}
				c.Sessions = append(c.Sessions, crs.ClinicSession{Weekday: time.Weekday(ses.weekday % 7), Start: sf.get(sr, "start_time"),
					End: sf.get(sr, "end_time"), SlotMinutes: ses.slot, SlotType: slotType(ses.slotType)})
			}
			cs[i], sites[i] = c, f.get(r, "site_code")
			rows = append(rows, s.row(FileClinics, r, c.ID, ""))
			with += len(byClinic[c.Code])
		}
		return rows, with, tx.MigrateClinics(cs, sites)
	})
}

// referralPathways lists the accepted pathways of each referral, latest
// clock start last.
func (s *loadState) referralPathways() map[string][]*Row {
	f := s.x.files[FilePathways]
	out := map[string][]*Row{}
	for i := range f.Rows {
		if r := &f.Rows[i]; r.Accepted() {
			out[f.get(r, "referral_id")] = append(out[f.get(r, "referral_id")], r)
		}
	}
	for _, ps := range out {
		sort.SliceStable(ps, func(i, j int) bool { return f.get(ps[i], "clock_start_date") < f.get(ps[j], "clock_start_date") })
	}
	return out
}

func (s *loadState) referrals(ctx context.Context) error {
	f, pf := s.x.files[FileReferrals], s.x.files[FilePathways]
	paths := s.referralPathways()
	// An e-RS UBRN names one referral in OpenCRS: a later referral of the
	// extract with the same UBRN keeps it in its note.
	firstUBRN := map[string]*Row{}
	for i := range f.Rows {
		if r := &f.Rows[i]; r.Accepted() && f.get(r, "ubrn") != "" && firstUBRN[f.get(r, "ubrn")] == nil {
			firstUBRN[f.get(r, "ubrn")] = r
		}
	}
	return s.batches(ctx, s.pending(FileReferrals, nil), crs.ActManagePathways, concurrent, func(tx crs.Tx, b []*Row) ([]crs.MigratedRow, int, error) {
		rs := make([]*crs.Referral, len(b))
		rows := make([]crs.MigratedRow, len(b))
		for i, r := range b {
			pid := s.id(FilePatients, f.get(r, "legacy_patient_id"))
			ref := &crs.Referral{ID: crs.NewID(), PatientID: pid, Source: f.get(r, "source_of_referral"),
				ReceivedOn: date(f.get(r, "received_date")), Priority: f.get(r, "priority"),
				TreatmentFunction: f.get(r, "treatment_function_code"), UBRN: f.get(r, "ubrn"),
				ConsultantLed: f.get(r, "consultant_led") == "Y", Status: crs.ReferralOpen}
			if first := firstUBRN[ref.UBRN]; ref.UBRN != "" && first != r {
				ref.Reason = "e-RS UBRN " + ref.UBRN + ", also the UBRN of legacy referral " + first.Fields[0]
				ref.UBRN = ""
			}
			// A referral whose RTT periods are all closed is closed on the
			// last stop; any other stays open.
			if ps := paths[r.Fields[0]]; len(ps) > 0 {
				closed, last := true, ""
				for _, p := range ps {
					if pf.get(p, "status") != "closed" {
						closed = false
					}
					last = max(last, pf.get(p, "clock_stop_date"))
				}
				if closed {
					ref.Status, ref.ClosedOn, ref.ClosedReason = crs.ReferralClosed, date(last), "closed in the legacy PAS"
				}
			}
			rs[i] = ref
			rows[i] = s.row(FileReferrals, r, ref.ID, pid)
		}
		return rows, 0, tx.MigrateReferrals(rs)
	})
}

// eventKinds are OpenCRS's RTT event kinds for the legacy event types.
var eventKinds = map[string]rtt.Kind{
	"referral": rtt.KindReferralReceived, "attendance": rtt.KindAttended, "dna": rtt.KindDidNotAttend,
	"cancellation_patient": rtt.KindCancelledByPatient, "cancellation_provider": rtt.KindCancelledByHospital,
	"decision_to_admit": rtt.KindDecisionToAdmit, "admission": rtt.KindAdmittedForTreatment,
	"discharge_to_gp": rtt.KindDischargedToGP, "active_monitoring": rtt.KindActiveMonitoringStarted,
	"decision_not_to_treat": rtt.KindDecisionNotToTreat, "declined": rtt.KindPatientDeclinedTreatment,
	"died": rtt.KindPatientDied, "treatment": rtt.KindTreatmentStarted,
}

// clockState is the state of OpenCRS's clock for a legacy RTT period: a
// period the legacy system holds open runs (or was nullified by a
// first-appointment DNA, code 33); a closed one stopped, for active
// monitoring (31, 32), nullified (33) or otherwise.
func clockState(status, code string) string {
	switch {
	case code == "33":
		return crs.ClockNullified
	case status == "open":
		return crs.ClockRunning
	case code == "31" || code == "32":
		return crs.ClockMonitoring
	}
	return crs.ClockStopped
}

func (s *loadState) pathways(ctx context.Context) error {
	f, ef, refs := s.x.files[FilePathways], s.x.files[FileEvents], s.x.files[FileReferrals]
	events := map[string][]*Row{}
	for i := range ef.Rows {
		if r := &ef.Rows[i]; r.Accepted() {
			events[ef.get(r, "ppid")] = append(events[ef.get(r, "ppid")], r)
		}
	}
	// A referral's pathway is its latest RTT period.
	current := map[*Row]bool{}
	for _, ps := range s.referralPathways() {
		current[ps[len(ps)-1]] = true
	}
	rows := s.pending(FilePathways, nil)
	return s.batches(ctx, rows, crs.ActManagePathways, concurrent, func(tx crs.Tx, b []*Row) ([]crs.MigratedRow, int, error) {
		ps := make([]*crs.Pathway, len(b))
		evs := make([][]crs.PathwayEvent, len(b))
		cur := make([]bool, len(b))
		with := 0
		var loaded []crs.MigratedRow
		for i, r := range b {
			ref := refs.lookup(f.get(r, "referral_id"))
			code, _ := strconv.Atoi(f.get(r, "rtt_status_code"))
			status := f.get(r, "status")
			p := &crs.Pathway{ID: crs.NewID(), PatientID: s.id(FilePatients, refs.get(ref, "legacy_patient_id")), PPI: r.Fields[0],
				PPIIssuer: s.x.TrustODS, ReferralID: s.id(FileReferrals, ref.Fields[0]),
				TreatmentFunction: refs.get(ref, "treatment_function_code"), Priority: refs.get(ref, "priority"),
				ClockState: clockState(status, f.get(r, "rtt_status_code")), ClockStart: date(f.get(r, "clock_start_date")),
				ClockStop: date(f.get(r, "clock_stop_date")), LastStatus: rtt.Status(code)}
			if status == "closed" {
				p.StopStatus = rtt.Status(code)
			}
			loaded = append(loaded, s.row(FilePathways, r, p.ID, p.PatientID))
			for _, e := range events[r.Fields[0]] {
				c, _ := strconv.Atoi(ef.get(e, "rtt_status_code"))
				kind := ef.get(e, "event_type")
				if kind == "decision_to_admit" {
					p.DecisionToAdmit = true
				}
				evs[i] = append(evs[i], crs.PathwayEvent{Date: date(ef.get(e, "event_date")), Kind: eventKinds[kind], Status: rtt.Status(c)})
				with++
			}
			ps[i], cur[i] = p, current[r]
		}
		return loaded, with, tx.MigratePathways(ps, evs, cur)
	})
}

func (s *loadState) appointments(ctx context.Context) error {
	f := s.x.files[FileAppts]
	sessions := s.x.sessionsByClinic()
	paths := s.referralPathways()
	// The first live appointment of a slot holds it; any other is
	// overbooked.
	holder := map[string]*Row{}
	for i := range f.Rows {
		r := &f.Rows[i]
		if !r.Accepted() {
			continue
		}
		if st := f.get(r, "status"); st != "cancelled_patient" && st != "cancelled_provider" {
			if k := f.get(r, "clinic_code") + " " + f.get(r, "start"); holder[k] == nil {
				holder[k] = r
			}
		}
	}
	// By clinic and time, so that commands share few slots.
	rows := s.pending(FileAppts, nil)
	sort.SliceStable(rows, func(i, j int) bool {
		if ca, cb := f.get(rows[i], "clinic_code"), f.get(rows[j], "clinic_code"); ca != cb {
			return ca < cb
		}
		return f.get(rows[i], "start") < f.get(rows[j], "start")
	})
	return s.batches(ctx, rows, crs.ActManagePathways, concurrent, func(tx crs.Tx, b []*Row) ([]crs.MigratedRow, int, error) {
		as := make([]crs.MigratedAppointment, len(b))
		rows := make([]crs.MigratedRow, len(b))
		for i, r := range b {
			start := localTime(f.get(r, "start"))
			dur, _ := strconv.Atoi(f.get(r, "duration_minutes"))
			ses := fitSession(sessions[f.get(r, "clinic_code")], f.get(r, "start"), dur)
			a := &crs.Appointment{ID: crs.NewID(), PatientID: s.id(FilePatients, f.get(r, "legacy_patient_id")),
				ReferralID: s.id(FileReferrals, f.get(r, "referral_id")), ClinicID: s.id(FileClinics, f.get(r, "clinic_code")),
				Start: start, Kind: slotType(f.get(r, "type"))}
			if ps := paths[f.get(r, "referral_id")]; len(ps) > 0 {
				a.PathwayID = s.id(FilePathways, ps[len(ps)-1].Fields[0])
			}
			switch st := f.get(r, "status"); st {
			case "cancelled_patient", "cancelled_provider":
				a.Status, a.CancelledBy, a.Reason = crs.AppointmentCancelled, crs.CancelledByPatient, "cancelled in the legacy PAS"
				if st == "cancelled_provider" {
					a.CancelledBy = crs.CancelledByHospital
				}
			case "attended":
				a.Status, a.AttendedAt = crs.AppointmentAttended, start
			default:
				a.Status = st
			}
			if c := f.get(r, "outcome_rtt_status"); c != "" {
				n, _ := strconv.Atoi(c)
				a.Outcome = &crs.Outcome{RTTStatus: rtt.Status(n)}
			}
			as[i] = crs.MigratedAppointment{Appointment: a, SlotEnd: start.Add(time.Duration(dur) * time.Minute), SlotType: slotType(ses.slotType),
				Overbooked: holder[f.get(r, "clinic_code")+" "+f.get(r, "start")] != r}
			rows[i] = s.row(FileAppts, r, a.ID, a.PatientID)
		}
		return rows, 0, tx.MigrateAppointments(as)
	})
}

func (s *loadState) waitingList(ctx context.Context) error {
	f, pf, refs := s.x.files[FileWaitingList], s.x.files[FilePathways], s.x.files[FileReferrals]
	return s.batches(ctx, s.pending(FileWaitingList, nil), crs.ActManagePathways, concurrent, func(tx crs.Tx, b []*Row) ([]crs.MigratedRow, int, error) {
		es := make([]*crs.WaitingListEntry, len(b))
		rows := make([]crs.MigratedRow, len(b))
		for i, r := range b {
			pw := pf.lookup(f.get(r, "ppid"))
			ref := refs.lookup(pf.get(pw, "referral_id"))
			e := &crs.WaitingListEntry{ID: crs.NewID(), PatientID: s.id(FilePatients, f.get(r, "legacy_patient_id")),
				PathwayID: s.id(FilePathways, pw.Fields[0]), ReferralID: s.id(FileReferrals, ref.Fields[0]),
				DecidedOn: date(f.get(r, "decision_to_admit_date")), IntendedManagement: f.get(r, "intended_management"),
				ProcedureCode: f.get(r, "intended_procedure_opcs4"), Priority: f.get(r, "priority"),
				TreatmentFunction: refs.get(ref, "treatment_function_code"), ForTreatment: true,
				Status: f.get(r, "status"), TCIDate: date(f.get(r, "tci_date"))}
			if e.Status == crs.ListRemoved {
				e.RemovalReason = "removed in the legacy PAS"
			}
			es[i] = e
			rows[i] = s.row(FileWaitingList, r, e.ID, e.PatientID)
		}
		return rows, 0, tx.MigrateWaitingList(es)
	})
}

func (s *loadState) inpatients(ctx context.Context) error {
	f := s.x.files[FileInpatients]
	return s.batches(ctx, s.pending(FileInpatients, nil), crs.ActManagePathways, concurrent, func(tx crs.Tx, b []*Row) ([]crs.MigratedRow, int, error) {
		ss := make([]*crs.Spell, len(b))
		rows := make([]crs.MigratedRow, len(b))
		for i, r := range b {
			ward := s.id(FileWards, f.get(r, "ward_code"))
			bed, err := tx.FindBedByCode(ward, "", f.get(r, "bed_code"))
			if err != nil {
				return nil, 0, fmt.Errorf("%s line %d: bed %s of ward %s: %w", FileInpatients, r.Line, f.get(r, "bed_code"), f.get(r, "ward_code"), err)
			}
			sp := &crs.Spell{ID: crs.NewID(), PatientID: s.id(FilePatients, f.get(r, "legacy_patient_id")), VisitNumber: r.Fields[0],
				AdmissionMethod: f.get(r, "admission_method"), AdmittedAt: localTime(f.get(r, "admitted")),
				WardID: ward, BedID: bed, ConsultantCode: f.get(r, "consultant_code")}
			ss[i] = sp
			rows[i] = s.row(FileInpatients, r, sp.ID, sp.PatientID)
		}
		return rows, 0, tx.MigrateSpells(ss)
	})
}
