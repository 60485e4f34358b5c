"""Cheap features of a chat completions request, for the classifier and the router.

Everything here is a pure function of the request body: no I/O, no settings. Regexes are
compiled at import; operator keyword sets are compiled once per distinct content and cached.
Long texts are scanned only at their head and tail (`SCAN_CHARS` each) so a 100k-token
document costs about as much as a short prompt; lengths still count every character.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import orjson

from gateway.classifier_keywords import DEFAULT_KEYWORDS

SCAN_CHARS = 1500
CHARS_PER_TOKEN = 4
MESSAGE_OVERHEAD_TOKENS = 4
IMAGE_TOKENS = 765  # OpenAI's cost of a 1024x1024 image at high detail: a cautious estimate.

_FENCE = re.compile(r"```")
_CODE_LINE = re.compile(
    r"^\s*(?:def |class |import |from \S+ import|return\b|#include|public |private |function\b|"
    r"const |let |var |for\s*\(|while\s*\(|if\s*\(|\}|.*;\s*$|.*\)\s*\{\s*$|.*=>|<\/?[a-zA-Z]+[^>]*>)",
    re.MULTILINE,
)
_LATEX = re.compile(r"\$[^$\n]+\$|\\(?:frac|sqrt|angle|cdot|times|le|ge|pi|sum|int|triangle|circ|left|right|begin)\b")
_EQUATION = re.compile(r"[0-9a-z)]\s*(?:[-+*/^=<>]|\*\*)\s*[-(0-9a-z]")
_NUMBER = re.compile(r"\b\d+(?:[.,]\d+)?\b")
_QUESTION = re.compile(r"\?")
_SENTENCE_END = re.compile(r"[.!?。？！]+(?:\s|$)")
_LIST_ITEM = re.compile(r"^\s*(?:\d+[.)]|[-*•]|[a-zA-Z][.)])\s+\S", re.MULTILINE)
_WH_START = re.compile(r"^\s*(?:who|what|when|where|which|how many|how much|is|are|did|does|do|was)\b", re.IGNORECASE)
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def content_text(content: Any) -> tuple[str, int]:
    """The text of a message's content (string or parts) and how many images it holds."""
    if isinstance(content, str):
        return content, 0
    if not isinstance(content, list):
        return "", 0
    texts, images = [], 0
    for part in content:
        if not isinstance(part, dict):
            continue
        kind = part.get("type")
        if kind == "text" and isinstance(part.get("text"), str):
            texts.append(part["text"])
        elif kind in ("image_url", "image", "input_image"):
            images += 1
    return "\n".join(texts), images


def _tool_call_chars(message: dict) -> int:
    calls = message.get("tool_calls")
    if not isinstance(calls, list):
        return 0
    total = 0
    for call in calls:
        function = call.get("function") if isinstance(call, dict) else None
        if isinstance(function, dict):
            total += len(str(function.get("name", ""))) + len(str(function.get("arguments", "")))
    return total


