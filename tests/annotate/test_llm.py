"""Tests of the OpenAI-compatible client, the prompts and the LLM annotators, against a real
local HTTP server (tests/fake_openai.py)."""

from __future__ import annotations

import json
import math
import socket
import time
from collections.abc import Iterator

import pytest

from mig_cli.annotate.llm import prompts
from mig_cli.annotate.llm.annotators import LLMScorer, LLMTagger, map_ordered
from mig_cli.annotate.llm.client import OpenAIClient
from mig_cli.annotate.llm.credentials import api_key_from_env
from mig_cli.annotate.llm.replies import (
    digit_from_text,
    expected_digit,
    first_token_top_logprobs,
    parse_tags,
)
from mig_cli.errors import MigError, RemoteError

from ..fake_openai import FakeOpenAI, Fault, hashed_digits, words_as_tags

KEY = "sk-test-SECRET-0123456789"


@pytest.fixture
def server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(lifetime=60.0) as fake:
        yield fake


class Sleeps:
    """A `sleep` that records the waits instead of waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def make_client(server: FakeOpenAI, **kwargs) -> OpenAIClient:
    options = {"api_key": KEY, "timeout": 5.0, "max_retries": 3, "backoff": 0.001}
    options["max_backoff"] = 0.01
    options.update(kwargs)
    return OpenAIClient(server.base_url, "fake-model", **options)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------------------------------------
# Client


def test_chat_sends_model_messages_params_and_key(server: FakeOpenAI) -> None:
    client = make_client(server)
    reply = client.chat([{"role": "user", "content": "hello"}], temperature=0.0, max_tokens=2)
    assert reply["object"] == "chat.completion"
    (req,) = server.requests
    assert req.path == "/v1/chat/completions"
    assert req.body == {
        "model": "fake-model",
        "messages": [{"role": "user", "content": "hello"}],
        "temperature": 0.0,
        "max_tokens": 2,
    }
    assert req.headers["authorization"] == f"Bearer {KEY}"
    assert req.headers["content-type"] == "application/json"


def test_no_authorization_header_without_key(server: FakeOpenAI) -> None:
    client = make_client(server, api_key=None)
    client.complete("Rate: ", max_tokens=1)
    (req,) = server.requests
    assert req.path == "/v1/completions"
    assert req.body["prompt"] == "Rate: "
    assert "authorization" not in req.headers


def test_trailing_slash_in_base_url_is_stripped(server: FakeOpenAI) -> None:
    client = OpenAIClient(server.base_url + "/", "m", backoff=0.0, max_retries=0)
    client.chat([{"role": "user", "content": "x"}])
    assert server.requests[0].path == "/v1/chat/completions"
    assert client.base_url == server.base_url


def test_bad_base_url_is_rejected() -> None:
    with pytest.raises(ValueError, match="http"):
        OpenAIClient("127.0.0.1:8000/v1", "m")


def test_repr_hides_key(server: FakeOpenAI) -> None:
    assert KEY not in repr(make_client(server))


@pytest.mark.parametrize("fault", ["429", "500", "503", "malformed", "drop"])
def test_transient_faults_are_retried(server: FakeOpenAI, fault: str) -> None:
    sleeps = Sleeps()
    client = make_client(server, sleep=sleeps)
    server.schedule(fault, fault)
    reply = client.chat([{"role": "user", "content": "hi"}], max_tokens=2)
    assert reply["choices"][0]["message"]["content"]
    assert [r.fault for r in server.requests] == [fault, fault, None]
    assert len(sleeps.waits) == 2


def test_timeout_is_retried(server: FakeOpenAI) -> None:
    client = make_client(server, timeout=0.2)
    server.schedule(Fault("slow", delay=3.0))
    start = time.monotonic()
    reply = client.chat([{"role": "user", "content": "hi"}], max_tokens=2)
    assert time.monotonic() - start < 2.0
    assert reply["choices"]
    assert [r.fault for r in server.requests] == ["slow", None]


def test_timeouts_until_give_up(server: FakeOpenAI) -> None:
    client = make_client(server, timeout=0.1, max_retries=1)
    server.when("", Fault("slow", delay=3.0))
    with pytest.raises(RemoteError, match="gave up after 2 attempt"):
        client.chat([{"role": "user", "content": "hi"}])
    assert len(server.requests) == 2


def test_gives_up_after_max_retries_without_leaking_key(server: FakeOpenAI) -> None:
    sleeps = Sleeps()
    client = make_client(server, max_retries=2, sleep=sleeps)
    server.when("", "500")  # every request; the error body echoes the Authorization header
    with pytest.raises(RemoteError) as info:
        client.chat([{"role": "user", "content": "hi"}])
    message = str(info.value)
    assert len(server.requests) == 3
    assert len(sleeps.waits) == 2
    assert f"{server.base_url}/chat/completions" in message
    assert "HTTP 500" in message
    assert "injected 500" in message  # the body snippet is there ...
    assert KEY not in message  # ... but the key it echoed is not
    assert "SECRET" not in message
    assert isinstance(info.value, MigError)


@pytest.mark.parametrize("fault", ["400", "401"])
def test_client_errors_are_not_retried(server: FakeOpenAI, fault: str) -> None:
    sleeps = Sleeps()
    client = make_client(server, sleep=sleeps)
    server.schedule(fault)
    with pytest.raises(RemoteError) as info:
        client.chat([{"role": "user", "content": "hi"}])
    assert len(server.requests) == 1
    assert sleeps.waits == []
    assert f"HTTP {fault}" in str(info.value)
    assert KEY not in str(info.value)


def test_connection_refused_gives_up_naming_url() -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    sleeps = Sleeps()
    client = OpenAIClient(url, "m", api_key=KEY, max_retries=2, sleep=sleeps, timeout=1.0)
    with pytest.raises(RemoteError) as info:
        client.complete("x")
    assert f"{url}/completions" in str(info.value)
    assert "connection error" in str(info.value)
    assert KEY not in str(info.value)
    assert len(sleeps.waits) == 2


def test_retry_after_is_honoured_and_capped(server: FakeOpenAI) -> None:
    sleeps = Sleeps()
    client = make_client(server, sleep=sleeps, backoff=0.001, max_backoff=5.0)
    server.schedule(Fault("429", retry_after="2"), Fault("429", retry_after="30"))
    client.chat([{"role": "user", "content": "hi"}])
    assert sleeps.waits == [2.0, 5.0]
    assert len(server.requests) == 3


def test_backoff_grows_exponentially_with_jitter(server: FakeOpenAI) -> None:
    sleeps = Sleeps()
    client = make_client(server, sleep=sleeps, backoff=0.1, max_backoff=0.3, max_retries=4)
    server.schedule(*[Fault("429", retry_after=None)] * 4)
    client.chat([{"role": "user", "content": "hi"}])
    bounds = [(0.05, 0.1), (0.1, 0.2), (0.15, 0.3), (0.15, 0.3)]  # 0.4 capped at 0.3
    assert len(sleeps.waits) == 4
    for wait, (low, high) in zip(sleeps.waits, bounds):
        assert low <= wait <= high


def test_real_sleep_is_short_with_small_backoff(server: FakeOpenAI) -> None:
    client = make_client(server, sleep=time.sleep, backoff=0.01, max_backoff=0.05)
    server.schedule("500", "429", "500")
    start = time.monotonic()
    client.chat([{"role": "user", "content": "hi"}])
    assert time.monotonic() - start < 1.0
    assert len(server.requests) == 4


def test_api_key_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_KEY", " abc ")
    monkeypatch.setenv("EMPTY_KEY", "")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    assert api_key_from_env("MY_KEY") == "abc"
    assert api_key_from_env("EMPTY_KEY") is None
    assert api_key_from_env() is None
    monkeypatch.setenv("OPENAI_API_KEY", "sk-1")
    assert api_key_from_env() == "sk-1"


# ---------------------------------------------------------------------------------------------
# Prompts


def test_prompts_carry_the_material_and_end_at_the_digit() -> None:
    msgs = prompts.tagging_messages("Convert 3 miles to km")
    assert [m["role"] for m in msgs] == ["system", "user"]
    assert msgs[1]["content"] == "Convert 3 miles to km"
    assert "JSON" in msgs[0]["content"] and '"tag"' in msgs[0]["content"]

    chat = prompts.complexity_messages("INSTR-X")[0]["content"]
    raw = prompts.complexity_prompt("INSTR-X")
    assert "INSTR-X" in chat and "INSTR-X" in raw
    assert "1" in chat and "6" in chat
    assert raw.rstrip().endswith(":")

    q_chat = prompts.quality_messages("INSTR-Y", "RESP-Y")[0]["content"]
    q_raw = prompts.quality_prompt("INSTR-Y", "RESP-Y")
    for text in (q_chat, q_raw):
        assert text.index("INSTR-Y") < text.index("RESP-Y")
    assert q_raw.rstrip().endswith(":")


# ---------------------------------------------------------------------------------------------
# parse_tags


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ('[{"tag": "python programming", "explanation": "x"}]', ["python programming"]),
        ('[{"Tag": "Role Play", "Explanation": "x"}, {"TAG": "poem"}]', ["Role Play", "poem"]),
        ('["unit conversion", "arithmetic"]', ["unit conversion", "arithmetic"]),
        ('{"tags": [{"tag": "a"}, {"tag": "b"}]}', ["a", "b"]),
        ('{"Tags": ["a", "b"]}', ["a", "b"]),
        ('```json\n[{"tag": "sql", "explanation": "y"}]\n```', ["sql"]),
        ('```\n["x"]\n```\nHope this helps!', ["x"]),
        ('Sure! Here are the tags:\n[{"tag": "math"}]\nLet me know [if] more.', ["math"]),
        ('[{"tag": "a", "explanation": "b",}, {"tag": "c",},]', ["a", "c"]),
        ('```json\n[\n  {"tag": "a"},\n  {"tag": "b"},\n]\n```', ["a", "b"]),
        ("[{'tag': 'single quotes', 'explanation': 'py'}]", ["single quotes"]),
        ('<think>maybe ["wrong"]</think>[{"tag": "right"}]', ["right"]),
        ('Note [1]: see below.\n[{"tag": "after citation"}]', ["after citation"]),
        ('{"tag": "only one", "explanation": "z"}', ["only one"]),
        ("[]", []),
        ("I cannot help with that.", None),
        ("", None),
        ("[1, 2, 3]", None),
        ('{"error": "bad"}', None),
        ('[{"tag": "cut off", "expl', None),
        ('[{"tag": "a"}, {"tag": "b"}, {"tag": "c", "expl', None),  # not just ["a"]
        ('Tags: {"tags": ["wrapped", "in prose"]} done', ["wrapped", "in prose"]),
        (None, None),
    ],
)
def test_parse_tags(reply: str | None, expected: list[str] | None) -> None:
    assert parse_tags(reply) == expected


# ---------------------------------------------------------------------------------------------
# expected_digit


def test_expected_digit_two_equal_digits() -> None:
    assert expected_digit({"5": -1.0, "6": -1.0}) == pytest.approx(5.5)
    chat_shape = [{"token": "5", "logprob": -0.3}, {"token": "6", "logprob": -0.3}]
    assert expected_digit(chat_shape) == pytest.approx(5.5)


def test_expected_digit_renormalises_over_digits_only() -> None:
    # p("2") = 0.2, p("4") = 0.6, p("x") = 0.2 -> (0.2*2 + 0.6*4) / 0.8 = 3.5
    top = [
        {"token": "4", "logprob": math.log(0.6)},
        {"token": "2", "logprob": math.log(0.2)},
        {"token": "x", "logprob": math.log(0.2)},
        {"token": "7", "logprob": math.log(0.5)},  # not a 1-6 digit
    ]
    assert expected_digit(top) == pytest.approx(3.5)


def test_expected_digit_strips_whitespace_and_adds_spellings() -> None:
    # "3" and " 3" together 0.5, "\n1" 0.5 -> 2.0
    top = {"3": math.log(0.25), " 3": math.log(0.25), "\n1": math.log(0.5), "Score": -0.1}
    assert expected_digit(top) == pytest.approx(2.0)


def test_expected_digit_single_digit_and_none() -> None:
    assert expected_digit([{"token": "4", "logprob": -7.0}]) == 4.0
    assert expected_digit({"a": -0.1, "10": -0.2}) is None
    assert expected_digit([]) is None
    assert expected_digit(None) is None
    assert expected_digit({"3": float("-inf")}) is None


def test_expected_digit_from_whole_replies() -> None:
    chat = {
        "choices": [
            {
                "logprobs": {
                    "content": [
                        {
                            "token": " ",
                            "logprob": -0.1,
                            "top_logprobs": [{"token": " ", "logprob": 0}],
                        },
                        {
                            "token": "2",
                            "logprob": math.log(0.75),
                            "top_logprobs": [
                                {"token": "2", "logprob": math.log(0.75)},
                                {"token": "6", "logprob": math.log(0.25)},
                            ],
                        },
                    ]
                }
            }
        ]
    }
    assert expected_digit(chat) == pytest.approx(3.0)  # 0.75*2 + 0.25*6
    completions = {
        "choices": [
            {
                "text": "1",
                "logprobs": {
                    "tokens": ["1"],
                    "token_logprobs": [-0.1],
                    "top_logprobs": [{"1": math.log(0.5), "3": math.log(0.5)}],
                },
            }
        ]
    }
    assert first_token_top_logprobs(completions) == {"1": math.log(0.5), "3": math.log(0.5)}
    assert expected_digit(completions) == pytest.approx(2.0)
    assert expected_digit({"choices": [{"text": "5", "logprobs": None}]}) is None


def test_digit_from_text() -> None:
    assert digit_from_text("5") == 5.0
    assert digit_from_text(" Rating: 3/6") == 3.0
    assert digit_from_text("10") is None
    assert digit_from_text("seven") is None
    assert digit_from_text(None) is None


# ---------------------------------------------------------------------------------------------
# LLMTagger


def test_tagger_tags_in_order_and_counts_failures(server: FakeOpenAI) -> None:
    server.when("BROKEN", "garbage")  # both the first ask and the re-ask come back unreadable
    texts = [
        "Write python programs about sorting lists",
        "This request is BROKEN beyond repair",
        "Convert miles into kilometres please",
        "   ",
    ]
    tagger = LLMTagger(make_client(server), concurrency=4)
    result = tagger.tag_batch(texts)
    assert result == [
        ["write", "python", "programs", "about"],
        None,
        ["convert", "miles", "kilometres", "please"],
        [],
    ]
    assert tagger.failures == 1
    broken = [r for r in server.requests if "BROKEN" in r.text]
    assert len(broken) == 2  # asked once, re-asked once
    reask = broken[1].body["messages"]
    assert [m["role"] for m in reask] == ["system", "user", "assistant", "user"]
    assert reask[-1]["content"] == prompts.TAG_REASK
    assert len(server.requests) == 4  # nothing sent for the blank text
    assert server.requests[0].body["temperature"] == 0.0
    assert server.requests[0].body["max_tokens"] == 512


def test_tagger_reask_recovers(server: FakeOpenAI) -> None:
    server.when("flaky", "garbage", times=1)
    tagger = LLMTagger(make_client(server), concurrency=1)
    assert tagger.tag_batch(["a flaky question about geometry"]) == [
        ["flaky", "question", "about", "geometry"]
    ]
    assert tagger.failures == 0
    assert len(server.requests) == 2


def test_tagger_keeps_order_under_concurrency() -> None:
    with FakeOpenAI(jitter=0.03) as server:
        texts = [
            f"query number {i} about {'topic' + 'abcdefghijklmnopqrstuvwxyz'[i]}" for i in range(26)
        ]
        tagger = LLMTagger(make_client(server), concurrency=8)
        assert tagger.tag_batch(texts) == [words_as_tags(t) for t in texts]
        assert tagger.failures == 0
        arrival = [r.body["messages"][1]["content"] for r in server.requests]
        assert sorted(arrival) == sorted(texts)


def test_tagger_propagates_remote_error(server: FakeOpenAI) -> None:
    server.when("", "503")
    tagger = LLMTagger(make_client(server, max_retries=1), concurrency=4)
    with pytest.raises(RemoteError, match="503"):
        tagger.tag_batch([f"question {i}" for i in range(20)])
    assert tagger.failures == 0
    assert len(server.requests) < 40  # stopped early, not every record tried


def test_tagger_truncates_long_texts(server: FakeOpenAI) -> None:
    tagger = LLMTagger(make_client(server), max_chars=10)
    tagger.tag_batch(["abcdefghijklmnopqrstuvwxyz"])
    assert server.requests[0].body["messages"][1]["content"] == "abcdefghij"


# ---------------------------------------------------------------------------------------------
# LLMScorer


def set_ratings(server: FakeOpenAI) -> None:
    """Record A: complexity 3.0 (2 and 4 equally likely), quality 5.5 -> 16.5.
    Record B turn 1: complexity 2, quality 1 -> 2; turn 2: complexity 6, quality 4 -> 24."""
    # The quality prompt holds the instruction too, so response rules come first.
    server.when("answer-A", digits={"5": 0.45, "6": 0.45, "Great": 0.1})
    server.when("task-A", digits={"2": 0.4, "4": 0.4, "\n": 0.2})
    server.when("answer-B1", digits={"1": 0.9, "2": 0.1})
    server.when("task-B1", digits={"2": 1.0})
    server.when("answer-B2", digits={"4": 1.0})
    server.when("task-B2", digits={"6": 0.5, "5": 0.25, "4": 0.25})


CONVERSATIONS = [
    [("task-A", "answer-A")],
    [("task-B1", "answer-B1"), ("task-B2", "answer-B2")],
    [],
]


@pytest.mark.parametrize("endpoint", ["chat", "completions"])
def test_scorer_with_logprobs(server: FakeOpenAI, endpoint: str) -> None:
    set_ratings(server)
    scorer = LLMScorer(make_client(server), endpoint=endpoint, concurrency=4)
    scores = scorer.score_batch(CONVERSATIONS)
    q_b1 = 0.9 * 1 + 0.1 * 2
    c_b2 = 0.5 * 6 + 0.25 * 5 + 0.25 * 4
    assert scores[0] == pytest.approx(5.5 * 3.0)
    assert scores[1] == pytest.approx((q_b1 * 2 + 4 * c_b2) / 2)
    assert scores[2] is None
    assert scorer.failures == 0
    assert len(server.requests) == 6
    body = server.requests[0].body
    assert body["temperature"] == 0.0 and body["max_tokens"] == 2
    if endpoint == "chat":
        assert server.requests[0].path == "/v1/chat/completions"
        assert body["logprobs"] is True and body["top_logprobs"] == 20
    else:
        assert server.requests[0].path == "/v1/completions"
        assert body["logprobs"] == 20 and isinstance(body["prompt"], str)


@pytest.mark.parametrize("endpoint", ["chat", "completions"])
def test_scorer_without_logprobs_reads_the_text(endpoint: str) -> None:
    with FakeOpenAI(logprobs=False) as server:
        set_ratings(server)
        scorer = LLMScorer(make_client(server), endpoint=endpoint)
        scores = scorer.score_batch(CONVERSATIONS)
    # most likely token only: A: quality 5 (first of the tie), complexity 2 -> 10
    assert scores[0] == pytest.approx(10.0)
    assert scores[1] == pytest.approx((1 * 2 + 4 * 6) / 2)
    assert scorer.failures == 0


def test_scorer_top_logprobs_limit_is_sent_and_used(server: FakeOpenAI) -> None:
    set_ratings(server)
    scorer = LLMScorer(make_client(server), top_logprobs=1)
    # with only the top token, each rating is the argmax digit
    assert scorer.score_batch(CONVERSATIONS[:1]) == [pytest.approx(10.0)]
    assert all(r.body["top_logprobs"] == 1 for r in server.requests)


def test_scorer_zero_top_logprobs_asks_for_none(server: FakeOpenAI) -> None:
    set_ratings(server)
    scorer = LLMScorer(make_client(server), endpoint="completions", top_logprobs=0)
    assert scorer.score_batch(CONVERSATIONS[:1]) == [pytest.approx(10.0)]
    assert all("logprobs" not in r.body for r in server.requests)


def test_scorer_mixed_nologprobs_and_garbage(server: FakeOpenAI) -> None:
    set_ratings(server)
    server.when("answer-A", "nologprobs")  # quality of A from the text: "5"
    server.when("answer-B2", "garbage")  # turn B2 unscored, B is B1 alone
    scorer = LLMScorer(make_client(server))
    scores = scorer.score_batch(CONVERSATIONS)
    assert scores[0] == pytest.approx(5.0 * 3.0)
    assert scores[1] == pytest.approx((0.9 * 1 + 0.1 * 2) * 2)
    assert scorer.failures == 1


def test_scorer_none_when_no_turn_scores(server: FakeOpenAI) -> None:
    server.when("hopeless", "garbage")
    scorer = LLMScorer(make_client(server))
    assert scorer.score_batch([[("hopeless task", "reply")], [("fine", "fine too")]])[0] is None
    assert scorer.failures == 2  # its complexity and its quality


def test_scorer_sends_identical_requests_once(server: FakeOpenAI) -> None:
    scorer = LLMScorer(make_client(server))
    scores = scorer.score_batch([[("same", "same answer")]] * 5)
    assert len(set(scores)) == 1 and scores[0] is not None
    assert len(server.requests) == 2


def test_scorer_keeps_order_under_concurrency() -> None:
    with FakeOpenAI(jitter=0.03) as server:
        expected = []
        conversations = []
        for i in range(24):
            q, c = i % 6 + 1, (i // 6) % 6 + 1
            server.when(f"answer-{i:02d}", digits={str(q): 1.0})
            server.when(f"task-{i:02d}", digits={str(c): 1.0})
            conversations.append([(f"task-{i:02d}", f"answer-{i:02d}")])
            expected.append(float(q * c))
        scorer = LLMScorer(make_client(server), concurrency=8)
        assert scorer.score_batch(conversations) == expected


def test_scorer_hashed_default_matches_hand_computation(server: FakeOpenAI) -> None:
    scorer = LLMScorer(make_client(server))
    (score,) = scorer.score_batch([[("Explain recursion", "It calls itself.")]])
    texts = {r.body["messages"][0]["content"] for r in server.requests}
    c_text = prompts.complexity_messages("Explain recursion")[0]["content"]
    q_text = prompts.quality_messages("Explain recursion", "It calls itself.")[0]["content"]
    assert texts == {c_text, q_text}

    def by_hand(text: str) -> float:
        dist = {t: p for t, p in hashed_digits(text).items() if t.isdigit()}
        return sum(int(t) * p for t, p in dist.items()) / sum(dist.values())

    assert score == pytest.approx(by_hand(c_text) * by_hand(q_text))


def test_scorer_rejects_bad_options(server: FakeOpenAI) -> None:
    client = make_client(server)
    with pytest.raises(ValueError):
        LLMScorer(client, endpoint="responses")
    with pytest.raises(ValueError):
        LLMScorer(client, concurrency=0)


# ---------------------------------------------------------------------------------------------
# map_ordered


def test_map_ordered_raises_first_error_and_keeps_order() -> None:
    assert map_ordered(lambda x: x * 2, list(range(50)), 8) == [x * 2 for x in range(50)]

    def boom(x: int) -> int:
        if x == 3:
            raise RemoteError("down")
        time.sleep(0.001)
        return x

    with pytest.raises(RemoteError, match="down"):
        map_ordered(boom, list(range(200)), 4)


def test_fake_server_records_malformed_body(server: FakeOpenAI) -> None:
    server.schedule("malformed")
    client = make_client(server, max_retries=0)
    with pytest.raises(RemoteError, match="not valid JSON"):
        client.chat([{"role": "user", "content": "x"}])
    assert json.loads(server.requests[0].raw)["model"] == "fake-model"


# ---------------------------------------------------------------------------------------------
# Client safety: redirects, redaction, deadlines, size caps, cancellation
def test_redirect_to_another_origin_is_not_followed_with_the_key(server: FakeOpenAI) -> None:
    with FakeOpenAI(lifetime=30.0) as other:
        target = f"{other.base_url}/chat/completions"
        for code in (301, 302, 307, 308):
            server.schedule(Fault("redirect", location=target, code=code))
            client = make_client(server, max_retries=3, sleep=Sleeps())
            with pytest.raises(RemoteError) as info:
                client.chat([{"role": "user", "content": "hi"}])
            message = str(info.value)
            assert f"redirected (HTTP {code}) to another origin" in message
            assert "not followed" in message and "API key" in message and KEY not in message
        assert other.requests == []  # the other host never saw a request, nor the key
    assert len(server.requests) == 4  # and none was retried


def test_same_origin_307_is_followed_and_302_is_refused(server: FakeOpenAI) -> None:
    server.schedule(Fault("redirect", location="/v1/chat/completions", code=307))
    reply = make_client(server).chat([{"role": "user", "content": "hi"}], max_tokens=2)
    assert reply["choices"]
    assert [r.headers.get("authorization") for r in server.requests] == [f"Bearer {KEY}"] * 2
    assert server.requests[1].body["messages"] == [{"role": "user", "content": "hi"}]
    server.schedule(Fault("redirect", location="/v1/chat/completions", code=302))
    with pytest.raises(RemoteError, match="redirected \\(HTTP 302\\) to another address"):
        make_client(server).chat([{"role": "user", "content": "hi"}])


def test_key_with_a_line_break_is_refused_without_showing_it() -> None:
    with pytest.raises(ValueError) as info:
        OpenAIClient("http://127.0.0.1:1/v1", "m", api_key="sk-abcdef\nXYZ-second-half")
    assert "line break" in str(info.value)
    assert "sk-abcdef" not in str(info.value) and "XYZ" not in str(info.value)


@pytest.mark.parametrize("pad", [170, 185, 190, 199, 205])
def test_echoed_key_is_redacted_before_the_message_is_cut(server: FakeOpenAI, pad: int) -> None:
    server.schedule(Fault("echo", pad=pad))
    with pytest.raises(RemoteError) as info:
        make_client(server).chat([{"role": "user", "content": "hi"}])
    message = str(info.value)
    assert "HTTP 400" in message
    for i in range(len(KEY) - 4):  # no piece of the key, however short the cut leaves it
        assert KEY[i : i + 5] not in message, message


def test_credentials_in_the_base_url_are_sent_but_never_shown(server: FakeOpenAI) -> None:
    host = server.base_url.split("//", 1)[1]
    url = f"http://alice:pa55w0rd-xyz@{host}?api-key=querysecret99"
    client = OpenAIClient(url, "m", max_retries=0, timeout=5.0)
    assert client.chat([{"role": "user", "content": "hi"}], max_tokens=2)["choices"]
    sent = server.requests[-1]
    assert sent.headers["authorization"] == "Basic YWxpY2U6cGE1NXcwcmQteHl6"  # alice:pa55w0rd-xyz
    assert "pa55w0rd" not in repr(client) and "querysecret99" not in client.display_url
    server.schedule("500")
    with pytest.raises(RemoteError) as info:
        client.chat([{"role": "user", "content": "hi"}])
    message = str(info.value)
    for secret in ("pa55w0rd-xyz", "querysecret99", "alice:", "YWxpY2U6"):
        assert secret not in message, message


def test_a_trickled_reply_is_cut_at_the_total_deadline(server: FakeOpenAI) -> None:
    server.schedule(Fault("trickle", delay=0.2))  # ~1,000 bytes at 5 bytes a second
    client = make_client(server, timeout=1.0, max_retries=0)
    start = time.monotonic()
    with pytest.raises(RemoteError, match="no complete reply within the 1s timeout"):
        client.chat([{"role": "user", "content": "hi"}], max_tokens=2)
    assert time.monotonic() - start < 2.5


def test_a_huge_reply_is_refused(server: FakeOpenAI) -> None:
    server.schedule(Fault("huge", size=20_000_000))
    client = make_client(server, max_reply_bytes=1_000_000)
    with pytest.raises(RemoteError, match="reply larger than 1,000,000 bytes"):
        client.chat([{"role": "user", "content": "hi"}])
    assert len(server.requests) == 1


def test_deeply_nested_reply_is_unusable_not_a_recursion_error(server: FakeOpenAI) -> None:
    server.when("", Fault("deep", size=100_000))
    with pytest.raises(RemoteError, match="nested too deep"):
        make_client(server, max_retries=1).chat([{"role": "user", "content": "hi"}])


def test_cancel_stops_requests_and_retry_waits_at_once(server: FakeOpenAI) -> None:
    import threading

    from mig_cli.annotate.llm.transport import allow_requests, cancel_requests

    server.when("", Fault("slow", delay=30.0))
    client = make_client(server, timeout=20.0, max_retries=5, backoff=10.0, max_backoff=10.0)
    client._sleep = None  # real waits
    errors: list[BaseException] = []

    def work() -> None:
        try:
            client.chat([{"role": "user", "content": "hi"}])
        except BaseException as exc:  # noqa: BLE001 - recorded for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    time.sleep(0.5)
    start = time.monotonic()
    cancel_requests()
    for t in threads:
        t.join(timeout=5)
    allow_requests()
    assert time.monotonic() - start < 2.0
    assert len(errors) == 3 and all("cancelled" in str(e) for e in errors)
