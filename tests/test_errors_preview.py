"""`preview`: what an error may echo of a bad value is short whatever the value (hypothesis found a nested dict of
escaped characters whose preview ran to 387 characters, making one CLI error line 452 long)."""
from hypothesis import given, settings
from hypothesis import strategies as st

from ganas_bench.errors import PREVIEW_CHARS, preview

json_like = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
                         lambda inner: st.lists(inner, max_size=8) | st.dictionaries(st.text(), inner, max_size=8),
                         max_leaves=60)


@settings(max_examples=200, deadline=None)
@given(value=json_like)
def test_a_preview_is_at_most_twice_its_limit_plus_a_strings_length_note(value):
    text = preview(value)
    note = len(f" ({len(value):,} characters)") if isinstance(value, str) and len(value) > PREVIEW_CHARS else 0
    assert "\n" not in text and len(text) <= 2 * PREVIEW_CHARS + note


def test_the_value_hypothesis_found_is_cut_and_says_so():
    found = {"": [], "\x14¬ÔÌÍ\x11\U000f36b3\U00016c1f": [None, "àÃ°ë\x9b8\U0006cb17g", 2.4566482228437564e+16],
             "+0.0": {"\x13\t": None, "|N\x90\U0004e9b7·\x82\x8b¿": 3.5688731971520685e-268, "çO": False},
             "D*|\x86ðhì": {"": False, '"*\U000e6962»\x1f\x15\x1b\U0007ae75': -4414863708793959424, "på": True}}
    text = preview(found)
    assert len(text) == 2 * PREVIEW_CHARS and text.endswith("…") and text.startswith("{'': [],")
    assert preview([1, 2, 3]) == "[1, 2, 3]"  # short values are shown whole
