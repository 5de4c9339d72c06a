#!/usr/bin/env python3
"""Writes expected.json: chat-template renderings produced by Python's jinja2
configured as Hugging Face transformers configures it for apply_chat_template
(ImmutableSandboxedEnvironment, trim_blocks, lstrip_blocks, loopcontrols,
tojson without ASCII escaping, raise_exception and strftime_now globals).

Run from this directory with a python3 that has jinja2 (3.1.6 was used): python3 gen_expected.py
Real templates are read from ../../../../shared/data/tokenizers (not copied).
"""
import datetime, json, os
import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

SHARED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../../shared/data/tokenizers")
NOW = datetime.datetime(2026, 11, 29, 15, 4, 5)  # the clock the Go tests inject

class TemplateError(Exception):
    pass

def raise_exception(message):
    raise TemplateError(message)

def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

def strftime_now(fmt):
    return NOW.strftime(fmt)

env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=["jinja2.ext.loopcontrols"])
env.filters["tojson"] = tojson
env.globals["raise_exception"] = raise_exception
env.globals["strftime_now"] = strftime_now

def cfg(name):
    with open(os.path.join(SHARED, name, "tokenizer_config.json")) as f:
        return json.load(f)

def special(c, key):
    v = c.get(key)
    if isinstance(v, dict):
        v = v.get("content")
    return v

def main():
    U = lambda s: {"role": "user", "content": s}
    A = lambda s, **kw: dict({"role": "assistant", "content": s}, **kw)
    S = lambda s: {"role": "system", "content": s}
    T = lambda s: {"role": "tool", "content": s}

    # Tool definitions use sorted keys: Go maps render their keys sorted.
    WEATHER = {"function": {"description": "Get the weather", "name": "get_weather",
               "parameters": {"properties": {"city": {"type": "string"}}, "required": ["city"], "type": "object"}},
               "type": "function"}

    cases = [
        # name, template source, messages, options
        ("ouro/user", "ouro-1.4B", [U("Hello")], {"add_generation_prompt": True}),
        ("ouro/no-gen", "ouro-1.4B", [U("Hello")], {"add_generation_prompt": False}),
        ("ouro/system-multiturn", "ouro-1.4B", [S("You are terse."), U("Hi"), A("Hello!"), U("2+2?")], {"add_generation_prompt": True}),
        ("ouro/assistant-last", "ouro-1.4B", [U("Hi"), A("Hello there\n\n")], {"add_generation_prompt": False}),
        ("ouro/unicode", "ouro-1.4B", [U("Ünïcödé ✓ 日本語 🦙\n\tend")], {"add_generation_prompt": True}),
        ("qwen3/user", "qwen3", [U("Hello")], {"add_generation_prompt": True}),
        ("qwen3/no-think", "qwen3", [U("Hello")], {"add_generation_prompt": True, "enable_thinking": False}),
        ("qwen3/think-true", "qwen3", [U("Hello")], {"add_generation_prompt": True, "enable_thinking": True}),
        ("qwen3/no-gen", "qwen3", [S("Be brief."), U("Hello")], {"add_generation_prompt": False}),
        ("qwen3/multiturn-think", "qwen3", [S("sys"), U("Q1"), A("<think>\nreason 1\n</think>\n\nA1"), U("Q2"), A("<think>\nreason 2\n</think>\n\nA2")], {"add_generation_prompt": False}),
        ("qwen3/multiturn-gen", "qwen3", [U("Q1"), A("<think>\nr\n</think>\n\nA1"), U("Q2")], {"add_generation_prompt": True, "enable_thinking": False}),
        ("qwen3/reasoning-content", "qwen3", [U("Q1"), A("Final", reasoning_content="\nstep by step\n")], {"add_generation_prompt": False}),
        ("qwen3/tools", "qwen3", [S("Use tools."), U("Weather in Paris?"),
            A("", tool_calls=[{"function": {"arguments": {"city": "Paris"}, "name": "get_weather"}, "type": "function"}]),
            T("{\"temp\": 21}"), T("{\"wind\": 3}"), A("It is 21°C.")], {"add_generation_prompt": False, "tools": [WEATHER]}),
        ("qwen3/tools-gen", "qwen3", [U("Weather in Paris?")], {"add_generation_prompt": True, "tools": [WEATHER]}),
        ("qwen3/tool-string-args", "qwen3", [U("Go"), A("Calling.", tool_calls=[{"function": {"arguments": "{\"city\": \"Rome\"}", "name": "get_weather"}}]), T("ok")], {"add_generation_prompt": True}),
        ("llama3/user", "llama3", [U("Hello")], {"add_generation_prompt": True}),
        ("llama3/system-trim", "llama3", [S("  You are helpful.\n"), U("\n Hi \n"), A("Hey"), U("Bye")], {"add_generation_prompt": True}),
        ("llama3/no-gen", "llama3", [U("Hello")], {"add_generation_prompt": False}),
        ("rich/basic", "rich.jinja", [S("  Sys  "), U("hello  world"), A("!shout"), U("key : value: more")], {"add_generation_prompt": True}),
        ("rich/date-string", "rich.jinja", [U("x")], {"add_generation_prompt": False, "date_string": "01 Jan 2000"}),
        ("rich/tools", "rich.jinja", [U("weather?"), A("ok", tool_calls=[{"name": "get_weather", "arguments": {"city": "Zürich", "days": [1, 2]}}, {"name": "noop", "arguments": {}}])],
            {"add_generation_prompt": True, "tools": [{"description": "Get the weather", "name": "get_weather", "parameters": {"city": "string"}}, {"name": "noop"}], "custom_flag": True}),
        ("rich/loop-controls", "rich.jinja", [U("a"), {"role": "skip", "content": "hidden"}, A("b"), {"role": "stop", "content": ""}, U("never")], {"add_generation_prompt": False}),
        ("rich/raise", "rich.jinja", [A("I speak first")], {"add_generation_prompt": True}),
    ]

    out = []
    for name, src, messages, opts in cases:
        if src.endswith(".jinja"):
            with open(src) as f:
                template = f.read()
            bos, eos = "<s>", "</s>"
        else:
            c = cfg(src)
            template = c["chat_template"]
            bos, eos = special(c, "bos_token"), special(c, "eos_token")
        ctx = dict(opts)
        ctx.setdefault("tools", None)
        ctx.update(messages=messages, bos_token=bos, eos_token=eos)
        rec = {"name": name, "template": src, "messages": messages, "options": opts}
        try:
            rec["want"] = env.from_string(template).render(**ctx)
        except TemplateError as e:
            rec["error"] = str(e)
        out.append(rec)

    with open("expected.json", "w") as f:
        json.dump(out, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(len(out), "cases")


if __name__ == "__main__":
    main()
