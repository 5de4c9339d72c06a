// Package tasks loads evaluation tasks written in lm-evaluation-harness's
// YAML vocabulary and turns their documents into the exact prompts and
// requests lm-eval would send.
//
// # Specs
//
// A task file is a YAML mapping with lm-eval's keys (task, tag, include,
// dataset_path, dataset_name, dataset_kwargs, training_split,
// validation_split, test_split, fewshot_split, process_docs, output_type,
// doc_to_text, doc_to_target, doc_to_choice, target_delimiter,
// fewshot_delimiter, description, num_fewshot, fewshot_config,
// generation_kwargs, repeats, filter_list, metric_list, metadata) plus
// data_files. Unknown keys are errors naming file:line and listing the valid
// keys; lm-eval keys that need Python (!function, process_results,
// custom_dataset, use_prompt) are rejected with a reason; process_docs takes
// the name of a built-in preprocessor (PreprocessorNames).
//
// doc_filter: {field: value, ...} is an ouroeval extension standing in for
// lm-eval's subset-selecting process_docs callables (mmlu_pro's
// utils.process_<category>): every split the task reads, evaluation and
// few-shot, keeps only the rows whose fields equal the values (non-string
// scalars compared in Python's str() form), before process_docs and
// few-shot sampling. A row lacking a filter field, or a split left empty,
// is an error naming task, split and row.
//
// include: (a file or a list, relative to the including file) merges the
// parents' top-level keys first, later includes over earlier ones, the file
// itself over all, like lm-eval's load_yaml_config. A file without task: is
// an include base, not a task. A file with group: and a task: list is a
// group; members may be tasks, groups (nested), tags, or inline task
// mappings; aggregate_metric_list entries default to aggregation mean,
// weight_by_size true, filter_list [none], as in lm-eval. tag: puts a task
// in a non-aggregating named set.
//
// Built-in tasks live in builtin/ (go:embed, include bases starting with _
// included); LoadCatalog adds user directories (--tasks-dir).
//
// # Datasets
//
// dataset_path is one of: a format name (json, jsonl, csv, tsv, parquet)
// with data_files (a file, a list, or split: files; relative paths are
// looked up next to the task file, then in LoadOptions.DataDir); a local
// directory; an HF dataset id resolved under LoadOptions.DataDir as
// DATADIR/<dataset_path>/[<dataset_name>/]<split>.<ext> (also <split>-*.<ext>,
// <split>/*.<ext>, data/<split>-*.<ext>); or "procedural" with dataset_name
// naming a generator of package procedural (dataset_kwargs: seed,
// <split>_size, and the generator's own options). Files may be gzipped.
// JSON integers stay integers and CSV/TSV columns are typed like pandas, so
// templates print values as Python would. A CSV/TSV file has a header row
// unless dataset_kwargs.column_names (datasets' csv option) names its
// columns, in which case every row is data and must have exactly that many
// fields; dataset_kwargs.field is the json loader's key of the row list.
// Errors name task, split, file and line or row.
//
// # Templates
//
// doc_to_text, doc_to_target, doc_to_choice and description follow lm-eval:
// a string that is exactly a dataset feature (a key of the first document)
// is that field's value; anything else is Jinja, rendered with
// StrictUndefined (github.com/nikolalohinski/gonja/v2), so a reference to a
// missing field is an error naming task, document and field
// (MissingFieldError) instead of rendering as empty. Templates made only of
// text and {{ a.b.c }} field paths - nearly all real tasks - are rendered by
// a fast path that prints values like Python's str() (None, True, 2.0,
// ['a', 'b']); gonja renders everything else. doc_to_target renders to an
// int when the result is all digits and doc_to_choice is set, and to a list
// when it looks like a Python list literal; doc_to_choice may be a YAML list,
// a mapping (its values), a field, or a template whose value (or rendered
// Python literal) is a list.
//
// # Few-shot examples
//
// The prompt is description + Σ(example) + doc_to_text, where each example
// is doc_to_text + target_delimiter + target + fewshot_delimiter (nothing
// after the text when the target is empty), exactly as lm-eval's
// ContextSampler builds it. The pool is fewshot_config.samples, else
// fewshot_split, else training_split, else validation_split, else the
// evaluation split. Sampler first_n takes the first examples; sampler
// default reproduces lm-eval bit for bit: one Python random.Random(seed)
// per task (a Go port of CPython's MT19937, init_by_array seeding,
// getrandbits, _randbelow and random.sample, tested against CPython output)
// from which document i's examples are the i-th call of
// rnd.sample(pool, k) in document order - k = num_fewshot+1 when
// fewshot_split equals test_split, and examples equal to the document are
// dropped. Build advances that stream under a lock, so results do not depend
// on call order or concurrency. lm-eval's default few-shot seed is 1234
// (DefaultFewshotSeed).
//
// # Requests
//
// generate_until: one generate request (until → Stop, max_gen_toks →
// MaxTokens (default 256), temperature/top_p/top_k/min_p, repeats → N;
// without generation_kwargs, until = [fewshot_delimiter] and greedy).
// multiple_choice: one log-likelihood request per choice, context = prompt,
// continuation = target_delimiter + choice (multiple-input tasks, where
// doc_to_text yields a choice index, put each choice in the context and
// score target_delimiter + target). loglikelihood: context = prompt,
// continuation = doc_to_target without target_delimiter (as lm-eval).
// loglikelihood_rolling: the text is doc_to_target.
//
// Known differences from lm-eval: gonja, not Jinja2, renders non-fast-path
// templates (it prints None as "" and has fewer string methods, e.g. no
// list.index); dict-valued doc_to_choice fields give their values in sorted
// key order (Go maps lose insertion order); Python callables are not
// supported.
package tasks
