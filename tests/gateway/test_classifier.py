"""The classifier on crafted requests: features, levels, floors, overrides and reasons."""
import json

import pytest

from gateway.classifier import (
    DEFAULT_KEYWORDS, DEFAULT_THRESHOLDS, LEVELS, MODEL_WEIGHTS, classify, estimate_tokens, level_for,
)
from gateway.classifier_features import extract_features, keyword_sets
from tests.gateway.routing_models import chat

CODE_REQUEST = chat(
    "Why does this loop never end?\n```python\ndef count(n):\n    i = 0\n    while i < n:\n"
    "        print(i)\n    return i\n```"
)
MATH_REQUEST = chat(
    r"Let $f(x) = x^3 - 3x + 1$. Prove that $f$ has three real roots and compute $\frac{1}{a}+\frac{1}{b}+\frac{1}{c}$."
)
FACTOID = chat("who painted the mona lisa")
HARD = chat(
    "Design a distributed, fault-tolerant job scheduler for a multi-region cluster. Compare leader election "
    "approaches, analyze the trade-offs for latency and consistency, and write a detailed implementation plan "
    "with code examples. It must survive network partitions and must not run a job twice."
)


def deep_conversation(turns: int) -> dict:
    messages = []
    for i in range(turns):
        messages.append({"role": "user", "content": f"Question {i}: and what about the next step?"})
        messages.append({"role": "assistant", "content": f"Answer {i}."})
    messages.append({"role": "user", "content": "Summarise what we decided."})
    return {"model": "auto", "messages": messages}


def test_fenced_code_and_code_lines_are_detected():
    features = extract_features(CODE_REQUEST)
    assert features["code_blocks"] == 1
    assert features["code_lines"] >= 2
    assert extract_features(chat("Tell me about gardens."))["code_blocks"] == 0


def test_math_notation_and_equations_are_detected():
    features = extract_features(MATH_REQUEST)
    assert features["latex_marks"] >= 3
    assert features["equations"] >= 1
    assert features["keyword_hits"]["math"] >= 1
    assert features["keyword_hits"]["reasoning"] >= 1


def test_a_long_system_prompt_is_measured_apart_from_the_task():
    request = {"model": "auto", "messages": [
        {"role": "system", "content": "Follow the policy below. " * 400},
        {"role": "user", "content": "Hello"},
    ]}
    features = extract_features(request)
    assert features["system_prompt_tokens"] == 2500
    assert features["last_user_tokens"] == 2
    assert features["estimated_prompt_tokens"] > 2500


def test_a_deep_conversation_counts_its_turns():
    features = extract_features(deep_conversation(7))
    assert features["user_turns"] == 8
    assert features["assistant_turns"] == 7
    assert features["message_count"] == 15


def test_tools_images_json_and_output_length_are_features():
    request = {
        "model": "auto",
        "messages": [{"role": "user", "content": [
            {"type": "text", "text": "What is in this picture?"},
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
        ]}],
        "tools": [{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}],
        "response_format": {"type": "json_object"},
        "max_tokens": 100,
        "max_completion_tokens": 300,
    }
    features = extract_features(request)
    assert features["needs_tools"] and features["tool_count"] == 1
    assert features["needs_vision"] and features["image_count"] == 1
    assert features["needs_json"]
    assert features["requested_output_tokens"] == 300
    assert extract_features(chat("hi"))["requested_output_tokens"] is None


def test_features_are_json_serialisable():
    json.dumps(classify(HARD).features)


def test_the_token_estimate_counts_tools_images_and_non_latin_bytes():
    plain = chat("x" * 400)
    assert estimate_tokens(plain) == 100 + 4
    with_tools = dict(plain, tools=[{"type": "function", "function": {"name": "f", "description": "d" * 400}}])
    assert estimate_tokens(with_tools) > estimate_tokens(plain) + 100
    assert estimate_tokens(chat("漢" * 400)) == 300 + 4
    image = {"model": "auto", "messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "u"}}]}]}
    assert estimate_tokens(image) >= 765


def test_tool_calls_and_tool_results_count_towards_the_estimate():
    request = {"model": "auto", "messages": [
        {"role": "user", "content": "Book it"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "book", "arguments": "{\"seat\": \"" + "1A" * 200 + "\"}"}},
        ]},
        {"role": "tool", "tool_call_id": "c1", "content": "ok " * 100},
    ]}
    assert estimate_tokens(request) > 150


