"""A lint report as a SARIF 2.1.0 log: one run, one rule per lint rule, one result per finding.

The minimal valid document code-scanning services accept: ``version``, ``$schema``, ``runs[0]``
with ``tool.driver`` (name, version, rules) and ``results`` whose locations are repo-relative
URIs against the ``%SRCROOT%`` base. A file that could not be checked becomes a
``toolExecutionNotifications`` entry (level ``error``) and ``executionSuccessful`` is false.
"""

from __future__ import annotations

from typing import Any

from .results import Report

__all__ = ["SARIF_SCHEMA", "to_sarif"]

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def to_sarif(report: Report, *, tool_version: str) -> dict[str, Any]:
    rules = [
        {
            "id": asset["id"],
            "name": asset["id"],
            "shortDescription": {"text": asset.get("description") or asset["id"]},
            "defaultConfiguration": {"level": "warning"},
            "properties": {"version": asset["version"]},
        }
        for asset in report.assets
    ]
    index = {rule["id"]: i for i, rule in enumerate(rules)}
    results = []
    for finding in report.findings:
        result: dict[str, Any] = {
            "ruleId": finding.rule,
            "level": "warning",
            "message": {"text": finding.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": finding.path, "uriBaseId": "%SRCROOT%"},
                        "region": {
                            "startLine": finding.line,
                            "startColumn": finding.column,
                            "endLine": finding.end_line,
                            "endColumn": finding.end_column,
                        },
                    }
                }
            ],
        }
        if finding.rule in index:
            result["ruleIndex"] = index[finding.rule]
        results.append(result)
    notifications = [
        {
            "level": "error",
            "message": {"text": f"{f.path}: {f.error}"},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": f.path, "uriBaseId": "%SRCROOT%"}
                    }
                }
            ],
        }
        for f in report.failed
    ]
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "codex-core-patterns",
                        "version": tool_version,
                        "rules": rules,
                    }
                },
                "originalUriBaseIds": {"%SRCROOT%": {"uri": report.root.as_uri() + "/"}},
                "invocations": [
                    {
                        "executionSuccessful": not report.failed,
                        "toolExecutionNotifications": notifications,
                    }
                ],
                "results": results,
            }
        ],
    }
