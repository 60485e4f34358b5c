"""Checks against the vendors' own SDK types, so requests and fixtures cannot drift from the wire.

The SDKs describe request bodies as TypedDicts. Pydantic validates their values (after we drain
its lazily validated `Iterable` fields), but ignores unknown keys in TypedDicts, so
`assert_known_keys` walks the body alongside the type and rejects any key the type does not
declare — a misspelt or invented field fails the test instead of being silently ignored.
"""
from __future__ import annotations

import types
import typing
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import orjson
from anthropic.types.message_create_params import MessageCreateParamsNonStreaming
from google.genai import types as genai
from openai.types.chat import ChatCompletion, ChatCompletionChunk
from openai.types.chat.completion_create_params import CompletionCreateParamsNonStreaming
from pydantic import TypeAdapter
from typing_extensions import is_typeddict

from gateway.providers.base import SSEEvent
from gateway.sse import SSEParser

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "providers"
_ADAPTERS: dict[Any, TypeAdapter] = {}


def fixture_bytes(slug: str, name: str) -> bytes:
    return (FIXTURES / slug / name).read_bytes()


def fixture_json(slug: str, name: str) -> Any:
    return orjson.loads(fixture_bytes(slug, name))


def fixture_events(slug: str, name: str) -> list[SSEEvent]:
    parser = SSEParser()
    return parser.feed(fixture_bytes(slug, name)) + parser.close()


def _drain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_drain(v) for v in value]
    if isinstance(value, Iterator):
        return [_drain(v) for v in value]
    return value


def _strip(tp: Any) -> Any:
    while True:
        origin = typing.get_origin(tp)
        if origin in (typing.Annotated, typing.Required, typing.NotRequired, typing.ClassVar):
            tp = typing.get_args(tp)[0]
        else:
            return tp


def _key_problems(value: Any, tp: Any, path: str) -> list[str]:
    tp = _strip(tp)
    origin = typing.get_origin(tp)
    if is_typeddict(tp):
        if not isinstance(value, dict):
            return [f"{path}: expected an object"]
        hints = typing.get_type_hints(tp, include_extras=True)
        problems = [f"{path}.{key}: not a field of {tp.__name__}" for key in value if key not in hints]
        for key, item in value.items():
            if key in hints:
                problems += _key_problems(item, hints[key], f"{path}.{key}")
        return problems
    if origin in (typing.Union, types.UnionType):
        attempts = [_key_problems(value, arg, path) for arg in typing.get_args(tp)]
        return [] if any(not a for a in attempts) else min(attempts, key=len)
    if origin is typing.Literal:
        return [] if value in typing.get_args(tp) else [f"{path}: {value!r} is not one of {typing.get_args(tp)}"]
    if origin is None and isinstance(tp, type):
        return [] if _is_instance(value, tp) else [f"{path}: expected {tp.__name__}"]
    if origin in (dict, Mapping):
        return [] if isinstance(value, dict) else [f"{path}: expected an object"]
    args = typing.get_args(tp)
    if len(args) == 1:  # List, Iterable, SequenceNotStr, ...
        if not isinstance(value, list):
            return [f"{path}: expected a list"]
        problems = []
        for i, item in enumerate(value):
            problems += _key_problems(item, args[0], f"{path}[{i}]")
        return problems
    return []


def _is_instance(value: Any, tp: type) -> bool:
    if tp is object:
        return True
    if tp in (int, float) and isinstance(value, bool):
        return False
    return isinstance(value, (int, float) if tp is float else tp)


def assert_valid_typed_dict(tp: Any, body: dict[str, Any]) -> None:
    adapter = _ADAPTERS.setdefault(tp, TypeAdapter(tp))
    _drain(adapter.validate_python(body))
    problems = _key_problems(body, tp, "body")
    assert not problems, problems


def assert_valid_anthropic_request(body: dict[str, Any]) -> None:
    assert_valid_typed_dict(MessageCreateParamsNonStreaming, {k: v for k, v in body.items() if k != "stream"})


def assert_valid_openai_request(body: dict[str, Any]) -> None:
    assert_valid_typed_dict(CompletionCreateParamsNonStreaming, {k: v for k, v in body.items() if k != "stream"})


GEMINI_REQUEST_FIELDS = {
    "contents": genai.Content,
    "systemInstruction": genai.Content,
    "tools": genai.Tool,
    "toolConfig": genai.ToolConfig,
    "generationConfig": genai.GenerationConfig,
    "safetySettings": genai.SafetySetting,
}


def assert_valid_gemini_request(body: dict[str, Any]) -> None:
    """google-genai's pydantic models forbid unknown fields and accept the REST camelCase names."""
    assert set(body) <= set(GEMINI_REQUEST_FIELDS), set(body) - set(GEMINI_REQUEST_FIELDS)
    assert body["contents"], "Gemini needs at least one content"
    for name, value in body.items():
        model = GEMINI_REQUEST_FIELDS[name]
        for item in value if isinstance(value, list) else [value]:
            model.model_validate(item)
    for content in body["contents"]:
        assert content["role"] in ("user", "model")


def assert_valid_completion(body: dict[str, Any]) -> ChatCompletion:
    completion = ChatCompletion.model_validate(body)
    assert completion.object == "chat.completion"
    return completion


def assert_valid_chunks(chunks: list[dict[str, Any]]) -> list[ChatCompletionChunk]:
    return [ChatCompletionChunk.model_validate(chunk) for chunk in chunks]


def assembled(chunks: list[dict[str, Any]]) -> tuple[str, dict[int, dict[str, str]]]:
    """The text and tool calls (index -> id, name, arguments) an OpenAI client rebuilds from chunks."""
    text = ""
    calls: dict[int, dict[str, str]] = {}
    for chunk in assert_valid_chunks(chunks):
        for choice in chunk.choices:
            text += choice.delta.content or ""
            for call in choice.delta.tool_calls or []:
                entry = calls.setdefault(call.index, {"id": "", "name": "", "arguments": ""})
                entry["id"] += call.id or ""
                entry["name"] += (call.function.name or "") if call.function else ""
                entry["arguments"] += (call.function.arguments or "") if call.function else ""
    return text, calls
