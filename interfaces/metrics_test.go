package interfaces

import (
	"bufio"
	"context"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/hl7"
	"github.com/opencrs/crs/store/storetest"
)

// TestMetricsInbound sends real messages over MLLP to an engine on
// SQLite, some accepted and some not, and reads /metrics as Prometheus
// would.
func TestMetricsInbound(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, storetest.OpenSQLite(t, nil), "RXX")
	// A destination whose sender is not started (the engine is not), so
	// every change stays queued for it.
	d := &crs.Destination{Name: "RIS", Addr: "127.0.0.1:9", ReceivingApplication: "RIS", ReceivingFacility: "RXX"}
	if err := f.e.AddDestination(ctx, f.trust.System, d); err != nil {
		t.Fatalf("add destination: %v", err)
	}

	n0, n1 := testNHS(0), testNHS(1)
	sends := []struct {
		name, msg, want string
	}{
		{"register", adtMsg("A28", "M1", "RXX", pidSeg(n0, "R100", "RXX", "SMITH", "ANNE", "19800101")), hl7.AA},
		{"register another", adtMsg("A28", "M2", "RXX", pidSeg(n1, "R101", "RXX", "JONES", "MARY", "19700101")), hl7.AA},
		{"update", adtMsg("A31", "M3", "RXX", pidSeg(n0, "R100", "RXX", "SMYTHE", "ANNE", "19800101")), hl7.AA},
		{"bad NHS number", adtMsg("A28", "M4", "RXX", pidSeg("9990000019", "", "RXX", "BROWN", "JO", "19900101")), hl7.AE},
		{"unknown sender", strings.Replace(adtMsg("A28", "M5", "RXX", pidSeg(testNHS(2), "R103", "RXX", "GREEN", "AL", "19900101")), "|PAS|RXX|", "|LAB|ZZZ|", 1), hl7.AR},
		{"unknown type with a quote", msh("PAS", "RXX", "RXX", `ZZ"Q^Z01`, "M6") + "\r", hl7.AR},
		{"unreadable", "this is not HL7\r", hl7.AR},
	}
	for _, s := range sends {
		ack, raw := f.send(t, s.msg)
		if ack.Code != s.want {
			t.Fatalf("%s: ACK %s; want %s\n%s", s.name, ack.Code, s.want, raw)
		}
	}

	rec := httptest.NewRecorder()
	f.e.Metrics.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != 200 {
		t.Fatalf("GET /metrics: status %d; want 200", rec.Code)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Errorf("Content-Type %q; want text/plain; version=0.0.4", ct)
	}
	body := rec.Body.String()
	samples := parseExposition(t, body)

	wantIn := map[string]float64{
		`crs_hl7_messages_in_total{type="ADT^A28",outcome="AA"}`:    2,
		`crs_hl7_messages_in_total{type="ADT^A31",outcome="AA"}`:    1,
		`crs_hl7_messages_in_total{type="ADT^A28",outcome="AE"}`:    1,
		`crs_hl7_messages_in_total{type="ADT^A28",outcome="AR"}`:    1,
		`crs_hl7_messages_in_total{type="other",outcome="AR"}`:      1, // ZZ"Q^Z01: a sender-made type is not a label
		`crs_hl7_messages_in_total{type="unreadable",outcome="AR"}`: 1,
	}
	for k, v := range samples {
		if strings.HasPrefix(k, "crs_hl7_messages_in_total") {
			if _, ok := wantIn[k]; !ok {
				t.Errorf("unexpected series %s %v", k, v)
			}
		}
		if strings.HasPrefix(k, "crs_hl7_messages_out_total") || strings.Contains(k, `direction="out"`) {
			t.Errorf("series %s %v; want nothing sent out, the engine is not started", k, v)
		}
	}
	for k, want := range wantIn {
		if got, ok := samples[k]; !ok || got != want {
			t.Errorf("%s = %v (present %v); want %v", k, got, ok, want)
		}
	}

	// The ACK latency histogram of inbound messages: cumulative buckets
	// ending in +Inf, equal to the count of messages answered.
	total := float64(len(sends))
	prev := -1.0
	prevLE := 0.0
	buckets := 0
	for _, le := range bucketBounds(body, `crs_hl7_ack_latency_seconds_bucket{direction="in",le="`) {
		v, ok := samples[`crs_hl7_ack_latency_seconds_bucket{direction="in",le="`+le+`"}`]
		if !ok {
			t.Fatalf("bucket le=%s missing", le)
		}
		if v < prev {
			t.Errorf("bucket le=%s = %v, below the previous %v; buckets must be cumulative", le, v, prev)
		}
		b, err := strconv.ParseFloat(le, 64)
		if err != nil {
			t.Errorf("bucket bound le=%q: %v", le, err)
		}
		if buckets > 0 && b <= prevLE {
			t.Errorf("bucket bound le=%s after %v; want increasing bounds", le, prevLE)
		}
		prev, prevLE = v, b
		buckets++
	}
	if buckets < 5 {
		t.Errorf("%d latency buckets; want a histogram of several", buckets)
	}
	if got := samples[`crs_hl7_ack_latency_seconds_bucket{direction="in",le="+Inf"}`]; got != total {
		t.Errorf(`bucket le="+Inf" = %v; want %v`, got, total)
	}
	if got := samples[`crs_hl7_ack_latency_seconds_count{direction="in"}`]; got != total {
		t.Errorf("latency count = %v; want %v", got, total)
	}
	if sum, ok := samples[`crs_hl7_ack_latency_seconds_sum{direction="in"}`]; !ok || sum <= 0 || sum > 60*total {
		t.Errorf("latency sum = %v (present %v); want a positive number of seconds", sum, ok)
	}
	if prev > total {
		t.Errorf("last finite bucket %v above the count %v", prev, total)
	}

	// The queue depth gauge says what the store holds for the destination.
	want, err := f.db.QueueDepth(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want == 0 {
		t.Fatalf("nothing queued for %s after the accepted messages; the test needs some", d.Name)
	}
	if got, ok := samples[`crs_hl7_queue_depth{trust="RXX",destination="RIS"}`]; !ok || got != float64(want) {
		t.Errorf(`crs_hl7_queue_depth{trust="RXX",destination="RIS"} = %v (present %v); want %d`, got, ok, want)
	}
}

