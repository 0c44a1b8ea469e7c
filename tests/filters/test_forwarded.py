"""Tests for the removal of inline forwarded messages."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage

from filters.base import FilterContext, Finding
from filters.forwarded import (
    HTML_NOTICE,
    NOTICE,
    strip_forwarded_html,
    strip_forwarded_text,
)
from filters.pipeline import clean_message
from relay.runner import flag_for

DOMAIN = "relay.example.org"
CONTEXT = FilterContext(relay_domain=DOMAIN)

GMAIL = """\
Thought you'd find this interesting.

---------- Forwarded message ---------
From: Pat Green <pat@example.com>
Date: Mon, 3 Mar 2025 at 09:12
Subject: Rota
To: Sam Jones <sam@example.org>

Hi Sam, the rota for next week is attached.
"""

APPLE = """\
See below.

Begin forwarded message:

From: Pat Green <pat@example.com>
Subject: Rota
Date: 3 March 2025 at 09:12:00 GMT

Hi Sam, the rota for next week is attached.
"""

OUTLOOK_FORWARD = """\
FYI

-----Original Message-----
From: Pat Green <pat@example.com>
Sent: 03 March 2025 09:12
To: Sam Jones <sam@example.org>
Subject: Rota

Hi Sam, the rota for next week is attached.
"""

OUTLOOK_REPLY = """\
Yes, Thursday works.

-----Original Message-----
From: Alex Smith <alex.k7q2@relay.example.org>
Sent: 03 March 2025 09:12
To: Sam Jones <sam.j3x9@relay.example.org>
Subject: Next session

Can we move to Thursday?
"""

OUTLOOK_UNDERSCORES = """\
FYI

________________________________
From: Pat Green [mailto:pat@example.com]
Sent: Monday, March 3, 2025 9:12 AM
To: Sam Jones
Subject: Rota

Hi Sam, the rota for next week is attached.
"""

QUOTED_REPLY = """\
Thursday is fine.

