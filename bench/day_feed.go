package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/demo"
	"github.com/opencrs/crs/hl7"
	"github.com/opencrs/crs/mllp"
)

// feed is the PAS's inbound ADT feed of the busy hour: FeedRate messages
// a second spread over FeedConns MLLP connections, each message due at
// its own time from start whatever the server's pace (open loop), each
// connection waiting for one ACK before it sends the next. A message's
// latency runs from when it was due to its ACK, so time spent queued
// behind a slow answer counts. Each connection has its own patients,
// whose messages it sends in order: registered (A28), updated (A08),
// admitted (A01), moved to another ward (A02) and discharged (A03).
func (d *dayRun) feed(ctx context.Context, start time.Time) DayFeed {
	o := d.opts
	interval := time.Duration(float64(time.Second) / o.FeedRate)
	gen := demo.NewGenerator(d.trust.NHSSeed)
	for i := 0; i < d.trust.NHSUsed; i++ {
		gen.NHSNumber()
	}
	run := strconv.FormatInt(time.Now().UnixMilli()%1_000_000_000, 36) // message and hospital numbers new to every run
	var mu sync.Mutex
	f := DayFeed{Codes: map[string]int{}}
	var lat []time.Duration
	var wg sync.WaitGroup
	for c := 0; c < o.FeedConns; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pas := &dayPAS{trust: d.trust, gen: gen, genMu: &mu, run: run, conn: c, rng: rand.New(rand.NewPCG(uint64(o.Seed), uint64(1000+c)))}
			var cl *mllp.Client
			defer func() {
				if cl != nil {
					cl.Close()
				}
			}()
			for k := 0; ; k++ {
				due := start.Add(time.Duration(k*o.FeedConns+c) * interval)
				if !due.Before(d.end) || ctx.Err() != nil {
					return
				}
				if wait := time.Until(due); wait > 0 {
					time.Sleep(wait)
				}
				msg, trig := pas.next()
				var code, refused string
				var err error
				if cl == nil {
					cl, err = mllp.Dial(ctx, d.trust.MLLPAddr, mllp.WithTimeout(time.Minute))
				}
				if err == nil {
					var reply []byte
					if reply, err = cl.Send(ctx, msg); err == nil {
						var ack hl7.ACK
						if ack, err = hl7.ParseACK(reply); err == nil {
							if code = ack.Code; code != hl7.AA {
								refused = fmt.Sprintf("%s %s: %s", trig, code, ack.Text)
							}
						}
					}
				}
				took := time.Since(due)
				mu.Lock()
				f.Sent++
				if err != nil {
					f.Failed++
					if len(f.Errors) < 5 {
						f.Errors = append(f.Errors, fmt.Sprintf("%s: %v", trig, err))
					}
					if cl != nil {
						cl.Close()
						cl = nil
					}
				} else {
					f.Codes[code]++
					lat = append(lat, took)
					if refused != "" && len(f.Errors) < 5 {
						f.Errors = append(f.Errors, refused)
					}
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	s := summarise(lat)
	f.P50, f.P95, f.P99, f.Max = s.P50, s.P95, s.P99, s.Max
	f.Rate = float64(len(lat)) / time.Since(start).Seconds()
	return f
}

// dayPAS is one connection's share of the PAS: the patients it has told
// OpenCRS about, and which of them are in hospital.
type dayPAS struct {
	trust *DayTrust
	gen   *demo.Generator // shared by the connections, under genMu
	genMu *sync.Mutex
	run   string
	conn  int
	rng   *rand.Rand
	n     int // messages made

	registered []*dayFeedPatient // known, not in hospital
	admitted   []*dayFeedPatient
}

// dayFeedPatient is a patient the feed registered.
type dayFeedPatient struct {
	*crs.Patient
	visit string // the PAS's visit number of the current admission
	ward  string
}

// The mix of the feed, in percent: mostly registrations and updates.
var dayFeedMix = []dayWeight{{"A28", 30}, {"A08", 40}, {"A01", 10}, {"A02", 10}, {"A03", 10}}

// next makes the connection's next message and says its trigger event.
func (p *dayPAS) next() ([]byte, string) {
	n := p.rng.IntN(100)
	trig := "A28"
	for _, m := range dayFeedMix {
		if n -= m.weight; n < 0 {
			trig = m.action
			break
		}
	}
	switch {
	case (trig == "A02" || trig == "A03") && len(p.admitted) == 0:
		trig = "A01"
	}
	if (trig == "A08" || trig == "A01") && len(p.registered) == 0 {
		trig = "A28"
	}
	p.n++
	ctrl := fmt.Sprintf("D%s-%d-%d", p.run, p.conn, p.n)
	var pt *dayFeedPatient
	pv1 := "PV1|1|N"
	switch trig {
	case "A28":
		p.genMu.Lock()
		pt = &dayFeedPatient{Patient: p.gen.Patient()}
		p.genMu.Unlock()
		pt.MRN = fmt.Sprintf("F%s%d%06d", strings.ToUpper(p.run), p.conn, p.n)
		p.registered = append(p.registered, pt)
	case "A08":
		pt = p.registered[p.rng.IntN(len(p.registered))]
		pt.Phone = fmt.Sprintf("020 7946 %04d", p.rng.IntN(1000))
	case "A01":
		pt = p.take(&p.registered)
		p.admitted = append(p.admitted, pt)
		pt.visit, pt.ward = "V"+ctrl, p.ward("")
		sv := p.trust.Services[p.rng.IntN(len(p.trust.Services))]
		pv1 = dayPV1(map[int]string{2: "I", 3: pt.ward, 4: "E", 7: sv.Consultant, 10: sv.TreatmentFunction, 14: "1", 19: pt.visit})
	case "A02":
		pt = p.admitted[p.rng.IntN(len(p.admitted))]
		pt.ward = p.ward(pt.ward)
		pv1 = dayPV1(map[int]string{2: "I", 3: pt.ward, 19: pt.visit})
	case "A03":
		pt = p.take(&p.admitted)
		p.registered = append(p.registered, pt)
		pv1 = dayPV1(map[int]string{2: "I", 3: pt.ward, 19: pt.visit, 36: "01"})
	}
	now := hl7.FormatTime(time.Now())
	structure := map[string]string{"A28": "ADT_A05", "A08": "ADT_A01", "A01": "ADT_A01", "A02": "ADT_A02", "A03": "ADT_A03"}[trig]
	ods := p.trust.ODSCode
	msg := strings.Join([]string{
		"MSH|^~\\&|" + p.trust.SendingApplication + "|" + ods + "|OPENCRS|" + ods + "|" + now + "||ADT^" + trig + "^" + structure + "|" + ctrl + "|P|2.4|||AL|NE|GBR",
		"EVN|" + trig + "|" + now,
		dayPID(pt.Patient, ods),
		pv1,
	}, "\r") + "\r"
	return []byte(msg), trig
}

// take removes a patient chosen at random from a list and returns them.
func (p *dayPAS) take(list *[]*dayFeedPatient) *dayFeedPatient {
	l := *list
	i := p.rng.IntN(len(l))
	pt := l[i]
	l[i] = l[len(l)-1]
	*list = l[:len(l)-1]
	return pt
}

// ward picks a ward for an admission or transfer, not the one given.
func (p *dayPAS) ward(not string) string {
	for {
		w := p.trust.Wards[p.rng.IntN(len(p.trust.Wards))]
		if w != not || len(p.trust.Wards) == 1 {
			return w
		}
	}
}

// dayPID writes a patient's PID segment: NHS number and hospital
// number, name, birth date, sex, address and telephone.
func dayPID(p *crs.Patient, ods string) string {
	e := func(s string) string { return hl7.Escape(hl7.DefaultDelimiters, s) }
	ids := p.MRN + "^^^" + ods + "^MR"
	if p.NHSNumber != "" {
		ids = p.NHSNumber + "^^^NHS^NH~" + ids
	}
	sex := map[string]string{"1": "M", "2": "F"}[p.Gender]
	if sex == "" {
		sex = "U"
	}
	line := ""
	if len(p.Address.Lines) > 0 {
		line = p.Address.Lines[0]
	}
	return "PID|1||" + ids + "||" + e(p.FamilyName) + "^" + e(p.GivenName) + "||" + hl7.FormatDate(p.BirthDate.Time) + "|" + sex +
		"|||" + e(line) + "^^^^" + e(p.Address.Postcode) + "^GBR^H||" + e(p.Phone) + "^PRN^PH"
}

// dayPV1 writes a PV1 segment with the fields given by number.
func dayPV1(fields map[int]string) string {
	keys := make([]int, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	f := make([]string, keys[len(keys)-1]+1)
	f[0], f[1] = "PV1", "1"
	for n, v := range fields {
		f[n] = v
	}
	return strings.Join(f, "|")
}
