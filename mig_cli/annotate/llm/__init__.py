"""LLM annotators over an OpenAI-compatible server: the HTTP client (`client`, over `transport`;
`credentials` keeps the key out of messages), the prompts (`prompts`), reading replies
(`replies`) and the InsTag-style tagger / DEITA-style judge (`annotators`)."""
