package scoring

import "testing"

// Expected values come from lm-eval's MultiChoiceRegexFilter run under
// CPython 3.11 on the same responses and choices.
func TestMultiChoiceRegex(t *testing.T) {
	choices := []string{"Paris", "London (UK)", "Berlin", "Madrid!"}
	cases := []struct {
		resp        string
		groupSelect int
		ignore      bool // ignore_case and ignore_punctuation
		want        string
	}{
		{"The answer is (C).", -1, true, "(C)"},
		{"I think it's london uk, final.", -1, true, "(B)"},
		{"Answer: B", -1, true, "(B)"},
		{"answer:   D and more", 0, false, "(D)"},
		{"Madrid! for sure", 0, false, "(D)"},
		{"madrid for sure", 0, true, "(D)"},
		{"nothing here", 0, true, Invalid},
		{"(A) or (B)", -1, false, "(B)"},
		{"Berlin, then Paris", -1, false, "(A)"},
	}
	for _, c := range cases {
		ch, err := NewChain("mc", []FilterStep{{Function: "multi_choice_regex", Args: map[string]any{
			"regex_pattern": `(\([A-Z]\))`, "group_select": c.groupSelect,
			"ignore_case": c.ignore, "ignore_punctuation": c.ignore,
		}}, {Function: "take_first"}})
		if err != nil {
			t.Fatal(err)
		}
		if !ch.UsesChoices() {
			t.Fatal("UsesChoices = false")
		}
		got, err := ch.ApplyChoicesErr([]string{c.resp}, choices)
		if err != nil || len(got) != 1 || got[0] != c.want {
			t.Errorf("multi_choice_regex(%q, gs=%d, ignore=%v) = %q, %v; want %q", c.resp, c.groupSelect, c.ignore, got, err, c.want)
		}
	}
	// Without choices only the main regex and the fallback apply.
	ch, _ := NewChain("mc", []FilterStep{{Function: "multi_choice_regex", Args: map[string]any{"regex_pattern": `(\([A-Z]\))`}}})
	if got := ch.Apply([]string{"Answer: B", "(C)"}); got[0] != Invalid || got[1] != "(C)" {
		t.Errorf("no choices: %q", got)
	}
	if DefaultChain().UsesChoices() {
		t.Error("take_first uses choices")
	}
}

func TestPyEscape(t *testing.T) {
	// re.escape in CPython 3.7+.
	for in, want := range map[string]string{"London (UK)": `London\ \(UK\)`, "a.b*c": `a\.b\*c`, "x_y-z": `x_y\-z`, "#&~": `\#\&\~`} {
		if got := pyEscape(in); got != want {
			t.Errorf("pyEscape(%q) = %q, want %q", in, got, want)
		}
	}
}
