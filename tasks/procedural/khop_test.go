package procedural

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// parseTable recovers f from the table tokens of a khop document.
func parseTable(t *testing.T, g KHop, toks []string) []int {
	t.Helper()
	f := make([]int, g.N)
	for i := range f {
		f[i] = -1
	}
	for _, tok := range toks[1 : 1+g.N] {
		var x, y int
		if _, err := fmt.Sscanf(tok, "<p%d_%d>", &x, &y); err != nil {
			t.Fatalf("table token %q: %v", tok, err)
		}
		if f[x] != -1 {
			t.Fatalf("symbol %d listed twice in the table", x)
		}
		f[x] = y
	}
	return f
}

func TestKHopDocs(t *testing.T) {
	g := NewKHop()
	vocab := map[string]bool{}
	for _, v := range g.Vocabulary() {
		if vocab[v] {
			t.Fatalf("duplicate vocabulary token %q", v)
		}
		vocab[v] = true
	}
	if want := 2 + g.N + g.N*g.N + g.N*g.K; len(vocab) != want {
		t.Fatalf("vocabulary has %d tokens, want %d", len(vocab), want)
	}
	for _, split := range g.Splits() {
		hopCount := map[int]int{}
		for i := 0; i < 300; i++ {
			d, err := g.Doc(split, 7, i)
			if err != nil {
				t.Fatal(err)
			}
			toks := d["tokens"].([]string)
			if len(toks) != 2+g.N+g.Q || toks[0] != "<bos>" || toks[1+g.N] != "<sep>" {
				t.Fatalf("%s doc %d: bad layout %v", split, i, toks)
			}
			for _, tok := range toks {
				if !vocab[tok] {
					t.Fatalf("%s doc %d: token %q outside the vocabulary", split, i, tok)
				}
			}
			if d["text"] != strings.Join(toks, "") || d["prompt"] != d["text"] {
				t.Fatalf("%s doc %d: text/prompt do not match tokens", split, i)
			}
			f := parseTable(t, g, toks)
			// f is a single N-cycle.
			x, n := 0, 0
			for {
				x = f[x]
				n++
				if x == 0 {
					break
				}
				if n > g.N {
					t.Fatalf("%s doc %d: f is not a permutation", split, i)
				}
			}
			if n != g.N {
				t.Fatalf("%s doc %d: f has a cycle of length %d, want %d", split, i, n, g.N)
			}
			targets := d["targets"].([]string)
			hops := d["query_hops"].([]int)
			for q := 0; q < g.Q; q++ {
				var y, k int
				if _, err := fmt.Sscanf(toks[2+g.N+q], "<q%d_%d>", &y, &k); err != nil {
					t.Fatal(err)
				}
				if k != hops[q] || k < 1 || k > g.K {
					t.Fatalf("%s doc %d query %d: hops %d vs token %d", split, i, q, hops[q], k)
				}
				for j := 0; j < k; j++ {
					y = f[y]
				}
				if targets[q] != symTok(y) {
					t.Fatalf("%s doc %d query %d: target %s, want %s", split, i, q, targets[q], symTok(y))
				}
			}
			if d["answer"] != targets[g.Q-1] || d["hops"] != hops[g.Q-1] || d["hops"] != 1+i%g.K {
				t.Fatalf("%s doc %d: answer/hops fields do not describe the last query", split, i)
			}
			choices := d["choices"].([]string)
			if choices[d["gold"].(int)] != d["answer"] {
				t.Fatalf("%s doc %d: gold does not index the answer", split, i)
			}
			hopCount[d["hops"].(int)]++
		}
		for k := 1; k <= g.K; k++ {
			if hopCount[k] != 300/g.K {
				t.Errorf("%s: %d documents with %d hops, want %d", split, hopCount[k], k, 300/g.K)
			}
		}
	}
}

func TestKHopDeterministicAndIndependentOfCount(t *testing.T) {
	g := NewKHop()
	for _, i := range []int{0, 1, 17, 1000} {
		a, err := g.Doc("test", 3, i)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := g.Doc("test", 3, i)
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("doc %d differs between calls", i)
		}
		c, _ := g.Doc("test", 4, i)
		if reflect.DeepEqual(a["tokens"], c["tokens"]) {
			t.Fatalf("doc %d identical under seeds 3 and 4", i)
		}
		tr, _ := g.Doc("train", 3, i)
		if reflect.DeepEqual(a["tokens"], tr["tokens"]) {
			t.Fatalf("doc %d identical in train and test", i)
		}
	}
}

func TestKHopSplitsDisjoint(t *testing.T) {
	g := NewKHop()
	n := 3000
	if testing.Short() {
		n = 500
	}
	key := func(f []int) string { return fmt.Sprint(f) }
	train := map[string]bool{}
	for seed := uint64(0); seed < 2; seed++ {
		for i := 0; i < n; i++ {
			d, err := g.Doc("train", seed, i)
			if err != nil {
				t.Fatal(err)
			}
			f := parseTable(t, g, d["tokens"].([]string))
			if tableHash(f)&1 != 0 {
				t.Fatalf("train doc %d: table in the test half", i)
			}
			train[key(f)] = true
		}
	}
	for i := 0; i < n; i++ {
		d, err := g.Doc("test", 0, i)
		if err != nil {
			t.Fatal(err)
		}
		f := parseTable(t, g, d["tokens"].([]string))
		if tableHash(f)&1 != 1 || train[key(f)] {
			t.Fatalf("test doc %d: table %v can occur in train", i, f)
		}
	}
}

func TestKHopErrors(t *testing.T) {
	cases := []struct {
		g     KHop
		split string
		i     int
		want  string
	}{
		{NewKHop(), "valid", 0, "unknown split"},
		{NewKHop(), "test", -1, "index -1"},
		{KHop{N: 1, K: 1, Q: 1}, "test", 0, "N = 1"},
		{KHop{N: 5, K: 5, Q: 1}, "test", 0, "K = 5"},
		{KHop{N: 5, K: 2, Q: 0}, "test", 0, "Q = 0"},
	}
	for _, c := range cases {
		_, err := c.g.Doc(c.split, 0, c.i)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v %q %d: error %v, want one containing %q", c.g, c.split, c.i, err, c.want)
		}
	}
}

func TestKHopLookup(t *testing.T) {
	g, err := Lookup("khop")
	if err != nil {
		t.Fatal(err)
	}
	if g.Name() != "khop" || !reflect.DeepEqual(g.Splits(), []string{"train", "test"}) || g.Description() == "" {
		t.Fatalf("unexpected generator %+v", g)
	}
}
