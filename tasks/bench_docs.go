package tasks

import (
	"fmt"
	"strconv"
	"strings"
)

// Preprocessors (process_docs) of the built-in benchmark tasks. Each turns
// one row of a benchmark's local or Hugging Face layout into the fields the
// task's templates read, and rejects rows it cannot interpret with an error
// naming the field (Load adds task, split and row).

// copyDoc returns a shallow copy of d with room for extra fields.
func copyDoc(d Doc, extra int) Doc {
	out := make(Doc, len(d)+extra)
	for k, v := range d {
		out[k] = v
	}
	return out
}

// strFields returns d[k] as a string for each of keys, in order.
func strFields(d Doc, keys ...string) ([]string, error) {
	out := make([]string, len(keys))
	for i, k := range keys {
		v, err := strField(d, k)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

// strField returns d[k] as a string.
func strField(d Doc, k string) (string, error) {
	v, ok := d[k]
	if !ok {
		return "", fmt.Errorf("field %q missing", k)
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("field %q is %s, not a string", k, pyStr(v))
	}
	return s, nil
}

// letterIndex maps an answer label to its index: an integer 0..n-1, a
// digit string, or a letter "A".. (n choices).
func letterIndex(v any, n int) (int, error) {
	switch x := v.(type) {
	case int64:
		if x >= 0 && int(x) < n {
			return int(x), nil
		}
	case int:
		if x >= 0 && x < n {
			return x, nil
		}
	case float64:
		if x == float64(int(x)) && x >= 0 && int(x) < n {
			return int(x), nil
		}
	case string:
		s := strings.TrimSpace(x)
		if len(s) == 1 && s[0] >= 'A' && int(s[0]-'A') < n {
			return int(s[0] - 'A'), nil
		}
		if i, err := strconv.Atoi(s); err == nil && i >= 0 && i < n {
			return i, nil
		}
	}
	shown := pyStr(v)
	if s, ok := v.(string); ok {
		shown = strconv.Quote(s)
	}
	return 0, fmt.Errorf("unknown answer label %s (want 0..%d or A..%c)", shown, n-1, 'A'+n-1)
}

// mmluDoc accepts cais/mmlu rows (question, choices, answer 0-3) and the
// reformatted CSV of ../shared/data (question, choice0..choice3, answer
// 0-3), giving both the HF layout.
func mmluDoc(d Doc) (Doc, error) {
	if _, err := strField(d, "question"); err != nil {
		return nil, err
	}
	out := copyDoc(d, 1)
	if ch, ok := d["choices"].([]any); ok {
		if len(ch) != 4 {
			return nil, fmt.Errorf("field \"choices\" has %d entries, want 4", len(ch))
		}
	} else {
		ch := make([]any, 4)
		for i := range ch {
			k := "choice" + strconv.Itoa(i)
			v, ok := d[k]
			if !ok || v == nil {
				return nil, fmt.Errorf("field %q missing (and no \"choices\" list)", k)
			}
			ch[i] = pyStr(v)
		}
		out["choices"] = ch
	}
	a, ok := d["answer"]
	if !ok {
		return nil, fmt.Errorf("field \"answer\" missing")
	}
	idx, err := letterIndex(a, 4)
	if err != nil {
		return nil, err
	}
	out["answer"] = int64(idx)
	return out, nil
}

// winograndeDoc is lm-eval's preprocess_winogrande as fields: choices are
// the two contexts sentence[:i]+option (i = index of "_"), continuation the
// stripped text after the blank, gold {"1": 0, "2": 1}[answer].
func winograndeDoc(d Doc) (Doc, error) {
	f, err := strFields(d, "sentence", "option1", "option2")
	if err != nil {
		return nil, err
	}
	sent, o1, o2 := f[0], f[1], f[2]
	idx := strings.IndexByte(sent, '_')
	if idx < 0 {
		return nil, fmt.Errorf("field \"sentence\" has no blank \"_\": %q", sent)
	}
	var gold int
	switch a := d["answer"].(type) {
	case string:
		switch a {
		case "1":
			gold = 0
		case "2":
			gold = 1
		default:
			return nil, fmt.Errorf("unknown answer label %q (want \"1\" or \"2\")", a)
		}
	case int64:
		if a != 1 && a != 2 {
			return nil, fmt.Errorf("unknown answer label %d (want 1 or 2)", a)
		}
		gold = int(a) - 1
	default:
		return nil, fmt.Errorf("field \"answer\" missing or not \"1\"/\"2\"")
	}
	out := copyDoc(d, 3)
	out["choices"] = []any{sent[:idx] + o1, sent[:idx] + o2}
	out["continuation"] = pyStripSpace(sent[idx+1:])
	out["gold"] = int64(gold)
	return out, nil
}

// pyStripSpace is Python's str.strip() with no argument.
func pyStripSpace(s string) string {
	return strings.TrimFunc(s, isPySpace)
}

// isPySpace is Python's str.isspace for one code point.
func isPySpace(r rune) bool {
	switch r {
	case ' ', '\t', '\n', '\v', '\f', '\r', 0x1c, 0x1d, 0x1e, 0x1f, 0x85, 0xa0, 0x1680,
		0x2028, 0x2029, 0x202f, 0x205f, 0x3000:
		return true
	}
	return r >= 0x2000 && r <= 0x200a
}

// commonsenseQADoc accepts tau/commonsense_qa rows (question, choices
// {label, text}, answerKey) and the original release of ../shared/data
// (question {stem, choices [{label, text}], question_concept}), giving the
// HF layout plus gold = choices.label.index(answerKey.lstrip()) (what
// lm-eval's doc_to_target computes).
func commonsenseQADoc(d Doc) (Doc, error) {
	key, err := strField(d, "answerKey")
	if err != nil {
		return nil, err
	}
	out := copyDoc(d, 3)
	if q, ok := d["question"].(map[string]any); ok {
		stem, err := strField(q, "stem")
		if err != nil {
			return nil, fmt.Errorf("question.%v", err)
		}
		list, ok := q["choices"].([]any)
		if !ok || len(list) == 0 {
			return nil, fmt.Errorf("field \"question.choices\" missing or not a list")
		}
		var labels, texts []any
		for i, c := range list {
			m, ok := c.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("question.choices[%d] is not a mapping", i)
			}
			l, err1 := strField(m, "label")
			t, err2 := strField(m, "text")
			if err1 != nil || err2 != nil {
				return nil, fmt.Errorf("question.choices[%d] needs string label and text", i)
			}
			labels, texts = append(labels, l), append(texts, t)
		}
		out["question"] = stem
		if qc, ok := q["question_concept"]; ok {
			out["question_concept"] = qc
		}
		out["choices"] = map[string]any{"label": labels, "text": texts}
	} else if _, err := strField(d, "question"); err != nil {
		return nil, err
	}
	ch, ok := out["choices"].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("field \"choices\" missing or not a mapping")
	}
	labels, ok := ch["label"].([]any)
	if !ok {
		return nil, fmt.Errorf("field \"choices.label\" missing or not a list")
	}
	k := strings.TrimLeftFunc(key, isPySpace)
	gold := -1
	for i, l := range labels {
		if s, _ := l.(string); s == k {
			gold = i
			break
		}
	}
	if gold < 0 {
		return nil, fmt.Errorf("unknown answer label %q (labels %s)", key, pyStr(labels))
	}
	out["gold"] = int64(gold)
	return out, nil
}

