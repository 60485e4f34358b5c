"""A streamed answer put back together as a chat.completion, so a stream can fill the cache."""
from __future__ import annotations

from typing import Any

from gateway.providers.base import Usage


class StreamAnswer:
    """Collects OpenAI chunks (choice 0 and any others) as they are relayed."""

    def __init__(self):
        self.choices: dict[int, dict[str, Any]] = {}

    def add(self, chunk: dict[str, Any]) -> None:
        for choice in chunk.get("choices") or ():
            state = self.choices.setdefault(
                choice.get("index", 0), {"content": [], "tool_calls": {}, "finish_reason": None, "role": "assistant"}
            )
            delta = choice.get("delta") or {}
            if delta.get("content"):
                state["content"].append(delta["content"])
            for call in delta.get("tool_calls") or ():
                slot = state["tool_calls"].setdefault(call.get("index", 0), {"id": None, "name": "", "arguments": []})
                slot["id"] = call.get("id") or slot["id"]
                function = call.get("function") or {}
                slot["name"] += function.get("name") or ""
                slot["arguments"].append(function.get("arguments") or "")
            if choice.get("finish_reason"):
                state["finish_reason"] = choice["finish_reason"]

    def completion(self, *, response_id: str, created: int, model: str, usage: Usage) -> dict[str, Any] | None:
        if not self.choices:
            return None
        choices = []
        for index in sorted(self.choices):
            state = self.choices[index]
            message: dict[str, Any] = {"role": "assistant", "content": "".join(state["content"]) or None}
            if state["tool_calls"]:
                message["tool_calls"] = [
                    {"id": slot["id"], "type": "function",
                     "function": {"name": slot["name"], "arguments": "".join(slot["arguments"])}}
                    for _, slot in sorted(state["tool_calls"].items())
                ]
            choices.append({"index": index, "message": message, "logprobs": None,
                            "finish_reason": state["finish_reason"]})
        return {"id": response_id, "object": "chat.completion", "created": created, "model": model,
                "choices": choices, "usage": usage.to_openai()}
