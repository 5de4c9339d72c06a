package tokenizer

import (
	"encoding/json"
	"errors"
	"fmt"
)

// postProcessor adds fixed tokens around a single encoded sequence.
type postProcessor struct {
	prefix, suffix []int
}

type templatePiece struct {
	SpecialToken *struct {
		ID string `json:"id"`
	} `json:"SpecialToken"`
	Sequence *struct {
		ID string `json:"id"`
	} `json:"Sequence"`
}

func parsePostProcessor(raw json.RawMessage, t *Tokenizer) (*postProcessor, error) {
	if isNull(raw) {
		return nil, nil
	}
	var p struct {
		Type          string            `json:"type"`
		Processors    []json.RawMessage `json:"processors"`
		Single        []templatePiece   `json:"single"`
		SpecialTokens map[string]struct {
			IDs []int `json:"ids"`
		} `json:"special_tokens"`
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, err
	}
	switch p.Type {
	case "ByteLevel":
		return nil, nil // only adjusts offsets
	case "Sequence":
		var res *postProcessor
		for i, sub := range p.Processors {
			pp, err := parsePostProcessor(sub, t)
			if err != nil {
				return nil, fmt.Errorf("processors[%d]: %w", i, err)
			}
			if pp != nil {
				if res != nil {
					return nil, errors.New("more than one token-adding post-processor in a Sequence")
				}
				res = pp
			}
		}
		return res, nil
	case "TemplateProcessing":
		res := &postProcessor{}
		seen := false
		for i, piece := range p.Single {
			switch {
			case piece.Sequence != nil:
				if seen {
					return nil, errors.New("TemplateProcessing: single template has more than one sequence")
				}
				seen = true
			case piece.SpecialToken != nil:
				st, ok := p.SpecialTokens[piece.SpecialToken.ID]
				if !ok {
					return nil, fmt.Errorf("TemplateProcessing: single[%d] names special token %q missing from special_tokens", i, piece.SpecialToken.ID)
				}
				for _, id := range st.IDs {
					if id < 0 || id >= len(t.tokens) || !t.present[id] {
						return nil, fmt.Errorf("TemplateProcessing: special token %q has id %d, not in the vocabulary", piece.SpecialToken.ID, id)
					}
				}
				if seen {
					res.suffix = append(res.suffix, st.IDs...)
				} else {
					res.prefix = append(res.prefix, st.IDs...)
				}
			default:
				return nil, fmt.Errorf("TemplateProcessing: single[%d] is neither SpecialToken nor Sequence", i)
			}
		}
		if !seen {
			return nil, errors.New("TemplateProcessing: single template has no sequence ($A)")
		}
		if len(res.prefix) == 0 && len(res.suffix) == 0 {
			return nil, nil
		}
		return res, nil
	case "":
		return nil, errors.New(`post-processor has no "type"`)
	default:
		return nil, fmt.Errorf("post-processor type %q is not supported (supported: TemplateProcessing, ByteLevel, Sequence)", p.Type)
	}
}
