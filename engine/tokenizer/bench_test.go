package tokenizer

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// benchText returns about 256 KB of real text: GSM8K questions and answers
// from the shared data (skipping when absent).
func benchText(b *testing.B) string {
	b.Helper()
	path := filepath.Join(sharedDir(b), "..", "gsm8k", "test.jsonl")
	f, err := os.Open(path)
	if err != nil {
		b.Skipf("benchmark text not available: %v", err)
	}
	defer f.Close()
	var sb strings.Builder
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() && sb.Len() < 256<<10 {
		var rec struct{ Question, Answer string }
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			b.Fatalf("%s: %v", path, err)
		}
		sb.WriteString(rec.Question)
		sb.WriteString("\n")
		sb.WriteString(rec.Answer)
		sb.WriteString("\n\n")
	}
	return sb.String()
}

// BenchmarkEncode measures encoding throughput on real text with the
// pre-token cache warm (the steady state of an evaluation run) and cold
// (cache cleared before every pass: pre-tokenization plus BPE on every word).
// The "cold/warm" metric is the ratio of the two in the same run.
func BenchmarkEncode(b *testing.B) {
	text := benchText(b)
	for _, name := range []string{"ouro-1.4B", "qwen3", "llama3"} {
		var tk *Tokenizer
		var n int
		var warmNs float64
		b.Run(name+"/warm", func(b *testing.B) {
			tk = sharedTokenizer(b, name)
			n = len(tk.Encode(text))
			b.SetBytes(int64(len(text)))
			b.ResetTimer()
			for b.Loop() {
				tk.Encode(text)
			}
			warmNs = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
		})
		b.Run(name+"/cold", func(b *testing.B) {
			if tk == nil {
				tk = sharedTokenizer(b, name)
				n = len(tk.Encode(text))
			}
			b.SetBytes(int64(len(text)))
			for b.Loop() {
				b.StopTimer()
				tk.cache.clearAll()
				b.StartTimer()
				tk.Encode(text)
			}
			coldNs := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
			if warmNs > 0 {
				b.ReportMetric(coldNs/warmNs, "cold/warm")
			}
		})
	}
}

func BenchmarkDecode(b *testing.B) {
	text := benchText(b)
	tk := sharedTokenizer(b, "ouro-1.4B")
	ids := tk.Encode(text)
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		tk.Decode(ids)
	}
	b.ReportMetric(float64(len(ids))*float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
}

// BenchmarkLoad measures parsing the largest shipped tokenizer.json files.
func BenchmarkLoad(b *testing.B) {
	for _, name := range []string{"ouro-1.4B", "qwen3", "llama3"} {
		path := filepath.Join(sharedDir(b), name, "tokenizer.json")
		data, err := os.ReadFile(path)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := Parse(data, path); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSplit compares the hand-written split matchers with regexp2 on
// the same text; "regexp2/fast" is the speed-up measured in this run.
func BenchmarkSplit(b *testing.B) {
	text := benchText(b)
	for _, c := range []struct{ name, pattern string }{
		{"gpt2", gpt2Pattern}, {"qwen", qwenPattern}, {"llama3", llama3Pattern},
	} {
		re, err := compileRegex(c.pattern)
		if err != nil {
			b.Fatal(err)
		}
		fast := fastMatcher(c.pattern)
		var buf []span
		var fastNs float64
		b.Run(c.name+"/fast", func(b *testing.B) {
			b.SetBytes(int64(len(text)))
			for b.Loop() {
				buf = fast(text, buf[:0])
			}
			fastNs = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
		})
		b.Run(c.name+"/regexp2", func(b *testing.B) {
			b.SetBytes(int64(len(text)))
			for b.Loop() {
				buf = regexMatches(re, text, buf[:0])
			}
			if fastNs > 0 {
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/fastNs, "regexp2/fast")
			}
		})
	}
}
