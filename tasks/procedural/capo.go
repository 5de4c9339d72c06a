package procedural

import (
	"strconv"
	"strings"
	"sync"
)

var (
	capoMonths = []string{"January", "February", "March", "April", "May", "June", "July",
		"August", "September", "October", "November", "December"}
	capoCities = []string{"Portland", "Boston", "Denver", "Austin", "Chicago", "Seattle", "Phoenix",
		"Dallas", "Miami", "Atlanta", "Detroit", "Memphis", "Houston", "Tucson", "Omaha", "Tampa",
		"Fresno", "Reno", "Boise", "Dayton", "Toledo", "Akron", "Madison", "Raleigh", "Richmond",
		"Orlando", "Spokane", "Buffalo", "Newark", "Lincoln", "Helena", "Salem", "Albany", "Trenton",
		"Jackson", "Topeka", "Mobile", "Lansing", "Juneau", "Dover"}
	capoUniversities = []string{"Pepperdine University", "Stanford University", "Rice University",
		"Duke University", "Yale University", "Brown University", "Tufts University", "Emory University",
		"Purdue University", "Auburn University", "Baylor University", "Clemson University",
		"Drexel University", "Fordham University", "Howard University", "Lehigh University",
		"Temple University", "Tulane University", "Villanova University", "Wake Forest University",
		"Boston College", "Dartmouth College", "Oberlin College", "Smith College", "Bates College",
		"Colby College", "Union College", "Reed College", "Vassar College", "Wesleyan University"}
	capoMajors = []string{"Business Analytics", "Mathematics", "Physics", "Chemistry", "Biology",
		"History", "Economics", "Philosophy", "Computer Science", "Psychology", "Sociology",
		"Linguistics", "Music", "Architecture", "Nursing", "Geology", "Astronomy", "Statistics",
		"Civil Engineering", "Graphic Design", "Marketing", "Finance", "Journalism", "Education",
		"Anthropology", "Political Science", "Art History", "Ecology", "Accounting", "Theater"}
	capoEmployers = []string{"Delta Air Lines", "Ford Motor", "General Mills", "Coca Cola", "Intel",
		"Boeing", "Pfizer", "Walmart", "Target", "Nike", "Oracle", "Cisco", "Adobe", "Netflix",
		"Starbucks", "Costco", "Honda", "Toyota", "Siemens", "Nestle", "Unilever", "Visa",
		"Mastercard", "FedEx", "Kellogg", "Hershey", "Whirlpool", "Xerox", "Hasbro", "Mattel"}
)

// capoAttributes are the attributes of a person, in biography order.
var capoAttributes = []string{"birth_date", "birth_city", "university", "major", "employer"}

// capoSentences are the biography sentence templates per attribute; %N is
// the subject (full name in the first sentence, "They" after), %V the value.
var capoSentences = map[string][]string{
	"birth_date": {"%N was born on %V.", "%N celebrates their birthday on %V.", "%N came into this world on %V."},
	"birth_city": {"%N spent formative years in %V.", "%N was born in %V.", "%N grew up in %V."},
	"university": {"%N received their education at %V.", "%N graduated from %V.", "%N studied at %V."},
	"major":      {"%N focused on %V.", "%N majored in %V.", "%N specialized in %V."},
	"employer":   {"%N supported operations for %V.", "%N worked for %V.", "%N was employed by %V."},
}

var capoQuestions = map[string]string{
	"birth_date": "When was %N born?",
	"birth_city": "Where was %N born?",
	"university": "Which university did %N attend?",
	"major":      "What did %N study?",
	"employer":   "Which company did %N work for?",
}

// Capo is knowledge recall from a fixed synthetic biography universe (the
// Ouro paper's §6.1 Capo, after Allen-Zhu & Li's bioS): People people, each
// with a unique made-up full name, a birth date (12 months x 28 days x 200
// years), a birth city, a university, a major and an employer.
//
// Splits: "train" is the biographies (document i describes person
// i mod People with sentence templates drawn per document, so repeated
// exposures vary their wording); "test" is questions about one attribute of
// one person ("Where was Bako Dira Tuvesi born?\nAnswer:"). Storage tasks
// are meant to ask about facts seen in training, so the two splits share
// facts by design; what is disjoint by construction is the surface form:
// train holds only declarative biographies and test only questions, so no
// test document (question + answer) occurs in the training text.
type Capo struct {
	People       int
	UniverseSeed int

	world func() *capoWorld
}

type capoPerson struct {
	name  string
	attrs [5]string
}

type capoWorld struct{ people []capoPerson }

// NewCapo returns capo with its defaults: 1000 people.
func NewCapo() *Capo {
	c := &Capo{People: 1000}
	c.init()
	return c
}

func (c *Capo) init() {
	cfg := *c
	c.world = sync.OnceValue(func() *capoWorld { return cfg.build() })
}

