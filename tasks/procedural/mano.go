package procedural

import (
	"strconv"
	"strings"
)

// Mano is modular arithmetic over random expression trees written in prefix
// notation (the Ouro paper's §6.2 "Mano", after Allen-Zhu & Li): operators
// + - *, operands 0..Modulus-1, all arithmetic mod Modulus (23), difficulty
// = number of operations, drawn uniformly from [MinOps, MaxOps]. At each
// node the remaining operations are split uniformly at random between the
// left and right subtrees.
//
// Documents: expr ("+ * 3 5 7"), answer (int), answer_text, difficulty,
// text (the full training line "+ * 3 5 7 = 22"). A problem's split is
// decided by a hash of its expression (10% test), so no test expression can
// be generated for train under any seed.
type Mano struct {
	Modulus        int
	MinOps, MaxOps int
	TestPerMille   int
}

// NewMano returns mano with its defaults: mod 23, 1..8 operations.
func NewMano() *Mano {
	return &Mano{Modulus: 23, MinOps: 1, MaxOps: 8, TestPerMille: defaultTestPerMille}
}

// Name implements Generator.
func (m *Mano) Name() string { return "mano" }

// Description implements Generator.
func (m *Mano) Description() string {
	return "modular arithmetic mod " + strconv.Itoa(m.Modulus) + " over random prefix expressions (" +
		strconv.Itoa(m.MinOps) + "-" + strconv.Itoa(m.MaxOps) + " ops, per difficulty)"
}

// Splits implements Generator.
func (m *Mano) Splits() []string { return []string{"train", "test"} }

// Configure implements Configurable: modulus, min_ops, max_ops, test_per_mille.
func (m *Mano) Configure(kw map[string]any) (Generator, error) {
	if err := checkKwargs("mano", kw, "modulus", "min_ops", "max_ops", "test_per_mille"); err != nil {
		return nil, err
	}
	c := *m
	var err error
	if c.Modulus, err = kwInt("mano", kw, "modulus", m.Modulus, 2, 1000); err != nil {
		return nil, err
	}
	if c.MinOps, err = kwInt("mano", kw, "min_ops", m.MinOps, 1, 64); err != nil {
		return nil, err
	}
	if c.MaxOps, err = kwInt("mano", kw, "max_ops", m.MaxOps, c.MinOps, 64); err != nil {
		return nil, err
	}
	if c.TestPerMille, err = kwInt("mano", kw, "test_per_mille", m.TestPerMille, 1, 999); err != nil {
		return nil, err
	}
	return &c, nil
}

// Doc implements Generator.
func (m *Mano) Doc(split string, seed uint64, i int) (Doc, error) {
	if err := checkSplit("mano", split, m.Splits(), i); err != nil {
		return nil, err
	}
	wantTest := split == "test"
	// The difficulty is drawn once per document so every difficulty keeps
	// its share even though rejection rates differ per difficulty.
	dr := rng{mix(seed, splitID(split), uint64(i), 0xd1ff)}
	ops := m.MinOps + dr.intn(m.MaxOps-m.MinOps+1)
	var b strings.Builder
	for attempt := 0; attempt < maxAttempts; attempt++ {
		r := rng{mix(seed, splitID(split), uint64(i), uint64(attempt)+1)}
		b.Reset()
		val := m.tree(&r, &b, ops)
		expr := b.String()
		if isTestProblem(expr, m.TestPerMille) != wantTest {
			continue
		}
		ans := strconv.Itoa(val)
		return Doc{
			"expr":        expr,
			"answer":      val,
			"answer_text": ans,
			"difficulty":  ops,
			"text":        expr + " = " + ans,
		}, nil
	}
	return nil, errNoDoc("mano", split, i)
}

// tree writes a random expression with ops operations in prefix form and
// returns its value mod Modulus.
func (m *Mano) tree(r *rng, b *strings.Builder, ops int) int {
	if b.Len() > 0 {
		b.WriteByte(' ')
	}
	if ops == 0 {
		v := r.intn(m.Modulus)
		b.WriteString(strconv.Itoa(v))
		return v
	}
	op := "+-*"[r.intn(3)]
	b.WriteByte(op)
	left := r.intn(ops) // 0..ops-1 operations on the left
	a := m.tree(r, b, left)
	c := m.tree(r, b, ops-1-left)
	switch op {
	case '+':
		return (a + c) % m.Modulus
	case '-':
		return ((a-c)%m.Modulus + m.Modulus) % m.Modulus
	default:
		return (a * c) % m.Modulus
	}
}
