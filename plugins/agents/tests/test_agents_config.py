"""``[agents]``: settings, the endpoint and model reaching a real OpenAI client, the scripted
model hook, and configuration errors."""

from __future__ import annotations

import json

import pytest
from agents_helpers import Recorder, backend_context, repo_with
from codex_core.backend_api import TurnRequest
from codex_core.config import load_config
from codex_core.errors import ConfigError
from codex_core_agents.backend import AgentsBackend
from codex_core_agents.scripted import from_script, scripted_model
from codex_core_agents.settings import settings_from
from fake_endpoint import Endpoint


@pytest.mark.parametrize("api", ["chat_completions", "responses"])
async def test_base_url_model_and_api_key_env_reach_the_endpoint(tmp_path, api):
    """A local HTTP server speaking chat completions / responses (fake_endpoint.py): the real
    OpenAI client gets the configured base URL, model and key."""
    with Endpoint() as endpoint:
        repo = repo_with(tmp_path, f"""
            [agents]
            base_url = "{endpoint.base_url}"
            model = "local-model-7b"
            api_key_env = "MY_LLM_KEY"
            api = "{api}"
        """)  # fmt: skip
        recorder = Recorder()
        ctx = backend_context(repo, recorder=recorder, env={"MY_LLM_KEY": "sk-test-123"})
        async with AgentsBackend().session(ctx) as session:
            result = await session.turn(TurnRequest(prompt="say hello", cwd=repo))
    assert result.status == "completed", result
    assert result.reply == "hello from the endpoint"
    assert result.usage is not None and result.usage.total_tokens == 16
    [request] = endpoint.requests
    assert request["path"] == (
        "/v1/chat/completions" if api == "chat_completions" else "/v1/responses"
    )
    assert request["authorization"] == "Bearer sk-test-123"
    assert request["body"]["model"] == "local-model-7b"
    assert "say hello" in json.dumps(request["body"])


async def test_a_requested_model_is_used_unless_the_environment_names_one(tmp_path):
    """The local fake endpoint sees the model a TurnRequest asks for, over ``[agents] model``."""
    with Endpoint() as endpoint:
        repo = repo_with(
            tmp_path, f'[agents]\nbase_url = "{endpoint.base_url}"\nmodel = "configured"\n'
        )
        ctx = backend_context(repo, recorder=Recorder())
        async with AgentsBackend().session(ctx) as session:
            await session.turn(TurnRequest(prompt="x", cwd=repo, model="requested"))
    assert endpoint.requests[0]["body"]["model"] == "requested"


async def test_without_an_api_key_the_session_says_which_variable_to_set(tmp_path, monkeypatch):
    """No API key in the environment: the turn's ConfigError names the variable to set (no
    endpoint contacted)."""
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("CODEX_CORE_AGENTS_MODEL", raising=False)
    repo = repo_with(tmp_path, '[agents]\nmodel = "gpt-x"\n')
    ctx = backend_context(repo, recorder=Recorder())
    async with AgentsBackend().session(ctx) as session:
        with pytest.raises(ConfigError, match=r"\$OPENAI_API_KEY"):
            await session.turn(TurnRequest(prompt="x", cwd=repo))


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('[agents]\nmodle = "x"\n', "unknown key"),
        ('[agents]\nbase_url = "ftp://x"\n', "base_url"),
        ("[agents]\nmax_model_calls = 0\n", "max_model_calls"),
        ('[agents]\napi = "soap"\n', "api"),
        ('[agents.instructions]\nwizard = "x"\n', "instructions"),
        ("[agents]\nmcp_servers = [1]\n", "mcp_servers"),
    ],
)
def test_bad_settings_name_the_file_and_key(tmp_path, toml, message):
    """Each bad ``[agents]`` setting is a ConfigError naming codex-core.toml and the key
    (parsing only)."""
    repo = repo_with(tmp_path, toml)
    with pytest.raises(ConfigError, match=message) as info:
        settings_from(load_config(repo))
    assert "codex-core.toml" in str(info.value)


async def test_an_unknown_mcp_server_name_is_a_config_error(tmp_path):
    """``[agents] mcp_servers`` naming no configured server: a ConfigError when the session
    opens."""
    repo = repo_with(tmp_path, '[agents]\nmcp_servers = ["nope"]\n')
    ctx = backend_context(repo, recorder=Recorder())
    with pytest.raises(ConfigError, match="nope"):
        async with AgentsBackend().session(ctx):
            pass


def test_a_script_gives_each_stage_its_own_steps_and_reads_every_item_form():
    """The JSON model script becomes SDK ScriptedModels, per stage, with every item form (no
    model run)."""
    script = {
        "sessions": {"plan": [[{"message": "the plan"}]]},
        "steps": [
            [{"handoff": "builder"}],
            {"call": "write_file", "arguments": {"path": "a", "content": "b"}},
            {"output": [{"message": "done"}], "usage": {"input_tokens": 3, "output_tokens": 4}},
        ],
    }
    assert from_script(script, stage_id="plan").remaining_steps == 1
    other = from_script(script, stage_id="build")
    assert other.remaining_steps == 3
    with pytest.raises(ConfigError, match="needs 'message'"):
        from_script([[{"say": "x"}]])


def test_a_scripted_spec_names_a_json_file_or_a_python_factory(tmp_path):
    """``scripted:`` specs resolve to a JSON file or a Python factory; bad ones are ConfigErrors."""
    (tmp_path / "s.json").write_text(json.dumps([[{"message": "hi"}]]))

    class Ctx:
        repo = tmp_path
        stage_id = "build"

    assert scripted_model("scripted:s.json", Ctx()).remaining_steps == 1
    made = scripted_model("scripted:agents_helpers:scripted_factory", Ctx())
    assert made.remaining_steps == 1
    with pytest.raises(ConfigError, match="cannot load"):
        scripted_model("scripted:no_such_module_xyz:factory", Ctx())
    with pytest.raises(ConfigError, match=r"scripted model .*missing\.json"):
        scripted_model("scripted:missing.json", Ctx())
