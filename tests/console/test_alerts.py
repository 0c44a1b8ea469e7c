"""Safeguarding alerts name the link and category, never the content."""

from __future__ import annotations

from email import message_from_bytes, policy

from archive.store import StoredFinding
from console.alerts import high_severity_categories, safeguarding_alert
from tests.console.conftest import ConsoleSite


def test_only_high_findings_alert() -> None:
    findings = [
        StoredFinding("phone", "body", 1),
        StoredFinding("safeguarding", "body", 1, category="meeting", severity="medium"),
        StoredFinding(
            "safeguarding", "body", 1, category="self-harm", severity="high",
            matched="hurt myself",
        ),
    ]  # fmt: skip
    assert high_severity_categories(findings) == ["self-harm"]


def test_alert_carries_link_not_content(site: ConsoleSite) -> None:
    raw = safeguarding_alert(
        site.config,
        "dsl@example.org",
        site.messages.held,
        "31d304643d75",
        ["self-harm"],
    )
    alert = message_from_bytes(raw, policy=policy.default)
    body = alert.get_body().get_content()  # type: ignore[union-attr]
    assert alert["Subject"] == "Safeguarding flag: self-harm"
    assert alert["Auto-Submitted"] == "auto-generated"
    link = f"{site.config.console.base_url}/messages/{site.messages.held}/original"
    assert link in body
    assert "hurt myself" not in raw.decode()
    assert "Feeling low" not in raw.decode()
    assert "alex" not in raw.decode().lower()