// splitLetterOptions splits text at the first line that starts the option
// list (marker, e.g. "\nA. " or "\nA) ") into the stem and the options
// "A", "B", ... in order; it requires at least 2 consecutive letters.
func splitLetterOptions(text, sep string) (stem string, opts []string, err error) {
	first := "\nA" + sep
	i := strings.Index(text, first)
	if i < 0 {
		return "", nil, fmt.Errorf("no option list (no line starting %q)", "A"+sep)
	}
	stem, rest := text[:i], text[i+1:]
	for l := byte('A'); l <= 'Z'; l++ {
		head := string(l) + sep
		if !strings.HasPrefix(rest, head) {
			return "", nil, fmt.Errorf("option %c: expected a line starting %q", l, head)
		}
		rest = rest[len(head):]
		next := "\n" + string(l+1) + sep
		j := strings.Index(rest, next)
		if j < 0 {
			opts = append(opts, rest)
			break
		}
		opts = append(opts, rest[:j])
		rest = rest[j+1:]
	}
	if len(opts) < 2 {
		return "", nil, fmt.Errorf("only %d option(s)", len(opts))
	}
	return stem, opts, nil
}

// mmluProDoc accepts TIGER-Lab/MMLU-Pro rows (question, options, answer,
// answer_index, category, cot_content) and the 300-question subset of
// ../shared/data, whose question embeds the options after
// "\n Options are:\n" as "A. ..." lines; both give the HF layout.
func mmluProDoc(d Doc) (Doc, error) {
	q, err := strField(d, "question")
	if err != nil {
		return nil, err
	}
	out := copyDoc(d, 4)
	opts, hasOpts := d["options"].([]any)
	if !hasOpts {
		const marker = "\n Options are:"
		i := strings.Index(q, marker)
		if i < 0 {
			return nil, fmt.Errorf("field \"options\" missing and the question embeds no %q list", strings.TrimSpace(marker))
		}
		_, list, err := splitLetterOptions(q[i+len(marker):], ". ")
		if err != nil {
			return nil, fmt.Errorf("embedded options: %v", err)
		}
		for _, o := range list {
			opts = append(opts, o)
		}
		out["question"] = q[:i]
		out["options"] = opts
	}
	if len(opts) < 2 || len(opts) > 10 {
		return nil, fmt.Errorf("%d options, want 2..10", len(opts))
	}
	a, ok := d["answer"]
	if !ok {
		return nil, fmt.Errorf("field \"answer\" missing")
	}
	idx, err := letterIndex(a, len(opts))
	if err != nil {
		return nil, err
	}
	out["answer"] = string(rune('A' + idx))
	out["answer_index"] = int64(idx)
	// lm-eval's format_cot_example option lines: "A. opt\n" per option,
	// each option stripped.
	var b strings.Builder
	for i, o := range opts {
		s, ok := o.(string)
		if !ok {
			return nil, fmt.Errorf("options[%d] is %s, not a string", i, pyStr(o))
		}
		b.WriteByte(byte('A' + i))
		b.WriteString(". ")
		b.WriteString(pyStripSpace(s))
		b.WriteByte('\n')
	}
	out["options_text"] = b.String()
	if _, ok := out["cot_content"]; !ok {
		out["cot_content"] = ""
	}
	return out, nil
}