// TestMetricsEmpty checks that a new engine's metrics are valid and
// declare every metric, with no samples yet.
func TestMetricsEmpty(t *testing.T) {
	rec := httptest.NewRecorder()
	NewMetrics().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	samples := parseExposition(t, rec.Body.String())
	if len(samples) != 0 {
		t.Errorf("samples %v; want none", samples)
	}
	for _, name := range []string{"crs_hl7_messages_in_total counter", "crs_hl7_messages_out_total counter", "crs_hl7_ack_latency_seconds histogram", "crs_hl7_queue_depth gauge"} {
		if !strings.Contains(rec.Body.String(), "# TYPE "+name+"\n") {
			t.Errorf("no # TYPE %s in\n%s", name, rec.Body.String())
		}
	}
}

var (
	helpLine   = regexp.MustCompile(`^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) \S.*$`)
	typeLine   = regexp.MustCompile(`^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$`)
	sampleLine = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*")*\})? (\S+)$`)
)

// parseExposition checks that text is in the Prometheus text format,
// version 0.0.4 (every line a # HELP, a # TYPE or a sample; each sample
// of a metric declared by # TYPE before it; no series twice) and returns
// the samples by series: name{labels} as written.
func parseExposition(t *testing.T, text string) map[string]float64 {
	t.Helper()
	if text != "" && !strings.HasSuffix(text, "\n") {
		t.Errorf("exposition does not end with a line feed")
	}
	typ := map[string]string{}
	samples := map[string]float64{}
	sc := bufio.NewScanner(strings.NewReader(text))
	for n := 1; sc.Scan(); n++ {
		ln := sc.Text()
		if m := helpLine.FindStringSubmatch(ln); m != nil {
			continue
		}
		if m := typeLine.FindStringSubmatch(ln); m != nil {
			if _, dup := typ[m[1]]; dup {
				t.Errorf("line %d: second # TYPE for %s", n, m[1])
			}
			typ[m[1]] = m[2]
			continue
		}
		m := sampleLine.FindStringSubmatch(ln)
		if m == nil {
			t.Errorf("line %d is not a comment or a sample: %q", n, ln)
			continue
		}
		name, series := m[1], m[1]+m[2]
		v, err := strconv.ParseFloat(m[3], 64)
		if err != nil {
			t.Errorf("line %d: value %q: %v", n, m[3], err)
		}
		family := name
		if typ[name] == "" {
			for _, suffix := range []string{"_bucket", "_sum", "_count"} {
				if base, ok := strings.CutSuffix(name, suffix); ok && typ[base] == "histogram" {
					family = base
				}
			}
		}
		if typ[family] == "" {
			t.Errorf("line %d: sample of %s before its # TYPE", n, name)
		}
		if typ[family] == "histogram" && name == family {
			t.Errorf("line %d: histogram sample %s without _bucket, _sum or _count", n, name)
		}
		if strings.HasSuffix(name, "_bucket") && !strings.Contains(m[2], `le="`) {
			t.Errorf("line %d: bucket without le: %q", n, ln)
		}
		if _, dup := samples[series]; dup {
			t.Errorf("line %d: series %s twice", n, series)
		}
		samples[series] = v
	}
	return samples
}

// bucketBounds returns the le values of the finite buckets that follow
// prefix in text, in the order written.
func bucketBounds(text, prefix string) []string {
	var out []string
	for _, ln := range strings.Split(text, "\n") {
		if rest, ok := strings.CutPrefix(ln, prefix); ok {
			le, _, _ := strings.Cut(rest, `"`)
			if le != "+Inf" {
				out = append(out, le)
			}
		}
	}
	return out
}
