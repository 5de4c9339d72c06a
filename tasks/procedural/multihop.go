package procedural

import (
	"strings"
	"sync"
)

// relationNames are the 20 single-word relations (after Yao et al. 2025,
// Table 5 style).
var relationNames = []string{
	"instructor", "teacher", "mentor", "boss", "friend", "neighbor", "partner",
	"coach", "doctor", "lawyer", "sibling", "parent", "cousin", "rival",
	"colleague", "student", "manager", "assistant", "landlord", "banker",
}

// Multihop is k-hop relation composition over a layered random entity graph
// (the Ouro paper's §6.2 multi-hop QA, after Yao et al. 2025): Layers layers
// of PerLayer people with short made-up single-word names; each relation
// maps every person of layer l to a random person of layer l+1. A k-hop
// question starts from a person of a layer that has k layers after it:
// "Who is the instructor of the teacher of Bako?\nAnswer:" (the relation
// nearest the name is applied first).
//
// The graph is fixed by UniverseSeed (not by the document seed), so training
// dumps and evaluation sets share one world. A question's split is decided
// by a hash of (start person, relation chain): 10% test, disjoint by
// construction. Documents: question, answer, hops, choices (gold and three
// distractors from the answer's layer), gold, text.
type Multihop struct {
	Layers, PerLayer, Relations int
	MinHops, MaxHops            int
	UniverseSeed                int
	TestPerMille                int

	world func() *hopWorld
}

type hopWorld struct {
	names [][]string  // [layer][entity]
	edges [][][]int32 // [relation][layer][entity] -> entity in layer+1
}

// NewMultihop returns multihop with its defaults: 5 layers x 100 people,
// 20 relations, 1-3 hops.
func NewMultihop() *Multihop {
	m := &Multihop{Layers: 5, PerLayer: 100, Relations: 20, MinHops: 1, MaxHops: 3, TestPerMille: defaultTestPerMille}
	m.init()
	return m
}

func (m *Multihop) init() {
	cfg := *m
	m.world = sync.OnceValue(func() *hopWorld { return cfg.build() })
}

// Name implements Generator.
func (m *Multihop) Name() string { return "multihop" }

// Description implements Generator.
func (m *Multihop) Description() string {
	return "k-hop relation composition over a layered random entity graph (per hops)"
}

// Splits implements Generator.
func (m *Multihop) Splits() []string { return []string{"train", "test"} }

// Configure implements Configurable: layers, per_layer, relations,
// min_hops, max_hops, universe_seed, test_per_mille.
func (m *Multihop) Configure(kw map[string]any) (Generator, error) {
	const g = "multihop"
	if err := checkKwargs(g, kw, "layers", "per_layer", "relations", "min_hops", "max_hops", "universe_seed", "test_per_mille"); err != nil {
		return nil, err
	}
	c := &Multihop{}
	var err error
	if c.Layers, err = kwInt(g, kw, "layers", m.Layers, 2, 16); err != nil {
		return nil, err
	}
	if c.PerLayer, err = kwInt(g, kw, "per_layer", m.PerLayer, 4, 500); err != nil {
		return nil, err
	}
	if c.Relations, err = kwInt(g, kw, "relations", m.Relations, 1, len(relationNames)); err != nil {
		return nil, err
	}
	if c.MinHops, err = kwInt(g, kw, "min_hops", m.MinHops, 1, c.Layers-1); err != nil {
		return nil, err
	}
	if c.MaxHops, err = kwInt(g, kw, "max_hops", min(max(m.MaxHops, c.MinHops), c.Layers-1), c.MinHops, c.Layers-1); err != nil {
		return nil, err
	}
	if c.UniverseSeed, err = kwInt(g, kw, "universe_seed", m.UniverseSeed, 0, 1<<30); err != nil {
		return nil, err
	}
	if c.TestPerMille, err = kwInt(g, kw, "test_per_mille", m.TestPerMille, 1, 999); err != nil {
		return nil, err
	}
	c.init()
	return c, nil
}

// madeUpNames returns n distinct capitalised consonant-vowel names
// ("Bako", "Dira", ...), shuffled by r.
func madeUpNames(r *rng, n int) []string {
	const cons, vows = "bdfgklmnprstvz", "aeiou"
	var all []string
	for _, a := range cons {
		for _, b := range vows {
			for _, c := range cons {
				for _, d := range vows {
					all = append(all, strings.ToUpper(string(a))+string(b)+string(c)+string(d))
				}
			}
		}
	}
	for i := len(all) - 1; i > 0; i-- {
		j := r.intn(i + 1)
		all[i], all[j] = all[j], all[i]
	}
	if n > len(all) {
		n = len(all)
	}
	return all[:n]
}

func (m *Multihop) build() *hopWorld {
	r := rng{mix(uint64(m.UniverseSeed), strHash("multihop-world"))}
	names := madeUpNames(&r, m.Layers*m.PerLayer)
	w := &hopWorld{}
	for l := 0; l < m.Layers; l++ {
		w.names = append(w.names, names[l*m.PerLayer:(l+1)*m.PerLayer])
	}
	w.edges = make([][][]int32, m.Relations)
	for rel := range w.edges {
		w.edges[rel] = make([][]int32, m.Layers-1)
		for l := range w.edges[rel] {
			e := make([]int32, m.PerLayer)
			for k := range e {
				e[k] = int32(r.intn(m.PerLayer))
			}
			w.edges[rel][l] = e
		}
	}
	return w
}

// Doc implements Generator.
func (m *Multihop) Doc(split string, seed uint64, i int) (Doc, error) {
	if err := checkSplit("multihop", split, m.Splits(), i); err != nil {
		return nil, err
	}
	w := m.world()
	wantTest := split == "test"
	dr := rng{mix(seed, splitID(split), uint64(i), 0xd1ff)}
	hops := m.MinHops + dr.intn(m.MaxHops-m.MinHops+1)
	rels := make([]int, hops)
	for attempt := 0; attempt < maxAttempts; attempt++ {
		r := rng{mix(seed, splitID(split), uint64(i), uint64(attempt)+1)}
		layer := r.intn(m.Layers - hops)
		start := r.intn(m.PerLayer)
		var canon strings.Builder
		canon.WriteString(w.names[layer][start])
		e := start
		for h := range rels {
			rels[h] = r.intn(m.Relations)
			canon.WriteString("|" + relationNames[rels[h]])
			e = int(w.edges[rels[h]][layer+h][e])
		}
		if isTestProblem(canon.String(), m.TestPerMille) != wantTest {
			continue
		}
		final := layer + hops
		answer := w.names[final][e]
		var q strings.Builder
		q.WriteString("Who is the ")
		for h := hops - 1; h >= 0; h-- {
			q.WriteString(relationNames[rels[h]])
			q.WriteString(" of ")
			if h > 0 {
				q.WriteString("the ")
			}
		}
		q.WriteString(w.names[layer][start])
		q.WriteString("?")
		// Three distinct distractors from the answer's layer.
		choices := []any{answer}
		used := map[int]bool{e: true}
		for len(choices) < 4 {
			k := r.intn(m.PerLayer)
			if !used[k] {
				used[k] = true
				choices = append(choices, w.names[final][k])
			}
		}
		gold := r.intn(4)
		choices[0], choices[gold] = choices[gold], choices[0]
		return Doc{
			"question": q.String(),
			"answer":   answer,
			"hops":     hops,
			"choices":  choices,
			"gold":     gold,
			"text":     q.String() + "\nAnswer: " + answer,
		}, nil
	}
	return nil, errNoDoc("multihop", split, i)
}
