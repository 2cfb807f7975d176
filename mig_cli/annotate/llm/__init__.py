"""LLM annotators over an OpenAI-compatible server: the HTTP client (`client`), the prompts
(`prompts`), reading replies (`replies`) and the InsTag-style tagger / DEITA-style judge
(`annotators`)."""