def _utf8_len(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-8", "replace"))


def estimate_tokens(request: dict) -> int:
    """Prompt tokens, estimated as UTF-8 bytes / 4 over every message, tool call and tool schema.

    Bytes rather than characters so that non-Latin scripts are not undercounted; each message
    adds a few tokens of framing and each image a high-detail tile count.
    """
    messages = request.get("messages") or []
    total_bytes, images, count = 0, 0, 0
    for message in messages:
        if not isinstance(message, dict):
            continue
        count += 1
        text, n_images = content_text(message.get("content"))
        total_bytes += _utf8_len(text) + _tool_call_chars(message)
        images += n_images
    tools = request.get("tools")
    if isinstance(tools, list) and tools:
        total_bytes += len(orjson.dumps(tools, default=str))
    return math.ceil(total_bytes / CHARS_PER_TOKEN) + count * MESSAGE_OVERHEAD_TOKENS + images * IMAGE_TOKENS


def _trie_regex(phrases: dict[str, str]) -> str:
    """One regex for many literal phrases, shaped as a trie so that each text position tries
    only the branch of its next character. `phrases` maps a phrase to what must follow its
    last character: `\\b`, `\\w*` (a `stem*` phrase) or nothing. Longer phrases win."""
    trie: dict = {}
    for phrase, suffix in phrases.items():
        node = trie
        for char in phrase:
            node = node.setdefault(char, {})
        if node.get("") != r"\w*":
            node[""] = suffix

    def render(node: dict) -> str:
        branches = [re.escape(char) + render(child) for char, child in sorted(node.items()) if char]
        if "" in node:
            branches.append(node[""])
        if len(branches) == 1:
            return branches[0]
        return "(?:" + "|".join(branches) + ")"

    return render(trie)


@dataclass(frozen=True)
class KeywordMatcher:
    """Every set's phrases in one alternation (one pass over the text); a hit is credited to
    each set holding that phrase (exact phrases by lookup, `stem*` phrases by prefix)."""

    names: tuple[str, ...]
    pattern: re.Pattern | None
    exact: dict[str, tuple[str, ...]]
    stems: tuple[tuple[str, tuple[str, ...]], ...]

    def count(self, text: str) -> dict[str, int]:
        hits = dict.fromkeys(self.names, 0)
        if self.pattern is None:
            return hits
        for match in self.pattern.findall(text):
            owners = self.exact.get(match)
            if owners is None:
                owners = next((names for stem, names in self.stems if match.startswith(stem)), ())
            for name in owners:
                hits[name] += 1
        return hits


def _compile_trie(suffixes: dict[str, str]) -> re.Pattern:
    # Word-start phrases need a boundary before them; the few that start with a symbol do not.
    word = {p: s for p, s in suffixes.items() if p[0].isalnum()}
    other = {p: s for p, s in suffixes.items() if not p[0].isalnum()}
    parts = [r"\b" + _trie_regex(word)] if word else []
    if other:
        parts.append(_trie_regex(other))
    return re.compile("|".join(parts))


@lru_cache(maxsize=64)
def _compile_sets(items: tuple[tuple[str, tuple[str, ...]], ...]) -> KeywordMatcher:
    exact: dict[str, list[str]] = {}
    stems: dict[str, list[str]] = {}
    for name, phrases in items:
        for phrase in phrases:
            phrase = phrase.strip().lower() if isinstance(phrase, str) else ""
            if not phrase.rstrip("*"):
                continue
            target = stems if phrase.endswith("*") else exact
            owners = target.setdefault(phrase.rstrip("*"), [])
            if name not in owners:
                owners.append(name)
    suffixes = {p: (r"\b" if p[-1].isalnum() else "") for p in exact}
    suffixes.update({p: r"\w*" for p in stems})
    return KeywordMatcher(
        names=tuple(name for name, _ in items),
        pattern=_compile_trie(suffixes) if suffixes else None,
        exact={phrase: tuple(owners) for phrase, owners in exact.items()},
        stems=tuple(sorted(((stem, tuple(o)) for stem, o in stems.items()), key=lambda item: -len(item[0]))),
    )


def keyword_sets(overrides: dict | None) -> KeywordMatcher:
    """Compiled keyword sets: the defaults with the operator's sets replacing them by name."""
    merged = dict(DEFAULT_KEYWORDS)
    for name, phrases in (overrides or {}).items():
        if isinstance(phrases, (list, tuple)):
            merged[str(name)] = tuple(str(p) for p in phrases)
    return _compile_sets(tuple(sorted(merged.items())))


_DEFAULT_SETS = keyword_sets(None)


def _scan(text: str) -> str:
    if len(text) <= 2 * SCAN_CHARS:
        return text
    return text[:SCAN_CHARS] + "\n" + text[-SCAN_CHARS:]


def requested_output_tokens(request: dict) -> int | None:
    for name in ("max_completion_tokens", "max_tokens"):
        value = request.get(name)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    return None


def has_images(request: dict) -> bool:
    for message in request.get("messages") or []:
        if isinstance(message, dict) and isinstance(message.get("content"), list) and content_text(message["content"])[1]:
            return True
    return False


def needs_json(request: dict) -> bool:
    response_format = request.get("response_format")
    return isinstance(response_format, dict) and response_format.get("type") in ("json_object", "json_schema")


def extract_features(request: dict, *, keywords: dict | None = None) -> dict[str, Any]:
    """The request's features as a JSON-serialisable dict (see the keys below)."""
    messages = [m for m in (request.get("messages") or []) if isinstance(m, dict)]
    system_parts, user_parts, images = [], [], 0
    user_turns = assistant_turns = tool_messages = 0
    for message in messages:
        role = message.get("role")
        text, n_images = content_text(message.get("content"))
        images += n_images
        if role in ("system", "developer"):
            system_parts.append(text)
        elif role == "user":
            user_turns += 1
            user_parts.append(text)
        elif role == "assistant":
            assistant_turns += 1
        elif role in ("tool", "function"):
            tool_messages += 1
    system_text = "\n".join(system_parts)
    last_user = user_parts[-1] if user_parts else ""
    user_text = "\n".join(_scan(t) for t in user_parts)
    scan_text = (_scan(system_text) + "\n" + user_text).lower()
    task_text = _scan(last_user)
    tools = request.get("tools")
    matcher = _DEFAULT_SETS if not keywords else keyword_sets(keywords)
    keyword_hits = matcher.count(scan_text)
    stripped = last_user.strip()
    return {
        "estimated_prompt_tokens": estimate_tokens(request),
        "requested_output_tokens": requested_output_tokens(request),
        "message_count": len(messages),
        "user_turns": user_turns,
        "assistant_turns": assistant_turns,
        "tool_messages": tool_messages,
        "system_prompt_tokens": math.ceil(_utf8_len(system_text) / CHARS_PER_TOKEN),
        "last_user_tokens": math.ceil(_utf8_len(last_user) / CHARS_PER_TOKEN),
        "user_tokens": math.ceil(sum(_utf8_len(t) for t in user_parts) / CHARS_PER_TOKEN),
        "code_blocks": len(_FENCE.findall(user_text)) // 2,
        "code_lines": len(_CODE_LINE.findall(user_text)),
        "latex_marks": len(_LATEX.findall(user_text)),
        "equations": len(_EQUATION.findall(task_text.lower())),
        "numbers": len(_NUMBER.findall(task_text)),
        "questions": len(_QUESTION.findall(task_text)),
        "sentences": len(_SENTENCE_END.findall(task_text)) + (1 if stripped and stripped[-1] not in ".!?。？！" else 0),
        "list_items": len(_LIST_ITEM.findall(task_text)),
        "is_query_like": bool(
            user_turns == 1 and len(stripped) < 120 and "\n" not in stripped
            and stripped[-1:].isalnum() and _WH_START.match(stripped) is not None
        ),
        "non_ascii_share": round(len(_NON_ASCII.findall(task_text)) / len(task_text), 3) if task_text else 0.0,
        "keyword_hits": keyword_hits,
        "needs_tools": isinstance(tools, list) and len(tools) > 0,
        "tool_count": len(tools) if isinstance(tools, list) else 0,
        "needs_vision": images > 0,
        "image_count": images,
        "needs_json": needs_json(request),
    }


def model_inputs(features: dict) -> dict[str, float]:
    """The numbers the linear score weighs, derived from the extracted features."""
    inputs = {
        "log_task_tokens": math.log1p(features["last_user_tokens"]),
        "log_context_tokens": math.log1p(
            max(features["estimated_prompt_tokens"] - features["last_user_tokens"] - MESSAGE_OVERHEAD_TOKENS * features["message_count"], 0)
        ),
        "conversation_depth": float(min(max(features["user_turns"] - 1, 0), 5)),
        "log_system_tokens": math.log1p(features["system_prompt_tokens"]),
        "code_present": float(features["code_blocks"] > 0 or features["code_lines"] >= 2),
        "math_notation": math.log1p(features["latex_marks"]),
        "equations": math.log1p(features["equations"]),
        "numbers": math.log1p(features["numbers"]),
        "questions": float(min(features["questions"], 5)),
        "list_items": math.log1p(features["list_items"]),
        "query_like": float(features["is_query_like"]),
        "tools": float(features["needs_tools"]),
    }
    for name, hits in features["keyword_hits"].items():
        inputs[f"kw_{name}"] = math.log1p(hits)
    return inputs
