"""The py-spy summary ranks frames by own samples and project functions by inclusive samples."""
from bench.sampling import summarise

FOLDED = """\
thread (1): MainThread;run (asyncio/runners.py:118);handle_chat (gateway/pipeline.py:59);execute (django/db/utils.py:9) 6
thread (1): MainThread;run (asyncio/runners.py:118);handle_chat (gateway/pipeline.py:59) 2
thread (2): usage-recorder;_write (analytics/recorder.py:78);execute (django/db/utils.py:9) 2
"""


def test_summary_ranks_own_and_project_inclusive_samples(tmp_path):
    folded = tmp_path / "stacks.txt"
    folded.write_text(FOLDED)
    text = summarise(folded)
    own, inclusive = text.split("Own samples:\n")[1].split("\n\nProject functions, inclusive:\n")
    assert text.startswith("10 samples; by thread: MainThread 80%, usage-recorder 20%")
    assert own.splitlines()[0] == " 80.0%  execute (django/db/utils.py:9)"
    assert inclusive.splitlines() == [
        " 80.0%  handle_chat (gateway/pipeline.py:59)",
        " 20.0%  _write (analytics/recorder.py:78)",
    ]


def test_empty_recording_says_so(tmp_path):
    folded = tmp_path / "stacks.txt"
    folded.write_text("")
    assert summarise(folded) == "py-spy recorded no samples."
