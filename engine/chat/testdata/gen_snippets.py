#!/usr/bin/env python3
"""Writes snippets.json: small templates rendered by Python's jinja2 in
Hugging Face's chat-template configuration (see gen_expected.py), one per
Jinja feature, for differential tests of the Go interpreter. A template that
raises in Python is recorded with "error": true.

Run from this directory: python3 gen_snippets.py
"""
import json
from gen_expected import env

V = {
    "x": {"y": 2, "a": [1, "é", None, True, 1.5], "b": {"c": "<>&'\"\n"}},
    "d": {"b": 1, "a": 2},
    "users": [{"name": "ann", "age": 31, "admin": True}, {"name": "bob", "age": 19, "admin": False},
              {"name": "cy", "age": 25, "admin": False}],
    "s": "Hello World",
    "n": 7,
    "f": 2.5,
    "e": "",
    "z": None,
    "l": [3, 1, 2],
}

T = [
    # whitespace control, trim_blocks, lstrip_blocks
    "a\n{% if true %}\nb\n{% endif %}\nc",
    "  {% if true %}x{% endif %}  \n",
    "a  {%- if true -%}  b  {%- endif -%}  c",
    "{{ 'x' }}\n{{ 'y' }}\n",
    "line\n    {%- for i in range(3) %}\n  {{ i }}\n{%- endfor %}\n",
    "{# comment #}\nx\n  {# c2 #}\ny",
    "{% raw %}{{ not evaluated }} {% if %}{% endraw %}|",
    "a\r\n{% if true %}\r\nb{% endif %}",
    "  {%+ if true %}x{% endif %}",
    "{{- ' a ' -}}  \n  {{ 'b' }}",
    "  x {% if true %}\n  y\n  {% endif %}\n  z",
    "{% for i in [1, 2] %}\n    {{ i }}\n{% endfor %}\n",
    "{%- set a = 1 -%}\n\n  {{ a }}  \n\n{%- set b = 2 %}\n{{ b }}",
    "\t{% if true %}\ttab{% endif %}",
    "{% if true %}  {% endif %}",
    # expressions
    "{{ 1 + 2 * 3 }} {{ (1 + 2) * 3 }} {{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }} {{ 2 ** 10 }} {{ 2 ** -1 }} {{ 7 / 2 }} {{ 6 / 3 }}",
    "{{ 1.5 }} {{ 1e20 }} {{ 0.1 + 0.2 }} {{ 1e-5 }} {{ 100.0 }} {{ 1 / 3 }} {{ 10000000000000000.0 }} {{ 123456789.123 }} {{ -0.0 }} {{ 3.0 * 2 }} {{ 1e16 }} {{ 1e15 }} {{ 0.0001 }}",
    "{{ 'a' ~ 1 ~ none ~ true ~ 1.0 }}",
    "{{ none }} {{ true }} {{ [1, 'a', none, 1.0, \"it's\"] }} {{ {'a': 1, 'b': [2]} }}",
    "{{ 'abc'[1] }} {{ 'abc'[-1] }} {{ 'abcdef'[1:4] }} {{ 'abcdef'[::2] }} {{ [1, 2, 3, 4][::-1] }} {{ [1, 2, 3][5:] }} {{ 'héllo'[1:3] }} {{ l[-2:] }} {{ l[:-1] }} {{ 'abc'[::-1] }} {{ [1,2,3,4,5][4:1:-2] }}",
    "{{ x.y }} {{ x['y'] }} {{ x.z is defined }} [{{ x.z }}] {{ x.b.c }}",
    "[{{ missing }}]",
    "{{ missing.attr }}",
    "[{{ 1 if true }}] [{{ 1 if false }}] {{ 'a' if n > 5 else 'b' }}",
    "{{ 'a' in 'cat' }} {{ 2 in [1, 2] }} {{ 'k' in {'k': 1} }} {{ 3 not in [1] }} {{ 'b' in d }}",
    "{{ 1 < 2 < 3 }} {{ 1 < 3 < 2 }} {{ 'a' < 'b' }} {{ [1, 2] < [1, 3] }} {{ 2 >= 2.0 }}",
    "{{ not true }} {{ true and 'x' }} {{ false or 'y' }} {{ none or 0 }} {{ not e }}",
    "{{ 1 == 1.0 }} {{ true == 1 }} {{ 'a' == 'a' }} {{ none == none }} {{ [1] == [1] }} {{ d == {'a': 2, 'b': 1} }} {{ 1 != 2 }}",
    "{{ 'ab' * 3 }} {{ [1] * 2 }} {{ [1] + [2] }} {{ 3 * 'x' }} {{ -n }} {{ +f }}",
    "{{ 'a\\nb' }} {{ \"q'\" }} {{ '\\u00e9\\x41' }} {{ 'tab\\there' }} {{ 'con' 'cat' }}",
    "{{ '%s and %d' % ('a', 3) }} {{ '%s!' % 'x' }} {{ '%s' | format(5) }} {{ '100%%' % () }}",
    "{{ 'a' + 1 }}",
    "{{ missing + 1 }}",
    "{{ 1 / 0 }}",
    # filters
    "{{ '  hi  ' | trim }}|{{ 'xxhixx' | trim('x') }}|{{ s | lower }}|{{ 'hello wORLD' | title }}|{{ 'hELLO' | capitalize }}|{{ 'a-b c(d' | title }}|{{ s | upper }}",
    "{{ l | sort }} {{ ['b', 'A', 'c'] | sort }} {{ ['b', 'A', 'c'] | sort(case_sensitive=true) }} {{ l | sort(reverse=true) }} {{ users | sort(attribute='age') | map(attribute='name') | join(' ') }}",
    "{{ l | join(', ') }} {{ l | join }} {{ l | length }} {{ 'héllo' | length }} {{ d | length }} {{ l | count }} {{ users | join(',', attribute='name') }}",
    "{{ l | first }} {{ l | last }} [{{ [] | first }}] {{ 'abc' | first }}",
    "{{ users | map(attribute='name') | join(',') }} {{ users | map(attribute='nope', default='?') | list }}",
    "{{ users | selectattr('age', 'gt', 20) | map(attribute='name') | list }} {{ users | selectattr('admin') | list | length }} {{ users | rejectattr('admin') | list | length }} {{ users | selectattr('name', 'equalto', 'bob') | first }}",
    "{{ [1, 2, 3, 4] | select('even') | list }} {{ [1, 2, 3, 4] | reject('odd') | list }} {{ [0, 1, '', 'a', none] | select | list }} {{ [1, 5, 9] | select('>', 4) | list }}",
    "{{ ['a', 'b'] | map('upper') | list }} {{ ['  a', 'b  '] | map('trim') | join('|') }}",
    "{{ 'x' | default('d') }} {{ missing | default('d') }} {{ '' | default('d', true) }} {{ none | default('d') }} {{ missing | d('short') }}",
    "{{ 'a b a' | replace('a', 'x') }} {{ 'a a a' | replace('a', 'x', 2) }} {{ '3' | int + 1 }} {{ 'x' | int }} {{ '2.5' | float }} {{ 2.567 | round(2) }} {{ 2.5 | round }} {{ -3 | abs }} {{ '4.7' | int }} {{ 3.9 | int }}",
    "{{ d | dictsort }} {{ d | items | list }} {{ d | dictsort(by='value') }} {{ d | dictsort(reverse=true) }}",
    "{{ [1, 2, 2, 1] | unique | list }} {{ ['a', 'A', 'b'] | unique | list }} {{ l | max }} {{ l | min }} {{ l | sum }} {{ users | sum(attribute='age') }} {{ users | max(attribute='age') }}",
    "{{ x | tojson }}",
    "{{ x | tojson(indent=2) }}",
    "{{ d | tojson(sort_keys=true) }} {{ 'é' | tojson(ensure_ascii=true) }} {{ [1, 2] | tojson(separators=(',', ':')) }} {{ 1.0 | tojson }} {{ none | tojson }}",
    "{{ 'line1\\nline2\\n\\nline4' | indent(2) }}|{{ 'a\\nb' | indent(2, true) }}|{{ 'a\\n\\nb' | indent(width='> ', blank=true) }}",
    "{{ 42 | string ~ '!' }} {{ none | string }} {{ [1] | string }}",
    "{{ 'abc' | reverse }} {{ [1, 2] | reverse | list }} {{ 'ab' | list }} {{ d | list }}",
    "{{ '<a href=\"x\">&</a>' | e }} {{ 'x' | safe }}",
    "{{ 'x' | frobnicate }}",
    "{{ 'a b c d' | wordcount }}",
    # tests
    "{{ 1 is number }} {{ 'a' is string }} {{ none is none }} {{ x is mapping }} {{ [1] is iterable }} {{ 3 is odd }} {{ 4 is divisibleby 2 }} {{ 4 is divisibleby(3) }} {{ 'abc' is lower }} {{ 'ABC' is upper }}",
    "{{ false is false }} {{ 0 is false }} {{ true is true }} {{ 1 is true }} {{ 1 is integer }} {{ 1.0 is float }} {{ true is boolean }} {{ x is defined }} {{ y is undefined }} {{ 2 is in [1, 2] }} {{ 1 is eq 1 }} {{ 2 is gt 1 }} {{ none is sameas none }} {{ s is not string }} {{ l is sequence }} {{ range is callable }}",
    "{{ 1 is frob }}",
    # methods
    "{{ 'a b  c'.split() }} {{ 'a,b,,c'.split(',') }} {{ 'a,b,c'.split(',', 1) }} {{ 'a,b,c'.rsplit(',', 1) }} {{ '  x y  z '.split(none, 1) }} {{ ''.split() }} {{ ''.split(',') }} {{ ' a b '.rsplit(none, 1) }}",
    "{{ '  x  '.strip() }}|{{ 'xxaxx'.strip('x') }}|{{ '\\n\\nx\\n'.lstrip('\\n') }}|{{ 'x\\n\\n'.rstrip() }}|{{ 'abc'.strip('ac') }}",
    "{{ s.startswith('He') }} {{ s.endswith(('x', 'ld')) }} {{ s.startswith('World', 6) }} {{ s.upper() }} {{ 'hello wORLD'.title() }} {{ \"they're\".title() }} {{ 'abcabc'.replace('b', 'X', 1) }} {{ 'hello'.find('l') }} {{ 'hello'.rfind('l') }} {{ 'hello'.find('z') }} {{ 'hello'.count('l') }} {{ '-'.join(['a', 'b']) }} {{ '123'.isdigit() }} {{ 'ab\\ncd\\r\\ne'.splitlines() }} {{ 'abc'.capitalize() }} {{ 'Ab1'.isalnum() }} {{ ' '.isspace() }} {{ 'ab'.islower() }}",
    "{{ d.items() | list }} {{ d.keys() | list }} {{ d.values() | list }} {{ d.get('a') }} {{ d.get('z', 'def') }} {{ d.get('z') }} {{ d['a'] }}",
    "{{ 'x'.nosuch() }}",
    "{{ l.append(4) }}",
    "{{ l.index(1) }} {{ l.count(3) }}",
    # statements
    "{% for v in [1, 2, 3] %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }}|{% endfor %}",
    "{% for v in [] %}a{% else %}empty{% endfor %} {% for v in l %}{{ v }}{% else %}no{% endfor %}",
    "{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %} {% for k in d %}{{ k }}{% endfor %}",
    "{% for v in [1, 2, 3, 4] if v is even %}{{ v }}{{ loop.index }}{{ loop.length }}{% endfor %}",
    "{% for v in [1, 2, 3] %}{% if v == 2 %}{% continue %}{% endif %}{{ v }}{% endfor %}|{% for v in [1, 2, 3] %}{% if v == 2 %}{% break %}{% endif %}{{ v }}{% endfor %}",
    "{% for c in 'abc' %}{{ c }}{{ loop.previtem }}{{ loop.nextitem }}{{ loop.cycle('o', 'e') }},{% endfor %}",
    "{% for a in [1, 2] %}{% for b in [3, 4] %}{{ a }}{{ b }}{{ loop.index }} {% endfor %}{{ loop.index }}|{% endfor %}",
    "{% set v = 1 %}{% for i in [1, 2] %}{% set v = v + i %}{{ v }}{% endfor %}{{ v }}",
    "{% set ns = namespace(c=0, items='') %}{% for i in range(5) %}{% set ns.c = ns.c + i %}{% endfor %}{{ ns.c }} {{ ns.items }}[{{ ns.missing }}]",
    "{% set a, b = 1, 2 %}{{ a }}{{ b }} {% set t = (3, 4) %}{{ t[1] }}",
    "{% set blk %}block {{ 1 + 1 }}{% endset %}[{{ blk }}]",
    "{% macro greet(name, punct='!') %}Hi {{ name }}{{ punct }}{% endmacro %}{{ greet('Bob') }} {{ greet('Al', punct='?') }} {{ greet(name='Cy') }}",
    "{% macro wrap(t) %}<{{ t }}:{{ caller() }}>{% endmacro %}{% call wrap('b') %}inner {{ 1 }}{% endcall %}",
    "{% filter upper %}hello {{ 'x' }}{% endfilter %}",
    "{% if n > 10 %}big{% elif n > 5 %}mid{% elif n > 0 %}small{% else %}neg{% endif %}",
    "{% if z %}a{% elif e %}b{% else %}c{% endif %}",
    "{{ raise_exception('boom ' ~ n) }}",
    "{{ range(3) | list }} {{ range(1, 7, 2) | list }} {{ range(5, 0, -2) | list }} {{ dict(a=1, b='x') }} {{ namespace(a=1).a }}",
    "{% if true %}unclosed",
    "{% for %}{% endfor %}",
    "{% include 'x.jinja' %}",
    "{{ strftime_now('%Y-%m-%d %H:%M:%S %a %A %b %B %j %p %I %y %%') }}",
]

out = []
for t in T:
    rec = {"template": t}
    try:
        rec["want"] = env.from_string(t).render(**V)
    except Exception as ex:  # noqa: BLE001 - any failure is an expected error
        rec["error"] = True
        rec["python_error"] = type(ex).__name__ + ": " + str(ex)
    out.append(rec)
with open("snippets.json", "w") as f:
    json.dump({"vars": V, "cases": out}, f, ensure_ascii=False, indent=1)
    f.write("\n")
print(len(out), "snippets,", sum(1 for r in out if "error" in r), "errors")