// Name implements Generator.
func (c *Capo) Name() string { return "capo" }

// Description implements Generator.
func (c *Capo) Description() string {
	return "knowledge recall from " + strconv.Itoa(c.People) + " synthetic biographies (bioS-style; per attribute)"
}

// Splits implements Generator.
func (c *Capo) Splits() []string { return []string{"train", "test"} }

// Configure implements Configurable: people, universe_seed.
func (c *Capo) Configure(kw map[string]any) (Generator, error) {
	if err := checkKwargs("capo", kw, "people", "universe_seed"); err != nil {
		return nil, err
	}
	n := &Capo{}
	var err error
	if n.People, err = kwInt("capo", kw, "people", c.People, 1, 2_000_000); err != nil {
		return nil, err
	}
	if n.UniverseSeed, err = kwInt("capo", kw, "universe_seed", c.UniverseSeed, 0, 1<<30); err != nil {
		return nil, err
	}
	n.init()
	return n, nil
}

func capoDate(r *rng) string {
	return capoMonths[r.intn(12)] + " " + strconv.Itoa(1+r.intn(28)) + ", " + strconv.Itoa(1900+r.intn(200))
}

func (c *Capo) build() *capoWorld {
	r := rng{mix(uint64(c.UniverseSeed), strHash("capo-world"))}
	firsts := madeUpNames(&r, 400)
	middles := madeUpNames(&r, 400)
	// Last names: three syllables, capitalised.
	const cons, vows = "bdfgklmnprstvz", "aeiou"
	syl := func() string { return string(cons[r.intn(len(cons))]) + string(vows[r.intn(len(vows))]) }
	seen := make(map[string]bool, c.People)
	w := &capoWorld{people: make([]capoPerson, 0, c.People)}
	for len(w.people) < c.People {
		last := syl() + syl() + syl()
		last = strings.ToUpper(last[:1]) + last[1:]
		name := firsts[r.intn(len(firsts))] + " " + middles[r.intn(len(middles))] + " " + last
		if seen[name] {
			continue
		}
		seen[name] = true
		p := capoPerson{name: name}
		p.attrs[0] = capoDate(&r)
		p.attrs[1] = capoCities[r.intn(len(capoCities))]
		p.attrs[2] = capoUniversities[r.intn(len(capoUniversities))]
		p.attrs[3] = capoMajors[r.intn(len(capoMajors))]
		p.attrs[4] = capoEmployers[r.intn(len(capoEmployers))]
		w.people = append(w.people, p)
	}
	return w
}

func capoPool(attr int, r *rng) string {
	switch attr {
	case 0:
		return capoDate(r)
	case 1:
		return capoCities[r.intn(len(capoCities))]
	case 2:
		return capoUniversities[r.intn(len(capoUniversities))]
	case 3:
		return capoMajors[r.intn(len(capoMajors))]
	}
	return capoEmployers[r.intn(len(capoEmployers))]
}

// Doc implements Generator.
func (c *Capo) Doc(split string, seed uint64, i int) (Doc, error) {
	if err := checkSplit("capo", split, c.Splits(), i); err != nil {
		return nil, err
	}
	w := c.world()
	r := rng{mix(seed, splitID(split), uint64(i), 1)}
	if split == "train" {
		pi := i % c.People
		p := w.people[pi]
		var b strings.Builder
		for a, attr := range capoAttributes {
			ts := capoSentences[attr]
			subj := "They"
			if a == 0 {
				subj = p.name
			}
			s := strings.Replace(ts[r.intn(len(ts))], "%N", subj, 1)
			s = strings.Replace(s, "%V", p.attrs[a], 1)
			if a > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(s)
		}
		d := Doc{"text": b.String(), "name": p.name, "person": pi}
		for a, attr := range capoAttributes {
			d[attr] = p.attrs[a]
		}
		return d, nil
	}
	pi := r.intn(c.People)
	p := w.people[pi]
	a := r.intn(len(capoAttributes))
	attr := capoAttributes[a]
	q := strings.Replace(capoQuestions[attr], "%N", p.name, 1)
	ans := p.attrs[a]
	choices := []any{ans}
	used := map[string]bool{ans: true}
	for tries := 0; len(choices) < 4 && tries < 1000; tries++ {
		v := capoPool(a, &r)
		if !used[v] {
			used[v] = true
			choices = append(choices, v)
		}
	}
	gold := r.intn(len(choices))
	choices[0], choices[gold] = choices[gold], choices[0]
	return Doc{
		"question":  q,
		"answer":    ans,
		"attribute": attr,
		"name":      p.name,
		"person":    pi,
		"choices":   choices,
		"gold":      gold,
		"text":      q + "\nAnswer: " + ans,
	}, nil
}