// gpqaMCQDoc parses the GPQA-Diamond multiple-choice copy of ../shared/data
// (question text ending in "A) ..".."D) .." lines, answer letter) into
// question, choices and gold.
func gpqaMCQDoc(d Doc) (Doc, error) {
	q, err := strField(d, "question")
	if err != nil {
		return nil, err
	}
	stem, opts, err := splitLetterOptions(q, ") ")
	if err != nil {
		return nil, fmt.Errorf("question: %v", err)
	}
	if len(opts) != 4 {
		return nil, fmt.Errorf("question has %d options, want 4", len(opts))
	}
	a, ok := d["answer"]
	if !ok {
		return nil, fmt.Errorf("field \"answer\" missing")
	}
	idx, err := letterIndex(a, 4)
	if err != nil {
		return nil, err
	}
	out := copyDoc(d, 3)
	out["question"] = pyStripSpace(stem)
	ch := make([]any, 4)
	for i, o := range opts {
		ch[i] = pyStripSpace(o)
	}
	out["choices"] = ch
	out["gold"] = int64(idx)
	return out, nil
}

// piqaDoc adds choices = [sol1, sol2], what lm-eval's doc_to_choice
// "{{[sol1, sol2]}}" evaluates to, and checks the label.
func piqaDoc(d Doc) (Doc, error) {
	f, err := strFields(d, "sol1", "sol2")
	if err != nil {
		return nil, err
	}
	s1, s2 := f[0], f[1]
	if _, err := letterIndex(d["label"], 2); err != nil {
		return nil, err
	}
	out := copyDoc(d, 1)
	out["choices"] = []any{s1, s2}
	return out, nil
}

// svampDoc builds the question as Qwen2.5-Math's evaluation does (body
// stripped, a period added when it does not end with one, a space, the
// stripped question) and keeps Answer (a number) as the gold.
func svampDoc(d Doc) (Doc, error) {
	f, err := strFields(d, "Body", "Question")
	if err != nil {
		return nil, err
	}
	body, q := f[0], f[1]
	switch d["Answer"].(type) {
	case int64, float64:
	default:
		return nil, fmt.Errorf("field \"Answer\" missing or not a number")
	}
	body = pyStripSpace(body)
	if !strings.HasSuffix(body, ".") {
		body += "."
	}
	out := copyDoc(d, 1)
	out["question"] = body + " " + pyStripSpace(q)
	return out, nil
}
