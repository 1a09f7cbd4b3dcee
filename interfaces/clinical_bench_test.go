package interfaces

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/hl7"
	"github.com/opencrs/crs/store/storetest"
)

// benchClinical runs messages of one sender for one known patient through
// the engine on SQLite from 8 goroutines per -cpu; msg writes the k-th.
func benchClinical(b *testing.B, msg func(k int64) string) {
	db := storetest.OpenSQLite(b, nil)
	e := withResults(New(db, nil), db)
	defer e.Close()
	tr := storetest.NewTrust(b, db, "RBN")
	for _, app := range []string{"PAS", "LIMS"} {
		i := &crs.Interface{Name: app, SendingApplication: app, SendingFacility: "RBN", UserID: tr.Users[crs.RoleInterface].ID}
		if err := e.AddInterface(context.Background(), tr.System, i); err != nil {
			b.Fatal(err)
		}
	}
	if ack, _ := hl7.ParseACK(e.Handle(context.Background(), []byte(adtMsg("A28", "REG", "RBN", pidSeg(testNHS(1), "", "RBN", "SMITH", "ANNE", "19800101"))))); ack.Code != hl7.AA {
		b.Fatalf("register: %+v", ack)
	}
	var n atomic.Int64
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			k := n.Add(1)
			ack, err := hl7.ParseACK(e.Handle(context.Background(), []byte(msg(k))))
			if err != nil || ack.Code != hl7.AA {
				b.Errorf("message %d: %v %+v", k, err, ack)
				return
			}
		}
	})
}

// BenchmarkHandleORU measures laboratory reports (two orders, five
// observations, comments) filed, every other one correcting the report
// before it, so half replace a version.
func BenchmarkHandleORU(b *testing.B) {
	nhsNo := testNHS(1)
	benchClinical(b, func(k int64) string {
		order, status := fmt.Sprint(k), "F"
		if k%2 == 0 {
			order, status = fmt.Sprint(k-1), "C"
		}
		return strings.Join([]string{"MSH|^~\\&|LIMS|RBN|OPENCRS|RBN|20260302090000||ORU^R01^ORU_R01|L" + fmt.Sprint(k) + "|P|2.4|||AL|NE|GBR",
			"PID|1||" + nhsNo + "^^^NHS^NH",
			"OBR|1|P" + order + "|F" + order + "|FBC^Full blood count|||20260302080000||||||||||||||||||" + status,
			"NTE|1||Sample slightly haemolysed", "OBX|1|NM|HB^Haemoglobin||135|g/L|115-165|N|||" + status,
			"OBX|2|NM|WBC^White cells||11.2|10*9/L|4-11|H|||" + status, "NTE|1||Repeat in one week",
			"OBR|2|Q" + order + "|G" + order + "|UE^Urea and electrolytes|||20260302080000||||||||||||||||||" + status,
			"OBX|1|NM|NA^Sodium||138|mmol/L|133-146|N|||" + status, "OBX|2|NM|K^Potassium||4.1|mmol/L|3.5-5.3|N|||" + status,
			"OBX|3|NM|UREA^Urea||6.0|mmol/L|2.5-7.8|N|||" + status}, "\r") + "\r"
	})
}

// BenchmarkHandleMDMPDF measures discharge summaries of a 100 KB PDF
// filed as documents.
func BenchmarkHandleMDMPDF(b *testing.B) {
	nhsNo := testNHS(1)
	pdf := base64.StdEncoding.EncodeToString([]byte("%PDF-1.4\n" + strings.Repeat("synthetic discharge summary text ", 3100) + "\n%%EOF\n"))
	benchClinical(b, func(k int64) string {
		return strings.Join([]string{"MSH|^~\\&|LIMS|RBN|OPENCRS|RBN|20260302090000||MDM^T02^MDM_T02|D" + fmt.Sprint(k) + "|P|2.4|||AL|NE|GBR",
			"EVN|T02|20260302090000", "PID|1||" + nhsNo + "^^^NHS^NH",
			"TXA|1|DS^Discharge summary||20260302090000|||||C1234567^GREY^ANN|||DOC-" + fmt.Sprint(k) + "|||||AU",
			"OBX|1|ED|PDF^Discharge summary||^application^pdf^Base64^" + pdf + "||||||F"}, "\r") + "\r"
	})
}
