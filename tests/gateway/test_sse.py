import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.providers.base import ProviderError, SSEEvent
from gateway.sse import SSEParser
from tests.gateway.providers.vendor_types import fixture_bytes


def parse_all(*chunks: bytes, **kwargs) -> list[SSEEvent]:
    parser = SSEParser(**kwargs)
    events = []
    for chunk in chunks:
        events += parser.feed(chunk)
    return events + parser.close()


@pytest.mark.parametrize("newline", [b"\n", b"\r\n", b"\r"])
def test_it_parses_every_line_ending(newline):
    stream = newline.join([b"event: ping", b"data: {}", b"", b"data: two", b"", b""])
    assert parse_all(stream) == [SSEEvent(data="{}", event="ping"), SSEEvent(data="two")]


def test_data_lines_of_one_event_are_joined_with_newlines():
    assert parse_all(b"data: first\ndata: second\ndata:third\n\n") == [SSEEvent(data="first\nsecond\nthird")]


def test_comments_ids_retry_and_unknown_fields_are_ignored():
    stream = b": keep-alive\nid: 7\nretry: 1000\nfoo: bar\ndata: x\n\n:\n\n"
    assert parse_all(stream) == [SSEEvent(data="x")]


def test_only_one_space_after_the_colon_is_stripped():
    assert parse_all(b"data:  padded\n\n") == [SSEEvent(data=" padded")]


def test_an_empty_data_line_is_an_event_with_empty_data():
    assert parse_all(b"data:\n\n") == [SSEEvent(data="")]


def test_the_event_name_does_not_leak_into_the_next_event():
    assert parse_all(b"event: error\ndata: a\n\ndata: b\n\n") == [SSEEvent("a", "error"), SSEEvent("b", "")]


def test_a_blank_line_without_data_dispatches_nothing():
    assert parse_all(b"event: ping\n\n\n\n") == []


def test_a_carriage_return_ending_one_chunk_and_a_line_feed_opening_the_next_are_one_line_end():
    assert parse_all(b"data: a\r", b"\ndata: b\r", b"\n\r", b"\n") == [SSEEvent(data="a\nb")]


def test_a_line_feed_alone_in_a_chunk_after_a_carriage_return_is_consumed():
    assert parse_all(b"data: a\r", b"\n", b"\r\n") == [SSEEvent(data="a")]


def test_a_utf8_character_split_across_chunks_is_decoded_whole():
    payload = "data: caf\u00e9 \u2600\ufe0f\n\n".encode()
    split = payload.index(b"\xc3") + 1
    assert parse_all(payload[:split], payload[split:]) == [SSEEvent(data="caf\u00e9 \u2600\ufe0f")]


@pytest.mark.parametrize("slug, name", [("google", "stream_text.sse"), ("anthropic", "stream_tool_use.sse"), ("openai", "stream_text.sse")])
def test_every_split_point_of_a_recorded_stream_gives_the_same_events(slug, name):
    stream = fixture_bytes(slug, name)
    whole = parse_all(stream)
    assert whole
    for cut in range(1, len(stream)):
        assert parse_all(stream[:cut], stream[cut:]) == whole


def test_a_gemini_crlf_stream_gives_one_event_per_response():
    events = parse_all(fixture_bytes("google", "stream_text.sse"))
    assert len(events) == 3
    assert all(e.data.startswith('{"candidates"') and e.event == "" for e in events)


def test_close_raises_when_the_stream_stopped_mid_line():
    parser = SSEParser()
    assert parser.feed(b'data: {"ok": true}\n\ndata: {"choices": [{"del') == [SSEEvent(data='{"ok": true}')]
    with pytest.raises(ProviderError) as caught:
        parser.close()
    assert caught.value.status == 502 and caught.value.code == "bad_upstream_response"
    assert "choices" not in caught.value.message


def test_close_dispatches_a_complete_last_event_missing_its_blank_line():
    parser = SSEParser()
    assert parser.feed(b"data: [DONE]\n") == []
    assert parser.close() == [SSEEvent(data="[DONE]")]


def test_close_on_a_cleanly_ended_stream_returns_nothing():
    parser = SSEParser()
    parser.feed(b"data: x\n\n")
    assert parser.close() == []


def test_an_oversized_line_is_refused_before_it_is_complete():
    parser = SSEParser(max_event_bytes=1024)
    with pytest.raises(ProviderError):
        parser.feed(b"data: " + b"x" * 2048)


def test_an_oversized_event_made_of_many_lines_is_refused():
    parser = SSEParser(max_event_bytes=1024)
    with pytest.raises(ProviderError):
        parser.feed(b"data: " + b"x" * 600 + b"\n" + b"data: " + b"y" * 600 + b"\n")


def test_a_large_event_below_the_cap_is_accepted():
    payload = b"y" * 100_000
    assert parse_all(b"data: " + payload + b"\n\n") == [SSEEvent(data=payload.decode())]


def test_invalid_utf8_is_replaced_not_raised():
    assert parse_all(b"data: \xff\xfe\n\n") == [SSEEvent(data="\ufffd\ufffd")]


stream_bytes = st.lists(
    st.one_of(st.sampled_from([b"data: ", b"event: ", b":", b"\r", b"\n", b"\r\n", b"{}", b"\xc3\xa9", b"id: 1"]), st.binary(max_size=8)),
    max_size=40,
).map(b"".join)


@settings(max_examples=300, deadline=None)
@given(stream=stream_bytes, cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=6))
def test_chunking_never_changes_the_events_and_only_provider_errors_escape(stream, cuts):
    def run(chunks):
        try:
            return parse_all(*chunks)
        except ProviderError:
            return "error"

    bounds = sorted({0, len(stream), *(c for c in cuts if c < len(stream))})
    chunks = [stream[a:b] for a, b in zip(bounds, bounds[1:])]
    assert run(chunks) == run([stream])
