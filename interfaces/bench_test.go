package interfaces

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/hl7"
	"github.com/opencrs/crs/nhs"
	"github.com/opencrs/crs/store/storetest"
)

// BenchmarkHandleA28 measures inbound registrations applied and
// acknowledged through the one write path on SQLite, from as many
// goroutines as -cpu says times 8, so group commit gathers them.
func BenchmarkHandleA28(b *testing.B) {
	e, _ := benchEngine(b)
	nhsNumbers := make([]string, 0, b.N+1)
	for i, nine := 0, 999000000; len(nhsNumbers) <= b.N; i++ {
		if d, ok := nhs.CheckDigit(fmt.Sprint(nine + i)); ok {
			nhsNumbers = append(nhsNumbers, fmt.Sprint(nine+i)+fmt.Sprint(d))
		}
	}
	var n atomic.Int64
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			k := n.Add(1)
			msg := strings.Join([]string{
				"MSH|^~\\&|PAS|RBN|OPENCRS|RBN|20260302090000||ADT^A28^ADT_A05|B" + fmt.Sprint(k) + "|P|2.4|||AL|NE|GBR",
				"EVN|A28|20260302090000",
				"PID|1||" + nhsNumbers[k] + "^^^NHS^NH||SMITH^ANNE^^^MRS||19800101|F|||1 High Street^^London^^E1 6AN||||||||||||||||||||NSTS01",
				"PV1|1|N",
			}, "\r") + "\r"
			ack, err := hl7.ParseACK(e.Handle(context.Background(), []byte(msg)))
			if err != nil || ack.Code != hl7.AA {
				b.Errorf("message %d: %v %+v", k, err, ack)
				return
			}
		}
	})
}

// benchEngine is an engine on SQLite with trust RBN and its PAS interface
// (PAS at RBN), for benchmarks.
func benchEngine(b *testing.B) (*Engine, *crs.Interface) {
	b.Helper()
	db := storetest.OpenSQLite(b, nil)
	e := New(db, nil)
	b.Cleanup(func() { e.Close() })
	tr := storetest.NewTrust(b, db, "RBN")
	i := &crs.Interface{Name: "PAS", SendingApplication: "PAS", SendingFacility: "RBN", UserID: tr.Users[crs.RoleInterface].ID}
	if err := e.AddInterface(context.Background(), tr.System, i); err != nil {
		b.Fatal(err)
	}
	return e, i
}
