package tokenizer

import (
	"os"
	"slices"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// TestLlamaCppVocab checks every llama.cpp vocabulary test string against the
// tokenizer.json it was generated from.
func TestLlamaCppVocab(t *testing.T) {
	for _, c := range []struct{ tokenizer, stem string }{
		{"qwen3", "ggml-vocab-qwen2"},
		{"llama3", "ggml-vocab-llama-bpe"},
	} {
		t.Run(c.tokenizer, func(t *testing.T) {
			tk := sharedTokenizer(t, c.tokenizer)
			tests := readVocabTests(t, c.stem)
			for i, tc := range tests {
				got := tk.Encode(tc.input)
				if !slices.Equal(got, tc.want) {
					t.Errorf("%s case %d: Encode(%q)\n got %v\nwant %v", c.stem, i, tc.input, got, tc.want)
				}
			}
			if len(tests) < 40 {
				t.Errorf("only %d test cases read", len(tests))
			}
		})
	}
}

func TestCheckVector(t *testing.T) {
	want := []int{1, 4093, 198, 19556, 905, 216, 33, 34, 35, 36, 37, 2}
	for _, name := range []string{"ouro-1.4B", "smollm2"} {
		t.Run(name, func(t *testing.T) {
			tk := sharedTokenizer(t, name)
			in := "<|im_start|>user\nHello world 12345<|im_end|>"
			if got := tk.Encode(in); !slices.Equal(got, want) {
				t.Errorf("Encode(%q) = %v, want %v", in, got, want)
			}
			if got := tk.EncodeSpecial(in); !slices.Equal(got, want) {
				t.Errorf("EncodeSpecial(%q) = %v, want %v (no post-processor)", in, got, want)
			}
			if got := tk.Decode(want); got != in {
				t.Errorf("Decode = %q, want %q", got, in)
			}
		})
	}
}

// TestSharedRoundTrip decodes the encoding of every test string.
func TestSharedRoundTrip(t *testing.T) {
	inputs := readVocabTests(t, "ggml-vocab-qwen35")
	for _, name := range []string{"ouro-1.4B", "smollm2", "qwen3", "llama3"} {
		t.Run(name, func(t *testing.T) {
			tk := sharedTokenizer(t, name)
			for _, tc := range inputs {
				s := tc.input
				if name == "qwen3" {
					s = norm.NFC.String(s) // Qwen normalizes to NFC
				}
				if !utf8.ValidString(s) {
					continue
				}
				if got := tk.Decode(tk.Encode(s)); got != s {
					t.Errorf("round trip of %q gave %q", s, got)
				}
			}
		})
	}
}

// TestOuroVocab checks the Ouro and SmolLM2 tokenizers on the llama.cpp
// qwen35 test strings (read from the shared data) against ids produced by
// transformers.js (see testdata/README.md).
func TestOuroVocab(t *testing.T) {
	want := readIDLines(t, "testdata/ouro-1.4B.qwen35-inputs.ids")
	inputs := readVocabTests(t, "ggml-vocab-qwen35")
	if len(inputs) != len(want) {
		t.Fatalf("%d inputs, %d expected id lines", len(inputs), len(want))
	}
	for _, name := range []string{"ouro-1.4B", "smollm2"} {
		t.Run(name, func(t *testing.T) {
			tk := sharedTokenizer(t, name)
			for i, tc := range inputs {
				if got := tk.Encode(tc.input); !slices.Equal(got, want[i]) {
					t.Errorf("case %d: Encode(%q)\n got %v\nwant %v", i, tc.input, got, want[i])
				}
			}
		})
	}
}

// TestGPT2Vocab checks a GPT-2 tokenizer.json against llama.cpp's gpt-2
// test vectors. No GPT-2 tokenizer.json ships in the shared data, so the test
// runs only when OUROEVAL_GPT2_TOKENIZER names one (e.g. openai-community/gpt2's
// tokenizer.json).
func TestGPT2Vocab(t *testing.T) {
	path := os.Getenv("OUROEVAL_GPT2_TOKENIZER")
	if path == "" {
		t.Skip("set OUROEVAL_GPT2_TOKENIZER to a GPT-2 tokenizer.json to run the GPT-2 vectors")
	}
	tk, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	tests := readVocabTests(t, "ggml-vocab-gpt-2")
	for i, tc := range tests {
		if got := tk.Encode(tc.input); !slices.Equal(got, tc.want) {
			t.Errorf("case %d: Encode(%q)\n got %v\nwant %v", i, tc.input, got, tc.want)
		}
		if got := tk.Decode(tk.Encode(tc.input)); utf8.ValidString(tc.input) && got != tc.input {
			t.Errorf("case %d: round trip gave %q", i, got)
		}
	}
	t.Logf("%d GPT-2 cases checked", len(tests))
}
