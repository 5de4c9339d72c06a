package main

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestTasksListNarrow: group rows show a member count, not the members, so
// the listing stays narrow (mmlu has 57 members); long descriptions are
// clipped.
func TestTasksListNarrow(t *testing.T) {
	code, stdout, stderr := runMain(t, context.Background(), "tasks", "list")
	if code != 0 {
		t.Fatalf("tasks list: exit %d\n%s", code, stderr)
	}
	widest := 0
	var mmluRow string
	for _, l := range strings.Split(stdout, "\n") {
		widest = max(widest, utf8.RuneCountInString(l))
		if f := strings.Fields(l); len(f) > 1 && f[1] == "mmlu" {
			mmluRow = l
		}
	}
	if widest > 200 {
		t.Errorf("tasks list is %d characters wide, want ≤ 200", widest)
	}
	if !strings.Contains(mmluRow, "group of 57 members, aggregate acc,none") || strings.Contains(mmluRow, "mmlu_anatomy") {
		t.Errorf("mmlu row: %q", mmluRow)
	}
	if !strings.Contains(stdout, "group of 8 members, no aggregate") {
		t.Errorf("ouro-base row lacks its member count:\n%s", stdout)
	}
}

// TestTasksShowGroup: tasks show GROUP lists the members one per line,
// with the group's aggregate.
func TestTasksShowGroup(t *testing.T) {
	for _, tc := range []struct {
		name string
		want []string
	}{
		{"ouro-base", []string{"group:       ouro-base\n", "aggregate:   none", "members (8):\n", "  mmlu (group)\n", "  minerva_math500\n"}},
		{"mmlu", []string{"version:     2.0\n", "aggregate:   acc,none (weighted by size)\n", "members (57):\n", "  mmlu_abstract_algebra\n", "  mmlu_world_religions\n"}},
		{"aime", []string{"tag:         aime\n", "members (2):\n  aime24\n  aime25\n"}},
	} {
		code, stdout, stderr := runMain(t, context.Background(), "tasks", "show", tc.name)
		if code != 0 {
			t.Fatalf("tasks show %s: exit %d\n%s", tc.name, code, stderr)
		}
		for _, w := range tc.want {
			if !strings.Contains(stdout, w) {
				t.Errorf("tasks show %s lacks %q:\n%s", tc.name, w, stdout)
			}
		}
	}
}

func TestClip(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"exactly10!", 10, "exactly10!"},
		{"one, two, three", 10, "one, two…"},
		{"ééééééé", 5, "éééé…"},
	} {
		if got := clip(tc.in, tc.n); got != tc.want || utf8.RuneCountInString(got) > tc.n {
			t.Errorf("clip(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
}