@pytest.mark.parametrize("boundary", ["moderate", "complex", "expert"])
def test_each_tier_boundary_is_exclusive(boundary):
    cut = DEFAULT_THRESHOLDS[boundary]
    upper = LEVELS.index(boundary)
    assert level_for(cut, DEFAULT_THRESHOLDS) == upper - 1
    assert level_for(cut + 1e-6, DEFAULT_THRESHOLDS) == upper


@pytest.mark.parametrize("level", LEVELS)
def test_operator_cut_points_move_a_request_across_every_tier(level):
    score = classify(FACTOID).score
    index = LEVELS.index(level)
    cuts = [score - 1 if i < index else score + 1 for i in range(3)]
    thresholds = dict(zip(LEVELS[1:], cuts))
    assert classify(FACTOID, thresholds=thresholds).level == level


def test_a_short_factoid_question_is_simple_and_a_demanding_design_task_is_expert():
    assert classify(FACTOID).level == "simple"
    assert classify(HARD).level == "expert"


def test_harder_prompts_score_higher():
    scores = [classify(r).score for r in (FACTOID, chat("Write a short poem about the sea."), CODE_REQUEST, MATH_REQUEST)]
    assert scores[0] < scores[1] < scores[3]
    assert scores[0] < scores[2]


def test_a_long_prompt_is_at_least_complex():
    request = chat("Summarise this. " + "The committee met and agreed. " * 600)
    result = classify(request)
    assert LEVELS.index(result.level) >= LEVELS.index("complex")
    assert any("long context" in reason for reason in result.reasons)
    lowered = classify(request, thresholds={"long_prompt_tokens": 100_000})
    assert not any("long context" in reason for reason in lowered.reasons)


def test_an_agent_with_tools_and_a_long_policy_is_at_least_complex():
    request = {
        "model": "auto",
        "messages": [{"role": "system", "content": "Policy: refunds only within 24 hours. " * 80},
                     {"role": "user", "content": "hi"}],
        "tools": [{"type": "function", "function": {"name": "refund"}}],
    }
    result = classify(request)
    assert result.level in ("complex", "expert")
    assert any("agent" in reason for reason in result.reasons)


def test_tools_or_images_make_a_request_at_least_moderate():
    tools = dict(FACTOID, tools=[{"type": "function", "function": {"name": "search"}}])
    image = {"model": "auto", "messages": [{"role": "user", "content": [
        {"type": "text", "text": "who is this"}, {"type": "image_url", "image_url": {"url": "u"}}]}]}
    assert classify(tools).level == "moderate"
    assert classify(image).level == "moderate"


def test_operator_keywords_replace_a_set_by_name():
    request = chat("Please draft a sonnet and a villanelle.")
    assert classify(request).features["keyword_hits"]["creative"] == 0
    custom = classify(request, keywords={"creative": ["sonnet", "villanelle"]})
    assert custom.features["keyword_hits"]["creative"] == 2
    assert custom.features["keyword_hits"]["math"] == classify(request).features["keyword_hits"]["math"]


def test_a_keyword_stem_matches_word_endings_and_phrases_match_whole_words():
    hits = classify(chat("We optimised and optimized the parser; a cartoon is not a tool."),
                    keywords={"expert": ["optimi*"], "code": ["art"]}).features["keyword_hits"]
    assert hits["expert"] == 2
    assert hits["code"] == 0


def test_compiled_operator_keywords_are_cached_by_content():
    assert keyword_sets({"creative": ["sonnet"]}) is keyword_sets({"creative": ["sonnet"]})
    assert keyword_sets({"creative": ["sonnet"]}) is not keyword_sets({"creative": ["haiku"]})


def test_operator_weights_change_the_score():
    base = classify(FACTOID)
    boosted = classify(FACTOID, thresholds={"weights": {"query_like": 50.0}})
    assert boosted.score > base.score + 40
    assert boosted.level == "expert"


def test_unknown_or_malformed_overrides_are_ignored():
    assert classify(FACTOID, thresholds={"nonsense": 5, "moderate": "high"}) == classify(FACTOID)


def test_reasons_explain_the_score_and_name_the_strongest_inputs():
    result = classify(FACTOID)
    assert result.reasons[0].startswith(f"score {result.score:.2f} → simple")
    assert any("search query" in reason for reason in result.reasons[1:])


def test_classification_is_deterministic():
    assert classify(HARD) == classify(HARD)


def test_every_default_keyword_set_is_reported_and_weighed():
    assert set(classify(FACTOID).features["keyword_hits"]) == set(DEFAULT_KEYWORDS)
    assert all(f"kw_{name}" in MODEL_WEIGHTS for name in DEFAULT_KEYWORDS)
