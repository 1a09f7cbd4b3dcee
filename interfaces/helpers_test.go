package interfaces

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/fhir"
	"github.com/opencrs/crs/hl7"
	"github.com/opencrs/crs/mllp"
	"github.com/opencrs/crs/nhs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// testNHS returns the n-th valid NHS number of the 999 test range.
func testNHS(n int) string {
	for i := 0; ; i++ {
		nine := fmt.Sprintf("999%06d", i)
		if d, ok := nhs.CheckDigit(nine); ok {
			if n == 0 {
				return fmt.Sprintf("%s%d", nine, d)
			}
			n--
		}
	}
}

// fixture is a running engine with one trust and its PAS interface.
type fixture struct {
	db    *store.DB
	e     *Engine
	trust *storetest.Trust
	iface *crs.Interface
	addr  string
	c     *mllp.Client
}

func newFixture(t *testing.T, db *store.DB, ods string) *fixture {
	t.Helper()
	f := &fixture{db: db, e: withResults(New(db, nil), db)}
	f.e.RetryBackoff, f.e.MaxBackoff = 5*time.Millisecond, 50*time.Millisecond
	f.trust = storetest.NewTrust(t, db, ods)
	f.iface = f.addInterface(t, f.trust, "PAS", ods)
	addr, err := f.e.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.e.Close() })
	f.addr = addr.String()
	f.c = &mllp.Client{Addr: f.addr, Timeout: 20 * time.Second}
	t.Cleanup(func() { f.c.Close() })
	return f
}

// withResults makes e file results to the resource store, matched to
// orders, as cmd/crs wires it.
func withResults(e *Engine, db *store.DB) *Engine {
	orders := &fhir.OrderService{Store: db, Resources: store.NewResourceService(db)}
	e.Results = &fhir.ResultService{Store: db, Resources: store.NewResourceService(db), Orders: orders}
	return e
}

// findResults lists a patient's current results as the result pages read
// them, as the trust's system (no relationship needed).
func findResults(ctx context.Context, db *store.DB, orgID, patientID string) ([]*crs.Result, error) {
	return (&fhir.ResultService{Store: db, Resources: store.NewResourceService(db)}).FindResults(ctx, crs.SystemActor(orgID), patientID)
}

func (f *fixture) addInterface(t *testing.T, tr *storetest.Trust, app, facility string) *crs.Interface {
	t.Helper()
	i := &crs.Interface{Name: app + " at " + facility, SendingApplication: app, SendingFacility: facility, UserID: tr.Users[crs.RoleInterface].ID}
	if err := f.e.AddInterface(context.Background(), tr.System, i); err != nil {
		t.Fatalf("add interface: %v", err)
	}
	return i
}

// send sends one message and returns the parsed ACK and its raw text.
func (f *fixture) send(t *testing.T, msg string) (hl7.ACK, string) {
	t.Helper()
	reply, err := f.c.Send(context.Background(), []byte(msg))
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	ack, err := hl7.ParseACK(reply)
	if err != nil {
		t.Fatalf("parse ACK %q: %v", reply, err)
	}
	return ack, string(reply)
}

// msh writes an MSH from app at facility to the trust rcv.
func msh(app, facility, rcv, typ, ctrl string) string {
	return "MSH|^~\\&|" + app + "|" + facility + "|OPENCRS|" + rcv + "|20260302090000||" + typ + "|" + ctrl + "|P|2.4|||AL|NE|GBR"
}

// pidSeg writes a PID with an NHS number and hospital number.
func pidSeg(nhsNo, mrn, ods, family, given, dob string) string {
	ids := []string{}
	if nhsNo != "" {
		ids = append(ids, nhsNo+"^^^NHS^NH")
	}
	if mrn != "" {
		ids = append(ids, mrn+"^^^"+ods+"^MR")
	}
	return "PID|1||" + strings.Join(ids, "~") + "||" + family + "^" + given + "^^^MRS^^L||" + dob + "|F|||1 High Street^^London^^E1 6AN^GBR^H||020 7946 0000^PRN^PH~07700 900000^ORN^CP|||||||||||||||||||NSTS01"
}

func adtMsg(trig, ctrl, ods, pid string, more ...string) string {
	segs := []string{msh("PAS", ods, ods, "ADT^"+trig+"^ADT_A01", ctrl), "EVN|" + trig + "|20260302090000", pid, "PV1|1|I|WD10^^B03"}
	segs = append(segs, more...)
	return strings.Join(segs, "\r") + "\r"
}

// freePort returns a port on 127.0.0.1 free at the time of asking.
func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func findByNHS(t *testing.T, db *store.DB, tr *storetest.Trust, n string) *crs.Patient {
	t.Helper()
	p, err := store.NewPatientService(db).FindPatientByIdentifier(context.Background(), tr.Actor(crs.RoleClerk), "nhs", n)
	if err != nil {
		t.Fatalf("find patient by NHS number %s: %v", n, err)
	}
	return p
}

func messageByControlID(t *testing.T, db *store.DB, orgID, ctrl string) *crs.Message {
	t.Helper()
	ms, err := db.SearchMessages(context.Background(), orgID, crs.MessageQuery{ControlID: ctrl, Direction: crs.DirectionIn})
	if err != nil || len(ms) != 1 {
		t.Fatalf("message %s in the log: got %d, err %v", ctrl, len(ms), err)
	}
	return ms[0]
}

type ifaceT struct{ app, fac, user string }

func (i ifaceT) iface() *crs.Interface {
	return &crs.Interface{Name: i.app + " at " + i.fac, SendingApplication: i.app, SendingFacility: i.fac, UserID: i.user}
}
