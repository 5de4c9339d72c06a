package chat_test

import (
	"fmt"

	"github.com/ouroeval/ouroeval/engine/chat"
)

func ExampleConfig_Render() {
	cfg, err := chat.ParseConfig([]byte(`{
		"chat_template": "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}",
		"eos_token": "<|im_end|>"
	}`), "tokenizer_config.json")
	if err != nil {
		fmt.Println(err)
		return
	}
	prompt, err := cfg.Render([]chat.Message{{Role: "user", Content: "Hello"}}, chat.RenderOptions{AddGenerationPrompt: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%q\n", prompt)
	// Output: "<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n"
}
