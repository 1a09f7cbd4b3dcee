package interfaces

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Metrics counts the engine's messages for Prometheus: messages in and
// out by type and outcome, the time to acknowledge them, and each
// destination's queue depth. ServeHTTP writes them in the Prometheus
// text exposition format (version 0.0.4); mount it at /metrics.
//
// Labels are bounded and stable: a destination is named by its trust's
// ODS code and its name, unique within the trust (trust="RXX",
// destination="RIS"), and a message type the sender made up is counted
// as "other".
type Metrics struct {
	mu      sync.Mutex
	in      map[[2]string]uint64 // type, outcome
	out     map[[4]string]uint64 // trust, destination, type, outcome
	latency map[string]*histogram
	depth   func(ctx context.Context) map[feedKey]int
}

// feedKey names a destination in the metrics: its trust's ODS code and
// its name.
type feedKey struct{ Trust, Destination string }

// latencyBuckets are the upper bounds, in seconds, of the ACK latency
// histogram.
var latencyBuckets = []float64{0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}

type histogram struct {
	counts []uint64 // per bucket, not cumulative
	sum    float64
	n      uint64
}

// NewMetrics returns empty counters.
func NewMetrics() *Metrics {
	return &Metrics{in: map[[2]string]uint64{}, out: map[[4]string]uint64{}, latency: map[string]*histogram{}}
}

func (m *Metrics) observe(direction string, d time.Duration) {
	h := m.latency[direction]
	if h == nil {
		h = &histogram{counts: make([]uint64, len(latencyBuckets))}
		m.latency[direction] = h
	}
	s := d.Seconds()
	for i, b := range latencyBuckets {
		if s <= b {
			h.counts[i]++
			break
		}
	}
	h.sum += s
	h.n++
}

// inbound counts one inbound message answered with code after d.
func (m *Metrics) inbound(typ, code string, d time.Duration) {
	if typ != "unreadable" && !typeLabel.MatchString(typ) {
		typ = "other" // the label comes from the sender: keep the series bounded
	}
	m.mu.Lock()
	m.in[[2]string{typ, code}]++
	m.observe("in", d)
	m.mu.Unlock()
}

// typeLabel is the shape of a message type the metrics keep as a label,
// such as ADT^A01; anything else is counted as "other".
var typeLabel = regexp.MustCompile(`^[A-Z][A-Z0-9]{2}\^[A-Z0-9]{3}$`)

// outbound counts one try at sending a message to a destination.
func (m *Metrics) outbound(dest feedKey, typ, code, status string, d time.Duration) {
	outcome := code
	if outcome == "" {
		outcome = "no_ack"
	}
	m.mu.Lock()
	m.out[[4]string{dest.Trust, dest.Destination, typ, outcome}]++
	if code != "" {
		m.observe("out", d)
	}
	m.mu.Unlock()
}

// ServeHTTP writes the metrics.
func (m *Metrics) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	m.WriteTo(r.Context(), w)
}

// WriteTo writes the metrics in the text exposition format.
func (m *Metrics) WriteTo(ctx context.Context, w io.Writer) {
	var depth map[feedKey]int
	if m.depth != nil {
		depth = m.depth(ctx)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var b strings.Builder
	b.WriteString("# HELP crs_hl7_messages_in_total HL7 messages received, by message type and acknowledgement code.\n# TYPE crs_hl7_messages_in_total counter\n")
	keys2 := make([][2]string, 0, len(m.in))
	for k := range m.in {
		keys2 = append(keys2, k)
	}
	sort.Slice(keys2, func(i, j int) bool { return keys2[i][0]+"\x00"+keys2[i][1] < keys2[j][0]+"\x00"+keys2[j][1] })
	for _, k := range keys2 {
		fmt.Fprintf(&b, "crs_hl7_messages_in_total{type=%s,outcome=%s} %d\n", q(k[0]), q(k[1]), m.in[k])
	}
	b.WriteString("# HELP crs_hl7_messages_out_total Tries at sending HL7 messages, by trust, destination, message type and acknowledgement code (no_ack when none came).\n# TYPE crs_hl7_messages_out_total counter\n")
	keys4 := make([][4]string, 0, len(m.out))
	for k := range m.out {
		keys4 = append(keys4, k)
	}
	sort.Slice(keys4, func(i, j int) bool { return strings.Join(keys4[i][:], "\x00") < strings.Join(keys4[j][:], "\x00") })
	for _, k := range keys4 {
		fmt.Fprintf(&b, "crs_hl7_messages_out_total{trust=%s,destination=%s,type=%s,outcome=%s} %d\n", q(k[0]), q(k[1]), q(k[2]), q(k[3]), m.out[k])
	}
	b.WriteString("# HELP crs_hl7_ack_latency_seconds Time from receiving a message to sending its ACK (in), or from sending a message to its ACK (out).\n# TYPE crs_hl7_ack_latency_seconds histogram\n")
	dirs := make([]string, 0, len(m.latency))
	for d := range m.latency {
		dirs = append(dirs, d)
	}
	sort.Strings(dirs)
	for _, d := range dirs {
		h := m.latency[d]
		var cum uint64
		for i, ub := range latencyBuckets {
			cum += h.counts[i]
			fmt.Fprintf(&b, "crs_hl7_ack_latency_seconds_bucket{direction=%s,le=%q} %d\n", q(d), strconv.FormatFloat(ub, 'g', -1, 64), cum)
		}
		fmt.Fprintf(&b, "crs_hl7_ack_latency_seconds_bucket{direction=%s,le=\"+Inf\"} %d\n", q(d), h.n)
		fmt.Fprintf(&b, "crs_hl7_ack_latency_seconds_sum{direction=%s} %s\n", q(d), strconv.FormatFloat(h.sum, 'g', -1, 64))
		fmt.Fprintf(&b, "crs_hl7_ack_latency_seconds_count{direction=%s} %d\n", q(d), h.n)
	}
	b.WriteString("# HELP crs_hl7_queue_depth Messages waiting in each destination's outbound queue, by trust and destination.\n# TYPE crs_hl7_queue_depth gauge\n")
	feeds := make([]feedKey, 0, len(depth))
	for k := range depth {
		feeds = append(feeds, k)
	}
	sort.Slice(feeds, func(i, j int) bool {
		return feeds[i].Trust < feeds[j].Trust || feeds[i].Trust == feeds[j].Trust && feeds[i].Destination < feeds[j].Destination
	})
	for _, k := range feeds {
		fmt.Fprintf(&b, "crs_hl7_queue_depth{trust=%s,destination=%s} %d\n", q(k.Trust), q(k.Destination), depth[k])
	}
	io.WriteString(w, b.String())
}

// q quotes a label value as the exposition format wants: backslash,
// double quote and line feed escaped.
func q(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s) + `"`
}
