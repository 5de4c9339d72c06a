package tokenizer_test

import (
	"fmt"
	"strings"

	"github.com/ouroeval/ouroeval/engine/tokenizer"
)

func ExampleTokenizer_Encode() {
	tk, err := tokenizer.Load("testdata/tiny-bpe.json")
	if err != nil {
		fmt.Println(err)
		return
	}
	ids := tk.Encode("<|im_start|>Hello world")
	fmt.Println(ids)
	var toks []string
	for _, id := range ids {
		toks = append(toks, fmt.Sprintf("%q", tk.TokenString(id)))
	}
	fmt.Println(strings.Join(toks, " "))
	fmt.Printf("%q\n", tk.Decode(ids))
	fmt.Println(tk.EncodeSpecial("the")) // the post-processor prepends <|bos|>
	// Output:
	// [282 72 101 261 111 266]
	// "<|im_start|>" "H" "e" "ll" "o" "Ġworld"
	// "<|im_start|>Hello world"
	// [284 116 257]
}

func ExampleStreamDecoder() {
	tk, err := tokenizer.Load("testdata/micro-symbols.json")
	if err != nil {
		fmt.Println(err)
		return
	}
	d := tk.NewStreamDecoder()
	for _, id := range tk.Encode("a€") { // "€" is three byte tokens
		fmt.Printf("%q ", d.Add(id))
	}
	fmt.Printf("%q\n", d.Flush())
	// Output: "a" "" "" "€" ""
}
