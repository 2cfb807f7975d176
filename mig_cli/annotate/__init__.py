"""Annotate: the `tag` and `score` stages. The resumable engine (`engine`), what a record's text is
(`text`), the offline taggers (`taggers`, `labelling`; their bundled data: `tag_data`) and scorers
(`heuristics`, `scoring`), the embedding model (`embedding`), and the LLM annotators (`llm/`)."""
