package interfaces

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/hl7"
	"github.com/opencrs/crs/store/storetest"
)

// FuzzHandle feeds arbitrary bytes to the inbound handler as a message
// from a configured interface: mapping a message to commands must never
// panic, and every answer must be an acknowledgement quoting MSH-10.
func FuzzHandle(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*.hl7")
	shared, _ := filepath.Glob("../../shared/data/hl7/*/*")
	if len(shared) == 0 {
		f.Log("../../shared/data/hl7 not present: fuzzing from the synthetic testdata only")
	}
	for _, p := range append(seeds, shared...) {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		for _, m := range hl7.Split(b) {
			f.Add(m)
		}
	}
	db := storetest.OpenSQLite(f, nil)
	tr := storetest.NewTrust(f, db, "RXX")
	e := withResults(New(db, nil), db)
	// Every seed's sender is made an interface of the trust, so the
	// mapping is reached, not just the reject of an unknown sender.
	seen := map[string]bool{"PAS|RXX": true}
	addIface := func(app, fac string) {
		if seen[app+"|"+fac] || app == "" || fac == "" {
			return
		}
		seen[app+"|"+fac] = true
		_ = e.AddInterface(context.Background(), tr.System, ifaceT{app, fac, tr.Users[crs.RoleInterface].ID}.iface())
	}
	seen["PAS|RXX"] = false
	addIface("PAS", "RXX")
	for _, p := range append(seeds, shared...) {
		b, _ := os.ReadFile(p)
		for _, raw := range hl7.Split(b) {
			if m, err := hl7.Parse(raw); err == nil {
				addIface(m.SendingApplication(), m.SendingFacility())
			}
		}
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		reply := e.Handle(context.Background(), raw)
		ack, err := hl7.ParseACK(reply)
		if err != nil {
			t.Fatalf("answer is not an ACK: %v\n%q", err, reply)
		}
		if m, err := hl7.Parse(raw); err == nil && ack.ControlID != m.ControlID() {
			t.Fatalf("MSA-2 %q, MSH-10 %q", ack.ControlID, m.ControlID())
		}
	})
}
