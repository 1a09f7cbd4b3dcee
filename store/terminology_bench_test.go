package store_test

import (
	"context"
	"fmt"
	"math/rand"
	"strconv"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/nhs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// syntheticRelease makes n concepts with terms of three words drawn from
// a vocabulary of 3,000 made-up words and one synonym each: the shape of
// a national release (about 350,000 active concepts) at a smaller size.
func syntheticRelease(n int) []nhs.Concept {
	rng := rand.New(rand.NewSource(1))
	syll := []string{"ar", "bo", "cal", "den", "ex", "fer", "gan", "hyp", "in", "lo", "mel", "nos", "os", "pul", "rhe", "sar", "tox", "ur", "vas", "zy"}
	vocab := make([]string, 3000)
	for i := range vocab {
		vocab[i] = syll[rng.Intn(len(syll))] + syll[rng.Intn(len(syll))] + syll[rng.Intn(len(syll))] + strconv.Itoa(i%7)
	}
	word := func() string { return vocab[rng.Intn(len(vocab))] }
	tags := []string{"disorder", "finding", "substance", "procedure"}
	out := make([]nhs.Concept, n)
	for i := range out {
		term := word() + " " + word() + " " + word()
		out[i] = nhs.Concept{ID: strconv.Itoa(100000000 + i), Term: term, FSN: term + " (" + tags[i%len(tags)] + ")", Synonyms: []string{word() + " " + word()}}
	}
	return out
}

// BenchmarkSNOMEDLoad loads a release of 20,000 concepts into SQLite;
// concepts/s is the rate.
func BenchmarkSNOMEDLoad(b *testing.B) {
	ctx := context.Background()
	db := storetest.OpenSQLite(b, nil)
	tr := storetest.NewTrust(b, db, "RBT")
	ts := store.NewTerminologyService(db)
	release := syntheticRelease(20000)
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if _, err := ts.LoadSNOMED(ctx, tr.System, release); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(release)*b.N)/time.Since(start).Seconds(), "concepts/s")
}

// BenchmarkSNOMEDSearch searches a release of 100,000 concepts in SQLite
// as a clinician types: one word of three letters, then two words.
func BenchmarkSNOMEDSearch(b *testing.B) {
	ctx := context.Background()
	db := storetest.OpenSQLite(b, nil)
	tr := storetest.NewTrust(b, db, "RBT")
	ts := store.NewTerminologyService(db)
	release := syntheticRelease(100000)
	if _, err := ts.LoadSNOMED(ctx, tr.System, release); err != nil {
		b.Fatal(err)
	}
	doctor := tr.Actor(crs.RoleDoctor)
	for _, q := range []struct {
		name, text string
		kind       crs.ConceptKind
	}{
		{"one-word", release[7].Term[:3], crs.ConceptAny},
		{"two-words", release[8].Term[:len(release[8].Term)-4], crs.ConceptProblem},
	} {
		b.Run(q.name, func(b *testing.B) {
			found := 0
			for i := 0; i < b.N; i++ {
				got, err := ts.SearchConcepts(ctx, doctor, q.text, q.kind, 15)
				if err != nil {
					b.Fatal(err)
				}
				found = len(got)
			}
			if found == 0 {
				b.Fatal(fmt.Sprintf("%q found nothing", q.text))
			}
		})
	}
}
