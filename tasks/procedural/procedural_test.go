package procedural

import (
	"bufio"
	"bytes"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestBuiltinsRegistered(t *testing.T) {
	var names []string
	for _, g := range All() {
		names = append(names, g.Name())
	}
	for _, want := range []string{"capo", "mano", "multihop"} {
		if !strings.Contains(strings.Join(names, ","), want) {
			t.Errorf("generator %s not registered (have %v)", want, names)
		}
	}
	if _, err := Lookup("nope"); err == nil || !strings.Contains(err.Error(), "mano") {
		t.Errorf("Lookup(nope) = %v", err)
	}
}

// evalPrefix evaluates a prefix expression mod m independently of the
// generator.
func evalPrefix(t *testing.T, toks []string, m int) (int, []string) {
	t.Helper()
	if len(toks) == 0 {
		t.Fatal("truncated expression")
	}
	switch toks[0] {
	case "+", "-", "*":
		a, rest := evalPrefix(t, toks[1:], m)
		b, rest := evalPrefix(t, rest, m)
		switch toks[0] {
		case "+":
			return (a + b) % m, rest
		case "-":
			return ((a-b)%m + m) % m, rest
		}
		return a * b % m, rest
	}
	v, err := strconv.Atoi(toks[0])
	if err != nil || v < 0 || v >= m {
		t.Fatalf("bad operand %q", toks[0])
	}
	return v, toks[1:]
}

func TestManoCorrectAndDisjoint(t *testing.T) {
	g := NewMano()
	seen := map[string]string{}
	byDiff := map[int]int{}
	for _, split := range []string{"train", "test"} {
		for seed := uint64(0); seed < 3; seed++ {
			for i := 0; i < 400; i++ {
				d, err := g.Doc(split, seed, i)
				if err != nil {
					t.Fatal(err)
				}
				expr := d["expr"].(string)
				toks := strings.Fields(expr)
				v, rest := evalPrefix(t, toks, 23)
				if len(rest) != 0 || v != d["answer"].(int) {
					t.Fatalf("%s: generator says %v, evaluation %d (rest %v)", expr, d["answer"], v, rest)
				}
				ops := 0
				for _, tk := range toks {
					if tk == "+" || tk == "-" || tk == "*" {
						ops++
					}
				}
				if ops != d["difficulty"].(int) || d["text"] != expr+" = "+strconv.Itoa(v) {
					t.Fatalf("doc %v: ops %d", d, ops)
				}
				if prev, ok := seen[expr]; ok && prev != split {
					t.Fatalf("expression %q in both %s and %s", expr, prev, split)
				}
				seen[expr] = split
				if split == "test" {
					byDiff[ops]++
				}
			}
		}
	}
	for k := 1; k <= 8; k++ {
		if byDiff[k] < 50 {
			t.Errorf("difficulty %d has only %d test docs of 1200", k, byDiff[k])
		}
	}
}

func TestDeterministicAndIndexIndependent(t *testing.T) {
	for _, g := range All() {
		for _, split := range g.Splits() {
			a, err := g.Doc(split, 7, 42)
			if err != nil {
				t.Fatal(err)
			}
			// A fresh generator, other documents generated first.
			g2, _ := Lookup(g.Name())
			for i := 0; i < 5; i++ {
				g2.Doc(split, 7, i)
			}
			b, _ := g2.Doc(split, 7, 42)
			if !reflect.DeepEqual(a, b) {
				t.Errorf("%s/%s doc 42 differs: %v vs %v", g.Name(), split, a, b)
			}
			c, _ := g.Doc(split, 8, 42)
			if reflect.DeepEqual(a, c) && g.Name() != "capo" {
				t.Errorf("%s/%s: seed does not change doc 42", g.Name(), split)
			}
		}
	}
}

func TestMultihopAnswersFollowGraph(t *testing.T) {
	g := NewMultihop()
	w := g.world()
	index := map[string][2]int{}
	for l, layer := range w.names {
		for e, n := range layer {
			if _, dup := index[n]; dup {
				t.Fatalf("name %s used twice", n)
			}
			index[n] = [2]int{l, e}
		}
	}
	rel := map[string]int{}
	for i, r := range relationNames {
		rel[r] = i
	}
	seen := map[string]string{}
	for _, split := range []string{"train", "test"} {
		for i := 0; i < 500; i++ {
			d, err := g.Doc(split, 1, i)
			if err != nil {
				t.Fatal(err)
			}
			q := d["question"].(string)
			if prev, ok := seen[q]; ok && prev != split {
				t.Fatalf("question %q in both splits", q)
			}
			seen[q] = split
			body := strings.TrimSuffix(strings.TrimPrefix(q, "Who is the "), "?")
			parts := strings.Split(body, " of ")
			name := parts[len(parts)-1]
			rels := parts[:len(parts)-1]
			pos := index[name]
			for k := len(rels) - 1; k >= 0; k-- {
				r := strings.TrimPrefix(rels[k], "the ")
				pos = [2]int{pos[0] + 1, int(w.edges[rel[r]][pos[0]][pos[1]])}
			}
			if got := w.names[pos[0]][pos[1]]; got != d["answer"] || len(rels) != d["hops"].(int) {
				t.Fatalf("%q: answer %v, graph says %s (hops %v)", q, d["answer"], got, d["hops"])
			}
			ch := d["choices"].([]any)
			if len(ch) != 4 || ch[d["gold"].(int)] != d["answer"] {
				t.Fatalf("choices %v gold %v", ch, d["gold"])
			}
		}
	}
}

func TestCapoSplits(t *testing.T) {
	g := NewCapo()
	bios := map[string]bool{}
	for i := 0; i < 2000; i++ {
		d, err := g.Doc("train", 0, i)
		if err != nil {
			t.Fatal(err)
		}
		text := d["text"].(string)
		if strings.Contains(text, "?") || !strings.HasPrefix(text, d["name"].(string)+" ") {
			t.Fatalf("biography %q", text)
		}
		for _, a := range capoAttributes {
			if !strings.Contains(text, d[a].(string)) {
				t.Fatalf("biography %q lacks %s %q", text, a, d[a])
			}
		}
		bios[text] = true
	}
	// Every question's answer is the attribute stated in that person's biography.
	for i := 0; i < 500; i++ {
		q, err := g.Doc("test", 0, i)
		if err != nil {
			t.Fatal(err)
		}
		bio, _ := g.Doc("train", 0, q["person"].(int))
		if bio[q["attribute"].(string)] != q["answer"] || bio["name"] != q["name"] {
			t.Fatalf("question %v does not match biography %v", q, bio)
		}
		if bios[q["text"].(string)] {
			t.Fatalf("test text %q occurs in train", q["text"])
		}
		ch := q["choices"].([]any)
		if len(ch) != 4 || ch[q["gold"].(int)] != q["answer"] {
			t.Fatalf("choices %v gold %v", ch, q["gold"])
		}
	}
}

func TestConfigure(t *testing.T) {
	cases := []struct {
		g    Generator
		kw   map[string]any
		want string
	}{
		{NewMano(), map[string]any{"max_ops": 2, "modulus": 7}, ""},
		{NewMano(), map[string]any{"max_ops": 0}, "max_ops must be in"},
		{NewMano(), map[string]any{"maxops": 2}, "unknown dataset_kwargs maxops"},
		{NewMultihop(), map[string]any{"layers": 3, "max_hops": 2, "per_layer": 10}, ""},
		{NewMultihop(), map[string]any{"layers": 3, "max_hops": 3}, "max_hops must be in"},
		{NewCapo(), map[string]any{"people": 10}, ""},
		{NewCapo(), map[string]any{"people": "many"}, "people must be an integer"},
	}
	for _, c := range cases {
		g, err := c.g.(Configurable).Configure(c.kw)
		if c.want != "" {
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%s %v: err %v, want %q", c.g.Name(), c.kw, err, c.want)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 50; i++ {
			if _, err := g.Doc("test", 0, i); err != nil {
				t.Fatalf("%s %v: %v", c.g.Name(), c.kw, err)
			}
		}
	}
	m, _ := NewMano().Configure(map[string]any{"max_ops": 2, "modulus": 7})
	d, _ := m.Doc("train", 0, 0)
	if d["difficulty"].(int) > 2 || d["answer"].(int) >= 7 {
		t.Errorf("configured mano doc %v", d)
	}
	if _, err := NewMano().Doc("dev", 0, 0); err == nil {
		t.Error("unknown split: want error")
	}
	if _, err := NewMano().Doc("test", 0, -1); err == nil {
		t.Error("negative index: want error")
	}
}

func TestDump(t *testing.T) {
	var b bytes.Buffer
	if err := Dump(&b, NewMano(), "train", 5, 3); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(&b)
	n := 0
	for sc.Scan() {
		line := sc.Text()
		want, _ := NewMano().Doc("train", 3, n)
		var got map[string]any
		if err := json.Unmarshal([]byte(line), &got); err != nil {
			t.Fatal(err)
		}
		if got["expr"] != want["expr"] || got["answer"].(float64) != float64(want["answer"].(int)) {
			t.Errorf("line %d %s vs %v", n, line, want)
		}
		if !strings.HasPrefix(line, `{"answer":`) || !strings.Contains(line, `"difficulty":`) {
			t.Errorf("keys not sorted: %s", line)
		}
		n++
	}
	if n != 5 {
		t.Errorf("%d lines, want 5", n)
	}
	if err := Dump(&b, NewMano(), "nope", 1, 0); err == nil {
		t.Error("bad split: want error")
	}
}
