"""Hypothesis strategies for vendor-like JSON: keys drawn from the vendors' vocabularies so that
random documents reach deep into the translators instead of failing at the first lookup."""
from hypothesis import strategies as st

VENDOR_KEYS = [
    "id", "type", "role", "content", "text", "choices", "delta", "index", "finish_reason", "usage",
    "message", "tool_calls", "function", "name", "arguments", "error", "code", "status",
    "prompt_tokens", "completion_tokens", "prompt_tokens_details", "cached_tokens",
    "content_block", "partial_json", "stop_reason", "input", "input_tokens", "output_tokens",
    "cache_read_input_tokens", "output_tokens_details", "thinking_tokens",
    "candidates", "parts", "functionCall", "args", "finishReason", "usageMetadata",
    "promptTokenCount", "candidatesTokenCount", "thoughtsTokenCount", "promptFeedback", "blockReason", "thought",
]  # fmt: skip
VENDOR_WORDS = [
    "message_start", "content_block_start", "content_block_delta", "message_delta", "message_stop",
    "text_delta", "input_json_delta", "tool_use", "text", "error", "assistant", "function", "STOP",
    "MAX_TOKENS", "SAFETY", "end_turn", "[DONE]",
]  # fmt: skip

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-5, max_value=2**63), st.floats(allow_nan=False),
    st.text(max_size=12), st.sampled_from(VENDOR_WORDS),
)  # fmt: skip
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.sampled_from(VENDOR_KEYS) | st.text(max_size=6), children, max_size=6),
    ),
    max_leaves=30,
)

# OpenAI-shaped requests with arbitrary insides: reach the translators past the first checks.
messages = st.lists(
    st.fixed_dictionaries(
        {"role": st.sampled_from(["system", "developer", "user", "assistant", "tool", "function"])},
        optional={"content": json_values, "tool_calls": json_values, "tool_call_id": st.sampled_from(["c1", "c2"]) | json_values},
    ),
    min_size=1,
    max_size=5,
)
request_extras = st.dictionaries(
    st.sampled_from(["tools", "tool_choice", "stop", "response_format", "max_tokens", "max_completion_tokens",
                     "temperature", "top_p", "n", "seed", "user", "parallel_tool_calls", "logprobs"]),
    json_values,
)  # fmt: skip
