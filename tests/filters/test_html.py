"""Tests for HTML sanitising and filtering."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage

import pytest

from filters.base import FilterContext
from filters.html import (
    _read_text_nodes,
    _TextNodeFilter,
    clean_html,
    extract_text,
    extract_text_start,
    sanitise,
)
from filters.pipeline import clean_message
from filters.text import redact_text

CONTEXT = FilterContext()
PHONE = "07700 900123"
ADDRESS = "sam@example.com"
PHONE_PLACEHOLDER = redact_text(PHONE, CONTEXT, "text/html").text
ADDRESS_PLACEHOLDER = redact_text(ADDRESS, CONTEXT, "text/html").text


def test_script_and_style_are_removed_with_content() -> None:
    source = "<style>p{color:red}</style><p>Hi</p><script>alert(1)</script>"

    assert clean_html(source, CONTEXT).html == "<p>Hi</p>"


@pytest.mark.parametrize(
    "element",
    [
        '<form action="https://example.com/"><input name="q"></form>',
        '<iframe src="https://example.com/"></iframe>',
        '<object data="https://example.com/x.swf"></object>',
        '<embed src="https://example.com/x.swf">',
    ],
)
def test_active_elements_are_removed(element: str) -> None:
    assert clean_html(f"<p>Hi</p>{element}", CONTEXT).html == "<p>Hi</p>"


@pytest.mark.parametrize(
    "image",
    [
        '<img src="https://example.com/track.gif">',
        '<img src="http://example.com/track.gif">',
        '<img src="cid:logo@example.com">',
        '<img src="data:image/png;base64,iVBORw0KGgo=">',
    ],
)
def test_images_are_removed(image: str) -> None:
    cleaned = clean_html(f"<p>Hi {image}</p>", CONTEXT)

    assert cleaned.html == "<p>Hi </p>"
    image_findings = [f for f in cleaned.findings if f.kind == "image"]
    assert [f.count for f in image_findings] == [1]


def test_event_handler_attributes_are_removed() -> None:
    source = '<p onclick="steal()" onmouseover="steal()">Hi</p>'

    assert clean_html(source, CONTEXT).html == "<p>Hi</p>"


@pytest.mark.parametrize(
    "href",
    [
        "javascript:alert(1)",
        "tel:+447700900123",
        "sms:+447700900123",
        "ftp://example.com/file",
        "data:text/html,hi",
        "/relative/path",
    ],
)
def test_disallowed_link_schemes_lose_href(href: str) -> None:
    cleaned = clean_html(f'<a href="{href}">link</a>', CONTEXT)

    assert "href" not in cleaned.html
    assert ">link</a>" in cleaned.html


def test_https_link_is_kept() -> None:
    cleaned = clean_html('<a href="https://example.org/guide">guide</a>', CONTEXT)

    assert cleaned.html == (
        '<a href="https://example.org/guide" rel="noopener noreferrer">guide</a>'
    )


def test_personal_mailto_loses_href() -> None:
    cleaned = clean_html(f'<a href="mailto:{ADDRESS}">write to me</a>', CONTEXT)

    assert cleaned.html == '<a rel="noopener noreferrer">write to me</a>'


def test_percent_encoded_mailto_loses_href() -> None:
    href = "mailto:" + ADDRESS.replace("@", "%40")

    cleaned = clean_html(f'<a href="{href}">write to me</a>', CONTEXT)

    assert "href" not in cleaned.html
    assert cleaned.findings != ()


def test_title_attribute_is_filtered() -> None:
    cleaned = clean_html(f'<abbr title="ring {PHONE}">me</abbr>', CONTEXT)

    assert cleaned.html == f'<abbr title="ring {PHONE_PLACEHOLDER}">me</abbr>'


def test_text_node_is_filtered() -> None:
    cleaned = clean_html(f"<p>Ring <b>me</b> on {PHONE} &amp; write</p>", CONTEXT)

    assert cleaned.html == f"<p>Ring <b>me</b> on {PHONE_PLACEHOLDER} &amp; write</p>"
    assert [f.where for f in cleaned.findings] == ["text/html"]


def test_escaped_markup_in_text_stays_escaped() -> None:
    cleaned = clean_html("<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>", CONTEXT)

    assert cleaned.html == "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"


def test_split_phone_becomes_pre_text() -> None:
    cleaned = clean_html("<p>Ring 07700 <b>900</b> 123 &amp; bye</p>", CONTEXT)

    assert cleaned.html == f"<pre>Ring {PHONE_PLACEHOLDER} &amp; bye</pre>"
    assert "html_replaced" in [f.kind for f in cleaned.findings]


def test_split_address_becomes_pre_text() -> None:
    cleaned = clean_html("<div>sam<span>@</span>example.com</div>", CONTEXT)

    assert cleaned.html == f"<pre>{ADDRESS_PLACEHOLDER}</pre>"


def test_extract_text_puts_blocks_on_lines() -> None:
    text = extract_text("<p>One <b>two</b></p><p>three<br>four</p>")

    assert text == "One two\nthree\nfour"


def test_html_message_is_sanitised() -> None:
    message = EmailMessage()
    message["Subject"] = "Hi"
    message.set_content(
        f'<p>Ring {PHONE}<img src="https://example.com/t.gif" onerror="x()">'
        "<script>alert(1)</script></p>",
        subtype="html",
    )

    result = clean_message(message.as_bytes(), CONTEXT)

    data = result.content.as_bytes(policy=email.policy.SMTP)
    parsed = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    html = parsed.get_content()
    assert html.strip() == f"<p>Ring {PHONE_PLACEHOLDER}</p>"
    assert "<script" not in html
    assert "onerror" not in html
    assert "<img" not in html


@pytest.mark.parametrize(
    "source",
    [
        "<p>Call <b>07700</b> 900123</p><div>or not</div>",
        "<ul><li>one &amp; two</li><li>three</li></ul><br/>x<br>y",
        "<table><tr><td>a</td><td>b &lt;c&gt;</td></tr></table>\n\n\n<p>end</p>",
        "plain text with no tags at all",
        "\n\nleading line breaks<p>and\n\n\n\ninside a node</p>\n\n",
        "\n\n\n",
        "",
    ],
)
def test_text_from_one_parse_matches_extract_text(source: str) -> None:
    # clean_html reads the part's text from the parse that collects its text
    # nodes, instead of parsing the fragment again.
    sanitised = sanitise(source, CONTEXT, [])
    parser = _TextNodeFilter()
    parser.feed(sanitised)
    parser.close()

    rebuilt = parser.rebuild(parser.texts)

    assert parser.text(parser.texts) == extract_text(sanitised)
    assert parser.layout().text == extract_text(sanitised)
    assert extract_text(rebuilt) == extract_text(sanitised)


def parsed_by_html_parser(fragment: str) -> _TextNodeFilter:
    parser = _TextNodeFilter()
    parser.feed(fragment)
    parser.close()
    return parser


@pytest.mark.parametrize(
    "fragment",
    [
        # nh3 output, with escapes in text and attribute values
        '<a href="https://example.org/?a=1&amp;b=2" title="x &quot;y&quot; &gt;'
        ' z&nbsp;w" rel="noopener noreferrer">t&amp;u &lt;v&gt; &nbsp; nb</a>',
        "<p>ab<br>c</p>\n<table><tbody><tr><td>a</td></tr></tbody></table>",
        '<abbr title="">e</abbr> tail &amp;',
        # not nh3 output, so HTMLParser reads it
        "<p>a<!-- c -->b<br/>c<BR>d</p>",
        "x < y &amp z",
    ],
)
def test_tags_read_as_html_parser_does(fragment: str) -> None:
    fast = _read_text_nodes(fragment)
    expected = parsed_by_html_parser(fragment)

    assert fast.output == expected.output
    assert fast.plain == expected.plain
    assert fast.texts == expected.texts


def test_text_node_is_filtered_in_its_context() -> None:
    # "samj04" alone is no handle, but after "my snap is" in the node before
    # it is one.
    cleaned = clean_html("<p>my snap is <b>samj04</b></p>", CONTEXT)

    assert cleaned.html == "<p>my snap is <b>[contact link removed]</b></p>"
    assert [f.kind for f in cleaned.findings] == ["off_platform"]


def test_nodes_are_filtered_in_place() -> None:
    source = f"<p>Ring {PHONE}</p><p>or write to <i>{ADDRESS}</i></p>"

    cleaned = clean_html(source, CONTEXT)

    assert cleaned.html == (
        f"<p>Ring {PHONE_PLACEHOLDER}</p>"
        f"<p>or write to <i>{ADDRESS_PLACEHOLDER}</i></p>"
    )
    assert [f.kind for f in cleaned.findings] == ["phone", "email"]


@pytest.mark.parametrize(
    "source",
    [
        # Line breaks that the text of the part leaves out, before a node,
        # inside one and at either end, shift the text against the nodes.
        "<p>Hi</p>\n\n\n\n<p>Ring {phone}</p>",
        "<pre>Hi\n\n\n\nRing {phone} now</pre>",
        "\n\nRing {phone}",
        "Ring {phone}\n\n\n",
        "<p>\n\n\nHi</p>\n\n\n<div>\n\n\nRing {phone}\n\n\n</div>",
    ],
)
def test_phone_in_shifted_node_is_replaced(source: str) -> None:
    cleaned = clean_html(source.format(phone=PHONE), CONTEXT)

    assert cleaned.html == source.format(phone=PHONE_PLACEHOLDER)
    assert [f.kind for f in cleaned.findings] == ["phone"]


def test_ruby_annotation_cannot_split_a_phone_number() -> None:
    # Without its <rt> text, the ruby base reads as one phone number, which
    # is what a mail client shows when it does not render ruby.
    result = clean_html("<ruby>07700<rt>x</rt>900123</ruby>", CONTEXT)

    assert result.html == PHONE_PLACEHOLDER
    assert [finding.kind for finding in result.findings] == ["phone"]


def test_ruby_annotation_text_is_removed() -> None:
    result = clean_html("<p>漢<rp>(</rp><rt>kan</rt><rp>)</rp>字</p>", CONTEXT)

    assert result.html == "<p>漢字</p>"
    assert result.findings == ()


def html_delivered(source: str) -> str:
    message = EmailMessage()
    message["Subject"] = "Hi"
    message.set_content(source, subtype="html")
    result = clean_message(message.as_bytes(), CONTEXT)
    content = result.content.get_content()
    assert isinstance(content, str)
    return content.strip()


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (f'<p lang="{PHONE}">Hi</p>', "<p>Hi</p>"),
        ('<p lang="14 Acacia Avenue">Hi</p>', "<p>Hi</p>"),
        ('<ol start="14 Acacia Avenue"><li>Hi</li></ol>', "<ol><li>Hi</li></ol>"),
        ('<ol start="07700900123"><li>Hi</li></ol>', "<ol><li>Hi</li></ol>"),
        (
            '<table><tr><td colspan="07700900123" align="sam">x</td></tr></table>',
            "<table><tbody><tr><td>x</td></tr></tbody></table>",
        ),
    ],
)
def test_attribute_outside_its_strict_form_is_dropped(
    source: str, expected: str
) -> None:
    assert html_delivered(source) == expected


@pytest.mark.parametrize(
    "source",
    [
        '<p lang="en-GB">Hi</p>',
        '<p lang="zh-Hant-TW">Hi</p>',
        '<ol start="3"><li>Hi</li></ol>',
        '<table><tbody><tr><td colspan="2" align="center">x</td></tr></tbody></table>',
    ],
)
def test_attribute_in_its_strict_form_stays(source: str) -> None:
    assert html_delivered(source) == source


def test_tags_are_rebuilt_as_sanitised() -> None:
    # Tags without attributes are copied as nh3 wrote them, and tags with
    # attributes are written again from their unescaped values.
    source = (
        '<div><p>Hi <b>Sam</b>,</p><p title="it\'s &quot;fine&quot;">See '
        '<a href="https://example.org/?a=1&amp;b=2">this</a><br>and call '
        f"{PHONE}</p></div>"
    )
    nodes = _read_text_nodes(sanitise(source, CONTEXT, []))

    assert nodes.output == [
        "<div>", "<p>", 0, "<b>", 1, "</b>", 2, "</p>",
        '<p title="it&#x27;s &quot;fine&quot;">', 3,
        '<a href="https://example.org/?a=1&amp;b=2" rel="noopener noreferrer">',
        4, "</a>", "<br>", 5, "</p>", "</div>",
    ]  # fmt: skip
    assert nodes.texts == ["Hi ", "Sam", ",", "See ", "this", f"and call {PHONE}"]
    assert clean_html(source, CONTEXT).html == (
        '<div><p>Hi <b>Sam</b>,</p><p title="it\'s &quot;fine&quot;">See '
        '<a href="https://example.org/?a=1&amp;b=2" rel="noopener noreferrer">'
        f"this</a><br>and call {PHONE_PLACEHOLDER}</p></div>"
    )


@pytest.mark.parametrize(
    "tag",
    ["header", "section", "address", "nav", "article", "aside", "footer",
     "figcaption", "summary", "legend", "main"],
)  # fmt: skip
def test_section_elements_keep_details_apart(tag: str) -> None:
    # Removing these blocks would join their text to the next block's, and
    # "sam@example.com07700 900123" reads as no address at all.
    source = f'<{tag} class="x">{ADDRESS}</{tag}><{tag}>{PHONE}</{tag}>'
    assert clean_html(source, CONTEXT).html == (
        f"<{tag}>{ADDRESS_PLACEHOLDER}</{tag}><{tag}>{PHONE_PLACEHOLDER}</{tag}>"
    )


def test_section_text_stays_apart_from_street() -> None:
    source = "<section>x</section>14 Acacia Avenue"
    assert clean_html(source, CONTEXT).html == "<section>x</section>[address removed]"


@pytest.mark.parametrize(
    "source",
    [
        "<p>Call <b>07700</b> 900123</p><div>or not</div>",
        "<ul><li>one &amp; two</li><li>three</li></ul><br>x<br>y",
        "\n\nleading line breaks<p>and\n\n\n\ninside a node</p>\n\n",
        "<p>" + "A long paragraph of words. " * 40 + "</p><p>tail</p>" * 30,
        "plain text with no tags at all",
        "",
    ],
)
@pytest.mark.parametrize("length", [1, 10, 300, 5000])
def test_text_start_is_a_prefix_of_extract_text(source: str, length: int) -> None:
    sanitised = sanitise(source, CONTEXT, [])
    whole = extract_text(sanitised)

    start = extract_text_start(sanitised, length)

    assert whole.startswith(start)
    assert len(start) >= length or start == whole


def test_text_start_reads_other_markup_whole() -> None:
    # A comment is not nh3 output, so once the text before it is too short
    # the whole fragment is read by HTMLParser, which skips the comment.
    fragment = "<p>one</p><!-- <p>two</p> --><p>three</p>"

    assert extract_text_start(fragment, 2) == "one"
    assert extract_text_start(fragment, 100) == "one\nthree"


def test_textarea_texts_are_read_apart() -> None:
    # Without their tags the two texts read "sam.j@example.netsamj_04 on
    # Snapchat", in which the handle starts no word.
    source = (
        "<textarea>sam.j@example.net</textarea><textarea>samj_04 on Snapchat</textarea>"
    )

    result = clean_html(source, CONTEXT)

    assert result.html == (
        "<div>[email address removed]</div>"
        "<div>[contact link removed] on Snapchat</div>"
    )


def test_select_options_become_lines() -> None:
    source = "<p>Pick</p><select><option>red</option><option>blue</option></select>"

    assert sanitise(source, CONTEXT, []) == (
        "<p>Pick</p><div><div>red</div><div>blue</div></div>"
    )


@pytest.mark.parametrize(
    "tag",
    ["button", "form", "meter", "progress", "dialog", "menu", "datalist", "video"],
)
def test_separated_element_becomes_div(tag: str) -> None:
    source = f"one<{tag}>two</{tag}>three"

    assert sanitise(source, CONTEXT, []) == "one<div>two</div>three"


@pytest.mark.parametrize("tag", ["label", "output"])
def test_inline_form_element_stays_inline(tag: str) -> None:
    # A browser shows these inline, so their text joins its neighbours
    # there too.
    assert sanitise(f"one<{tag}>two</{tag}>", CONTEXT, []) == "onetwo"


def test_input_between_words_becomes_line_break() -> None:
    source = 'sam.j@example.net<input value="x">samj_04 on Snapchat'

    result = clean_html(source, CONTEXT)

    assert (
        result.html == "[email address removed]<br>[contact link removed] on Snapchat"
    )


@pytest.mark.parametrize(
    "source",
    [
        "<p>Hi</p><input>",
        "<p>Hi</p><textarea></textarea>",
        "<p>Hi</p><form><select><option></option></select></form>",
        "<p>Hi</p> <input> ",
    ],
)
def test_empty_separated_elements_are_removed(source: str) -> None:
    assert clean_html(source, CONTEXT).html.strip() == "<p>Hi</p>"


def test_raw_text_element_keeps_markup_escaped() -> None:
    # nh3 writes the content of a kept <xmp> unescaped, so <xmp> is not
    # separated and its content stays text.
    result = clean_html("<xmp><b>x</b></xmp>", CONTEXT)

    assert result.html == "&lt;b&gt;x&lt;/b&gt;"


def test_separated_elements_add_no_text() -> None:
    source = (
        "<form>Name<input title='a'><textarea>Sam</textarea>"
        "<select><option>one</option><option>two</option></select>"
        "<button>Send</button><meter>5</meter></form>"
    )

    text = extract_text(clean_html(source, CONTEXT).html)

    assert text.split() == ["Name", "Sam", "one", "two", "Send", "5"]


def test_safeguarding_text_reads_form_elements_apart() -> None:
    from filters.safeguarding import html_to_text

    text = html_to_text("<button>meet</button><button>me</button>")

    assert text.split() == ["meet", "me"]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("<ul><li>LS6</li><li>2AB</li></ul>", "LS6\n2AB"),
        ("<div>LS6</div><div></div><div>2AB</div>", "LS6\n2AB"),
        ("<p>LS6</p>\n  <p></p>\n<p>2AB</p>", "LS6\n2AB"),
        ("<table><tr><td>1</td><td>2</td></tr><tr><td>3</td></tr></table>", "1\n2\n3"),
        ("one<br>two<br><br>three", "one\ntwo\n\nthree"),
        ("<div>one</div><div><br></div><div>two</div>", "one\n\ntwo"),
        ("<p>one</p><p>&nbsp;</p><p>two</p>", "one\n\xa0\ntwo"),
        ("<p>one <b>two</b> <i>three</i></p>", "one two three"),
    ],
)
def test_block_boundaries_make_one_line_break(source: str, expected: str) -> None:
    # A blank line is a paragraph break to the text filters, so a blank line
    # where a browser shows none would keep the halves of a postcode apart.
    sanitised = sanitise(source, CONTEXT, [])

    assert extract_text(sanitised) == expected
    assert _read_text_nodes(sanitised).layout().text == expected


@pytest.mark.parametrize(
    "source",
    [
        "<ul><li>LS6</li><li>2AB</li></ul>",
        "<table><tr><td>LS6</td><td>2AB</td></tr></table>",
        "<div>LS6</div><div>2AB</div>",
        "<p>LS6</p><p>2AB</p>",
        "<p>LS6<br>2AB</p>",
        "<p>LS6</p><p></p><p>2AB</p>",
        "<ul><li>LS6</li><li></li><li>2AB</li></ul>",
    ],
)
def test_postcode_halves_in_blocks_are_removed(source: str) -> None:
    cleaned = clean_html(source, CONTEXT)

    assert cleaned.html == "<pre>[postcode removed]</pre>"
    assert [f.kind for f in cleaned.findings] == ["postcode", "html_replaced"]


@pytest.mark.parametrize(
    "source",
    [
        "<table><tr><td>07700</td><td>900</td><td>123</td></tr></table>",
        "<p><span>07700</span> <span>900</span> <span>123</span></p>",
        "<p>07700<br>900<br>123</p>",
        "<div>07700</div><div>900</div><div>123</div>",
        "<p>07700</p><p>900</p><p>123</p>",
        "<div>07700</div><div></div><div>900123</div>",
        "<ul><li>07700 900</li><li></li><li>123</li></ul>",
    ],
)
def test_phone_pieces_in_elements_are_removed(source: str) -> None:
    cleaned = clean_html(source, CONTEXT)

    assert cleaned.html == f"<pre>{PHONE_PLACEHOLDER}</pre>"
    assert [f.kind for f in cleaned.findings] == ["phone", "html_replaced"]


def table(*rows: tuple[str, ...]) -> str:
    cells = ["".join(f"<td>{cell}</td>" for cell in row) for row in rows]
    return (
        "<table><tbody>"
        + "".join(f"<tr>{row}</tr>" for row in cells)
        + ("</tbody></table>")
    )


@pytest.mark.parametrize(
    "source",
    [
        table(
            ("Day", "Start", "End", "Room"),
            ("Monday", "09:00", "10:30", "B12"),
            ("Tuesday", "13:15", "14:45", "G07"),
            ("Wednesday", "11:00", "12:00", "S2.14"),
        ),
        table(
            ("Item", "Price"),
            ("Revision guide", "£7.99"),
            ("Calculator", "£12.50"),
            ("Pens (pack of 10)", "£2.00"),
            ("Total", "£22.49"),
        ),
        table(
            ("Pos", "Team", "P", "W", "D", "L", "GF", "GA", "GD", "Pts"),
            ("1", "Leeds", "38", "26", "6", "6", "88", "28", "60", "84"),
            ("2", "Hull", "38", "24", "8", "6", "79", "35", "44", "80"),
            ("3", "York", "38", "20", "9", "9", "66", "41", "25", "69"),
        ),
        table(("101", "102", "103", "104"), ("201", "202", "203", "204")),
        table(("Year", "Pupils"), ("2019", "1204"), ("2020", "1187")),
        "<ul><li>Room 101</li><li>Room 102</li><li>G07</li><li>B12</li>"
        "<li>S2.14</li><li>Lab 3</li></ul>",
        "<ol><li>Chapter 1, pages 12 to 40</li><li>Chapter 2, pages 41 to 77</li></ol>",
        "<p>Hi Sam,</p><p>The session moved to room B12 at 3pm.</p><p></p>"
        "<p>See you on the 14th.</p><p>Alex</p>",
    ],
)
def test_tables_and_lists_of_numbers_stay(source: str) -> None:
    cleaned = clean_html(source, CONTEXT)

    assert cleaned.html == source
    assert cleaned.findings == ()


def test_node_without_spans_loses_bidi_controls() -> None:
    # Only the nodes with a detail are redacted, yet every node loses its
    # bidirectional controls as a redacted one does.
    source = f"<p>a\u202eb</p><p>Ring {PHONE}</p>"

    cleaned = clean_html(source, CONTEXT)

    assert cleaned.html == f"<p>ab</p><p>Ring {PHONE_PLACEHOLDER}</p>"


# Layout attributes and inline styles


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            '<p dir="rtl">شمعة اللافندر ١٢</p>',
            '<p dir="rtl">شمعة اللافندر ١٢</p>',
        ),
        (
            '<table border="1" cellpadding="4"><tr><td valign="top">4</td></tr>'
            "</table>",
            '<table border="1" cellpadding="4"><tbody><tr><td valign="top">4</td>'
            "</tr></tbody></table>",
        ),
        (
            '<span style="font-weight: Bold; font-style:italic">£42.00</span>',
            '<span style="font-weight: bold; font-style: italic">£42.00</span>',
        ),
        (
            '<span style="text-decoration:underline">due</span>',
            '<span style="text-decoration: underline">due</span>',
        ),
    ],
)
def test_layout_attributes_and_plain_styles_stay(source: str, expected: str) -> None:
    assert clean_html(source, CONTEXT).html == expected


@pytest.mark.parametrize(
    "style",
    [
        "color:#077009",
        "color: white",
        "background-color: yellow; color: yellow",
        "color: rgb(7, 70, 9)",
        "background-image: url(https://example.com/p.png)",
        "font-family: 'ring 07700 900123'",
        "unicode-bidi: bidi-override; direction: rtl",
        "position: absolute; left: -900123px",
        "display:none",
        "color: red /* 07700 900123 */",
    ],
)
def test_styles_that_carry_or_hide_text_go(style: str) -> None:
    cleaned = clean_html(f'<span style="{style}">hi</span>', CONTEXT)

    assert cleaned.html == "<span>hi</span>"


def test_only_passing_declarations_of_a_style_stay() -> None:
    source = '<b style="color:red; font-style: italic; margin: 0 0 7700px">x</b>'

    assert clean_html(source, CONTEXT).html == '<b style="font-style: italic">x</b>'


@pytest.mark.parametrize("value", ["rtl; x", "07700", "1000"])
def test_layout_attribute_with_odd_value_goes(value: str) -> None:
    source = f'<table border="{value}" dir="{value}"><tr><td>1</td></tr></table>'

    assert clean_html(source, CONTEXT).html == (
        "<table><tbody><tr><td>1</td></tr></tbody></table>"
    )


def test_character_coloured_like_background_shows() -> None:
    source = '<p>07700 9<span style="color:white">5</span>00123</p>'

    assert clean_html(source, CONTEXT).html == "<p>07700 9<span>5</span>00123</p>"
