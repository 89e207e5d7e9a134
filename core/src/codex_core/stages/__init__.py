"""The built-in stage kinds, registered through ``codex_core.stages`` like any third party's."""
