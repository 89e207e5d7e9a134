import pytest
from codex_core.errors import InvalidIdError
from codex_core.ids import RUN_ID_PATTERN, new_run_id, validate_id


@pytest.mark.parametrize(
    "bad",
    ["", "a/b", "a\\b", "..", "x..y", ".hidden", "a\x00b", "tab\tid", "CON", "nul.txt", "com1", "LPT9.log",
     "sp ace", "x" * 129, None, 5],
)  # fmt: skip
def test_unsafe_ids_are_refused(bad):
    with pytest.raises(InvalidIdError) as info:
        validate_id(bad, "task id")
    assert "invalid task id" in str(info.value)


@pytest.mark.parametrize(
    "good", ["default", "0001", "task-7.b", "2026-11-23T22-29-09-121Z-dc1c8501", "a_b", "CONSOLE"]
)
def test_safe_ids_pass(good):
    assert validate_id(good) == good


def test_run_ids_look_right_and_sort_by_time():
    ids = [
        new_run_id(ns)
        for ns in (1_700_000_000_000_000_000, 1_700_000_000_001_000_000, 1_800_000_000_000_000_000)
    ]
    assert all(RUN_ID_PATTERN.match(i) for i in ids)
    assert ids == sorted(ids)
    assert ids[0].startswith("2023-11-14T22-13-20-000Z-")
