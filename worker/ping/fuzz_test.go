package ping

import (
	"os"
	"testing"
)

// FuzzParse feeds every platform's parser arbitrary text, seeded with the
// samples in testdata, and checks that it neither panics nor breaks the
// Result invariants. Inputs it found are kept in testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	for _, files := range goldenFiles(f) {
		for _, file := range files {
			in, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(string(in))
		}
	}
	f.Add("Success rate is 100 percent (0/0)")
	f.Add("5 packets transmitted, 7 received")
	f.Add("Success rate is 0 percent (99999999999999999999/1)")
	f.Fuzz(func(t *testing.T, output string) {
		for _, p := range Platforms() {
			r, err := Parse(p, output)
			if err != nil {
				t.Fatalf("Parse(%s): %v", p, err)
			}
			checkInvariants(t, r)
		}
	})
}
