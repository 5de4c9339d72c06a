package mathgrade

import (
	"regexp"
	"strings"

	"github.com/ouroeval/ouroeval/scoring/pystr"
)

// InvalidAnswer is what the Minerva extractor returns when the output has no
// "Final Answer: The final answer is ... I hope it is correct." sentence.
const InvalidAnswer = "[invalidanswer]"

var (
	displayMath  = regexp.MustCompile(`(?s)\\\[(.+?)\\\]`)
	minervaFinal = regexp.MustCompile(`Final Answer: The final answer is(.*?). I hope it is correct.`)

	reDollarSpan = regexp.MustCompile(`(.*?)(\$)(.*?)(\$)(.*)`)
	reText       = regexp.MustCompile(`(\\text\{)(.*?)(\})`)
	reTextbf     = regexp.MustCompile(`(\\textbf\{)(.*?)(\})`)
	reOverline   = regexp.MustCompile(`(\\overline\{)(.*?)(\})`)
	reBoxed      = regexp.MustCompile(`(\\boxed\{)(.*)(\})`)
	reFrac       = regexp.MustCompile(`(frac)([^{])(.)`)
	reSqrt       = regexp.MustCompile(`(sqrt)([^{])`)
)

// MinervaUnnormalizedAnswer is lm-eval's get_unnormalized_answer: append
// "I hope it is correct." to the output, take the first match of
// `Final Answer: The final answer is(.*?). I hope it is correct.` (the dots
// are regex wildcards; no match across newlines) and return group 1
// stripped. ok is false (and the answer InvalidAnswer) when nothing matches.
func MinervaUnnormalizedAnswer(s string) (string, bool) {
	m := minervaFinal.FindStringSubmatch(s + "I hope it is correct.")
	if m == nil {
		return InvalidAnswer, false
	}
	return pystr.Strip(m[1]), true
}

var minervaSubstitutions = [][2]string{
	{"an ", ""}, {"a ", ""}, {".$", "$"}, {`\$`, ""}, {`\ `, ""}, {" ", ""},
	{"mbox", "text"}, {`,\text{and}`, ","}, {`\text{and}`, ","}, {`\text{m}`, `\text{}`},
}

var minervaRemoved = []string{
	"square", "ways", "integers", "dollars", "mph", "inches", "ft", "hours", "km",
	"units", `\ldots`, "sue", "points", "feet", "minutes", "digits", "cents",
	"degrees", "cm", "gm", "pounds", "meters", "meals", "edges", "students",
	"childrentickets", "multiples", `\text{s}`, `\text{.}`, "\\text{\ns}",
	`\text{}^2`, `\text{}^3`, "\\text{\n}", `\text{}`, `\mathrm{th}`, `^\circ`,
	`^{\circ}`, `\;`, `,\!`, "{,}", `"`, `\dots`,
}

// replaceGroups replaces every match of re in s by the concatenation of
// parts, where a part that is an int selects that group and a string is
// literal text (Python re.sub with a group template).
func replaceGroups(re *regexp.Regexp, s string, parts ...any) string {
	idx := re.FindAllStringSubmatchIndex(s, -1)
	if idx == nil {
		return s
	}
	var b strings.Builder
	last := 0
	for _, m := range idx {
		b.WriteString(s[last:m[0]])
		for _, p := range parts {
			switch v := p.(type) {
			case string:
				b.WriteString(v)
			case int:
				if m[2*v] >= 0 {
					b.WriteString(s[m[2*v]:m[2*v+1]])
				}
			}
		}
		last = m[1]
	}
	b.WriteString(s[last:])
	return b.String()
}

// NormalizeFinalAnswer is Minerva's normalize_final_answer (Lewkowycz et
// al. 2022, appendix D, as in lm-eval's minerva_math utils), step by step:
// keep the text after the last "=", apply the substitutions, delete the unit
// words and LaTeX noise, unwrap $…$, \text{}, \textbf{}, \overline{},
// \boxed{}, expand \fracab and \sqrta, drop "$", and drop commas from a
// digits-and-commas answer.
func NormalizeFinalAnswer(s string) string {
	if i := strings.LastIndex(s, "="); i >= 0 {
		s = s[i+1:]
	}
	for _, sub := range minervaSubstitutions {
		s = strings.ReplaceAll(s, sub[0], sub[1])
	}
	for _, e := range minervaRemoved {
		s = strings.ReplaceAll(s, e, "")
	}
	s = replaceGroups(reDollarSpan, s, "$", 3, "$")
	s = replaceGroups(reText, s, 2)
	s = replaceGroups(reTextbf, s, 2)
	s = replaceGroups(reOverline, s, 2)
	s = replaceGroups(reBoxed, s, 2)
	s = replaceGroups(reFrac, s, "frac{", 2, "}{", 3, "}")
	s = replaceGroups(reSqrt, s, "sqrt{", 2, "}")
	s = strings.ReplaceAll(s, "$", "")
	if noComma := strings.ReplaceAll(s, ",", ""); pystr.IsDigit(noComma) {
		s = noComma
	}
	return s
}

// MinervaGold computes lm-eval's minerva_math gold answer from a full
// solution: NormalizeFinalAnswer(remove_boxed(last_boxed_only_string(solution))).
func MinervaGold(solution string) (string, bool) {
	b, ok := ExtractBoxed(solution)
	if !ok {
		return "", false
	}
	return NormalizeFinalAnswer(b), true
}

// MinervaPrediction extracts and normalises a model output like lm-eval's
// minerva_math process_results; ok is false (and the answer InvalidAnswer)
// when the output has no "Final Answer" sentence.
func MinervaPrediction(output string) (string, bool) {
	a, ok := MinervaUnnormalizedAnswer(output)
	if !ok {
		return a, false
	}
	return NormalizeFinalAnswer(a), true
}
