package scoring

import "testing"

func TestSampledMetricNamesCarryK(t *testing.T) {
	for _, c := range []struct {
		spec MetricSpec
		want string
	}{
		{MetricSpec{Metric: "pass_at_k"}, "pass_at_k"},
		{MetricSpec{Metric: "pass_at_k", Kwargs: map[string]any{"k": 1}}, "pass@1"},
		{MetricSpec{Metric: "pass_at_k", Kwargs: map[string]any{"k": 10}}, "pass@10"},
		{MetricSpec{Metric: "maj_at_k", Kwargs: map[string]any{"k": 8}}, "maj@8"},
		{MetricSpec{Metric: "maj_at_k"}, "maj_at_k"},
	} {
		m, err := NewMetric(c.spec, GenerateUntil)
		if err != nil {
			t.Fatal(err)
		}
		if m.Name() != c.want {
			t.Errorf("%v: name %q, want %q", c.spec, m.Name(), c.want)
		}
	}
}