On Mon, 3 Mar 2025 at 09:12, Alex Smith wrote:
> Can we move to Thursday?
> Thanks, Alex
"""


def test_gmail_forward_is_removed() -> None:
    text, styles = strip_forwarded_text(GMAIL, DOMAIN)

    assert text == f"Thought you'd find this interesting.\n\n{NOTICE}\n"
    assert styles == ["forwarded-message"]


def test_thunderbird_marker_is_recognised() -> None:
    text = "Look:\n-------- Forwarded Message --------\nSubject: x\n\nbody\n"

    assert strip_forwarded_text(text, DOMAIN) == (
        f"Look:\n{NOTICE}\n",
        ["forwarded-message"],
    )


def test_apple_mail_forward_is_removed() -> None:
    text, styles = strip_forwarded_text(APPLE, DOMAIN)

    assert text == f"See below.\n\n{NOTICE}\n"
    assert styles == ["apple-mail"]


def test_outlook_forward_from_outside_is_removed() -> None:
    text, styles = strip_forwarded_text(OUTLOOK_FORWARD, DOMAIN)

    assert text == f"FYI\n\n{NOTICE}\n"
    assert styles == ["outlook"]


def test_outlook_reply_to_partner_stays() -> None:
    assert strip_forwarded_text(OUTLOOK_REPLY, DOMAIN) == (OUTLOOK_REPLY, [])


def test_outlook_underscore_separator_is_a_forward() -> None:
    text, styles = strip_forwarded_text(OUTLOOK_UNDERSCORES, DOMAIN)

    assert text == f"FYI\n\n{NOTICE}\n"
    assert styles == ["outlook"]


def test_underscore_line_without_headers_stays() -> None:
    text = "Name: ____________\nDate: ____________\nSigned below.\n"

    assert strip_forwarded_text(text, DOMAIN) == (text, [])


def test_quoted_reply_stays() -> None:
    assert strip_forwarded_text(QUOTED_REPLY, DOMAIN) == (QUOTED_REPLY, [])


def test_marker_in_prose_stays() -> None:
    text = "I'll send the forwarded message later. Begin forwarded message: no.\n"

    assert strip_forwarded_text(text, DOMAIN) == (text, [])


def test_quoted_forward_removes_only_quoted_lines() -> None:
    # Bottom-posted text after a quoted forward is the sender's own.
    text = (
        "> Read this:\n"
        "> ---------- Forwarded message ---------\n"
        "> From: Pat <pat@example.com>\n"
        ">\n"
        "> private text\n"
        "My answer is below the quote.\n"
    )

    result, styles = strip_forwarded_text(text, DOMAIN)

    assert result == f"> Read this:\n> {NOTICE}\nMy answer is below the quote.\n"
    assert styles == ["forwarded-message"]


def test_crlf_text_is_handled() -> None:
    text, styles = strip_forwarded_text(GMAIL.replace("\n", "\r\n"), DOMAIN)

    assert text == f"Thought you'd find this interesting.\r\n\r\n{NOTICE}\n"
    assert styles == ["forwarded-message"]


# HTML


def test_gmail_html_forward_is_cut() -> None:
    source = (
        '<div dir="ltr">Have a look<br><div class="gmail_quote">'
        '<div dir="ltr" class="gmail_attr">---------- Forwarded message '
        "---------<br>From: <b>Pat</b> &lt;pat@example.com&gt;<br></div>"
        "<p>private</p></div></div>"
    )

    text, styles = strip_forwarded_html(source, DOMAIN)

    assert text == (
        '<div dir="ltr">Have a look<br><div class="gmail_quote">'
        '<div dir="ltr" class="gmail_attr">' + HTML_NOTICE
    )
    assert styles == ["forwarded-message"]


def test_outlook_html_forward_is_cut() -> None:
    source = (
        '<p>FYI</p><hr><div id="divRplyFwdMsg" dir="ltr"><b>From:</b> Pat '
        "&lt;pat@example.com&gt;<br><b>Sent:</b> Monday<br><b>Subject:</b> Rota"
        "</div><p>private</p>"
    )

    text, styles = strip_forwarded_html(source, DOMAIN)

    assert text == "<p>FYI</p><hr>" + HTML_NOTICE
    assert styles == ["outlook"]


def test_outlook_html_reply_to_partner_stays() -> None:
    source = (
        '<p>Yes</p><div id="divRplyFwdMsg"><b>From:</b> Alex '
        "&lt;alex.k7q2@relay.example.org&gt;<br><b>Sent:</b> Monday</div>"
        "<p>Can we move?</p>"
    )

    assert strip_forwarded_html(source, DOMAIN) == (source, [])


# Through the pipeline


def delivered_texts(raw: bytes) -> tuple[list[str], tuple[Finding, ...]]:
    result = clean_message(raw, CONTEXT)
    data = result.content.as_bytes(policy=email.policy.SMTP)
    parsed = email.message_from_bytes(data, policy=email.policy.default)
    texts = [
        str(part.get_content()).replace("\r\n", "\n")
        for part in parsed.walk()
        if not part.is_multipart()
    ]
    return texts, result.findings


def test_pipeline_removes_forward_from_both_alternatives() -> None:
    mail = EmailMessage()
    mail["Subject"] = "Fwd: Rota"
    mail.set_content(GMAIL)
    mail.add_alternative(
        "<p>Thought you'd find this interesting.</p><div>---------- Forwarded "
        "message ---------<br>From: Pat &lt;pat@example.com&gt;</div>",
        subtype="html",
    )

    texts, findings = delivered_texts(mail.as_bytes())

    assert texts[0] == f"Thought you'd find this interesting.\n\n{NOTICE}\n"
    assert "pat@example.com" not in texts[1]
    assert NOTICE in texts[1]
    assert [f for f in findings if f.kind == "forwarded"] == [
        Finding("forwarded", "text/plain", detail="forwarded-message"),
        Finding("forwarded", "text/html", detail="forwarded-message"),
    ]
    assert flag_for(findings) == "forwarded message"


def test_fwd_subject_alone_removes_nothing() -> None:
    mail = EmailMessage()
    mail["Subject"] = "Fwd: my statement"
    mail.set_content("Here is the new version of my statement.\n")

    texts, findings = delivered_texts(mail.as_bytes())

    assert texts == ["Here is the new version of my statement.\n"]
    assert findings == ()


def test_concern_in_forwarded_text_is_still_flagged() -> None:
    # A young person may forward a threat they received: the officer needs
    # the flag even though the forwarded text is not delivered.
    mail = EmailMessage()
    mail["Subject"] = "Fwd: look"
    mail.set_content(
        "Look what they sent me.\n\n"
        "---------- Forwarded message ---------\n"
        "From: someone <someone@example.com>\n\n"
        "Everyone hates you, nobody likes you.\n"
        "Don't tell your mum about this.\n"
    )

    texts, findings = delivered_texts(mail.as_bytes())

    assert texts == [f"Look what they sent me.\n\n{NOTICE}\n"]
    assert [f.category for f in findings if f.kind == "safeguarding"] == [
        "secrecy",
        "bullying",
        "bullying",
    ]
