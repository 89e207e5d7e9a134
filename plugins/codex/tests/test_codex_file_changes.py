"""Codex's own file edits (``apply_patch``) and the approval of file changes.

The first test drives the app-server's request handler with a hand-made approval request (no
Codex process: what is checked is codex-core's answer); the others start the real Codex 0.169.0
app-server (node_modules/.bin/codex) on a real git repo, with only the hosted model replaced by
the Responses API server in scripted_model.py, whose model edits files with ``apply_patch``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from codex_core.hookspecs import Action, Veto, hookimpl
from codex_core.kernel import Kernel
from codex_core.testing import make_repo
from codex_core_codex.appserver import AppServerSession, CodexBackend
from codex_core_codex.items import TurnLedger
from codex_test_helpers import Recorder, backend_context, one_turn
from scripted_model import ScriptedModel, add_file, patch, say

#: Codex 0.169's workspace-write sandbox lets commands and patches write /tmp and $TMPDIR
#: (where pytest's temp repos live); without them, a patch outside the repo needs approval
NO_TMP = "[codex.config.sandbox_workspace_write]\nexclude_slash_tmp = true\nexclude_tmpdir_env_var = true\n"  # fmt: skip


class Recording:
    """A guardrail that objects to nothing and notes what it was asked."""

    def __init__(self) -> None:
        self.seen: list[Action] = []

    @hookimpl
    def codex_guardrail_vote(self, action: Action) -> Veto | None:
        self.seen.append(action)
        return None


def desk_session(tmp_path: Path) -> tuple[AppServerSession, Recording, Recorder, Path]:
    repo = make_repo(tmp_path / "repo", {"src/ok.py": "x = 1\n"})
    kernel = Kernel.for_repo(repo)
    guard = Recording()
    kernel.register(guard, name="test-recording")
    recorder = Recorder()
    session = AppServerSession(backend_context(repo, kernel, recorder, {}), None, None)  # type: ignore[arg-type]
    session.ledger = TurnLedger()
    return session, guard, recorder, repo


def file_change_request(session: AppServerSession, *paths: str, **extra: str) -> dict:
    session.items["i1"] = {
        "type": "fileChange", "id": "i1",
        "changes": [{"path": p, "kind": {"type": "add"}} for p in paths],
    }  # fmt: skip
    return {"threadId": "t", "turnId": "u", "itemId": "i1", **extra}


@pytest.mark.parametrize(
    ("paths", "grant_root", "refused"),
    [
        (["{outside}/x.py"], None, "{outside}/x.py"),
        (["../x.py"], None, "../x.py"),
        (["{repo}/.git/config"], None, ".git/config"),
        (["{repo}/src/.GIT/hooks/pre-commit"], None, "src/.GIT/hooks/pre-commit"),
        (
            ["{repo}/link/x.py"],
            None,
            "{repo}/link/x.py",
        ),  # a symlink in the tree pointing out of it
        (["{repo}/src/new.py"], "{outside}", "{outside}"),  # a write grant for a root outside
        (["{repo}/src/new.py"], "{repo}/.git", "{repo}/.git"),
    ],
)
async def test_a_file_change_outside_the_tree_or_into_git_is_declined_before_the_vote(
    tmp_path: Path, paths: list[str], grant_root: str | None, refused: str
) -> None:
    session, guard, recorder, repo = desk_session(tmp_path)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (repo / "link").symlink_to(outside)
    fill = {"repo": str(repo), "outside": str(outside)}
    extra = {"grantRoot": grant_root.format(**fill)} if grant_root else {}
    params = file_change_request(session, *(p.format(**fill) for p in paths), **extra)

    answer = await session.on_request("item/fileChange/requestApproval", params)

    assert answer == {"decision": "decline"}
    assert guard.seen == []  # no guardrail was asked: none could have approved it
    [decision] = recorder.named("codex-approval")
    assert decision["decision"] == "decline"
    [veto] = decision["vetoes"]
    assert veto["rule"] == "work-tree" and veto["guardrail"] == "codex-approvals"
    assert veto["reason"].startswith(refused.format(**fill))
    assert "outside the work tree or inside .git" in recorder.text
    result = session.ledger.result("completed")
    assert (result.status, result.reason) == ("failed", "policy-denied")


async def test_a_file_change_inside_the_tree_goes_to_the_guardrail_vote(tmp_path: Path) -> None:
    session, guard, recorder, repo = desk_session(tmp_path)
    params = file_change_request(session, str(repo / "src" / "new.py"), grantRoot=str(repo))

    answer = await session.on_request("item/fileChange/requestApproval", params)
    v1 = await session.on_request(
        "applyPatchApproval",
        {"callId": "c", "fileChanges": {str(repo / "src" / "ok.py"): {}, str(repo / ".git" / "HEAD"): {}}},
    )  # fmt: skip

    assert answer == {"decision": "accept"}
    assert [a.paths for a in guard.seen] == [("src/new.py",)]
    assert v1 == {"decision": "denied"}  # the v1 request named .git/HEAD too: declined
    assert [d["decision"] for d in recorder.named("codex-approval")] == ["accept", "decline"]


async def test_a_move_is_checked_at_its_destination_and_an_undescribed_change_is_declined(
    tmp_path: Path,
) -> None:
    """``*** Update File: src/ok.py`` / ``*** Move to: .git/hooks/post-checkout`` writes .git,
    in both request spellings; a request for an item Codex never described has nothing to
    check and is declined."""
    session, guard, recorder, repo = desk_session(tmp_path)
    hook = str(repo / ".git" / "hooks" / "post-checkout")
    session.items["m1"] = {
        "type": "fileChange", "id": "m1",
        "changes": [{"path": str(repo / "src" / "ok.py"), "kind": {"type": "update", "move_path": hook}}],
    }  # fmt: skip
    moved = await session.on_request(
        "item/fileChange/requestApproval", {"threadId": "t", "turnId": "u", "itemId": "m1"}
    )
    v1 = await session.on_request(
        "applyPatchApproval",
        {"callId": "c", "fileChanges": {str(repo / "src" / "ok.py"): {"type": "update", "move_path": hook}}},
    )  # fmt: skip
    unknown = await session.on_request(
        "item/fileChange/requestApproval", {"threadId": "t", "turnId": "u", "itemId": "nope"}
    )

    assert (moved, v1, unknown) == ({"decision": "decline"}, {"decision": "denied"}, {"decision": "decline"})  # fmt: skip
    assert guard.seen == []
    reasons = [v["reason"] for d in recorder.named("codex-approval") for v in d["vetoes"]]
    assert reasons == [
        ".git/hooks/post-checkout is outside the work tree or inside .git",
        ".git/hooks/post-checkout is outside the work tree or inside .git",
        "Codex did not say which files the change touches",
    ]


@pytest.mark.parametrize("model_name", ["gpt-5.5", "test-model"])
async def test_codex_apply_patch_is_a_file_change_of_the_turn(
    tmp_path: Path,
    model: ScriptedModel,
    model_env: dict[str, str],
    codex_bin: Path,
    model_name: str,
) -> None:
    """``gpt-5.5`` is in Codex's bundled catalog, so Codex offers its freeform ``apply_patch``
    tool; for ``test-model`` it does not, and the patch goes through the shell tool."""
    repo = make_repo(tmp_path / "repo", {"codex-core.toml": model.toml(model_name)})
    model.reply(patch(add_file("greet.py", "def greet():\n    return 'hi'\n")), say("Added."))
    recorder = Recorder()

    result = await one_turn(CodexBackend(), repo, model_env, recorder)

    offered = {t.get("name"): t.get("type") for t in model.requests[0]["tools"]}
    assert offered.get("apply_patch") == ("custom" if model_name == "gpt-5.5" else None)
    assert (result.status, result.reason) == ("completed", None), result
    assert [(c.path, c.kind) for c in result.file_changes] == [("greet.py", "add")]
    assert result.commands == ()  # Codex applied the patch itself: no shell command ran
    assert (repo / "greet.py").read_text() == "def greet():\n    return 'hi'\n"
    [item] = recorder.named("codex-item")
    assert (item["type"], item["files"], item["status"]) == (
        "fileChange",
        ["greet.py"],
        "completed",
    )
    assert "A greet.py" in model.tool_outputs()[0]


@pytest.mark.parametrize("target", [".git/info/evil", "../outside.py"])
async def test_codex_apply_patch_into_git_or_outside_the_repo_is_declined(
    tmp_path: Path, model: ScriptedModel, model_env: dict[str, str], codex_bin: Path, target: str
) -> None:
    """Codex's sandbox does not let it write there, so it asks; codex-core declines before any
    guardrail is asked, Codex reports the patch rejected, the turn fails ``policy-denied``."""
    repo = make_repo(tmp_path / "repo", {"codex-core.toml": model.toml() + NO_TMP})
    model.reply(patch(add_file(target, "evil = 1\n")), say("Done."))
    kernel = Kernel.for_repo(repo)
    guard = Recording()
    kernel.register(guard, name="test-recording")
    recorder = Recorder()

    result = await one_turn(CodexBackend(), repo, model_env, recorder, kernel=kernel)

    assert not (repo / ".git" / "info" / "evil").exists()
    assert not (tmp_path / "outside.py").exists()
    assert guard.seen == []
    [decision] = recorder.named("codex-approval")
    assert (decision["request"], decision["decision"]) == (
        "item/fileChange/requestApproval",
        "decline",
    )
    assert decision["vetoes"][0]["rule"] == "work-tree"
    assert (result.status, result.reason) == ("failed", "policy-denied")
    assert "outside the work tree or inside .git" in (result.error or "")
    assert [(item["status"]) for item in recorder.named("codex-item")] == ["declined"]
    assert "rejected" in model.tool_outputs()[0]
