"""Tests for the normalised matching view and the redactions that use it."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from filters.base import FilterContext, Finding, Span
from filters.html import clean_html
from filters.normalise import (
    display_order,
    find_in_joined_lines,
    joined_short_lines,
    matching_view,
    remove_bidi_controls,
)
from filters.text import redact_text, redact_texts

CONTEXT = FilterContext(relay_domain="relay.example.org")
FAMILY_EMOJI = "\U0001f468\u200d\U0001f469\u200d\U0001f467"

HIDDEN_DETAILS = [
    ("07700\u200b900123", "[phone number removed]", "phone"),
    ("07700\u00ad900123", "[phone number removed]", "phone"),
    ("sam.home\u200b@example.net", "[email address removed]", "email"),
    ("SW1A\u200b1AA", "[postcode removed]", "postcode"),
    ("https://insta\u00adgram.com/samjones", "[contact link removed]", "off_platform"),
    ("b\u200bitch", "****", "profanity"),
    ("\uff10\uff17\uff17\uff10\uff10 \uff19\uff10\uff10\uff11\uff12\uff13",
     "[phone number removed]", "phone"),
    ("sam.home\uff20example.net", "[email address removed]", "email"),
    ("sam.home\ufe6bexample.net", "[email address removed]", "email"),
    ("\uff33\uff37\uff11\uff21 \uff11\uff21\uff21", "[postcode removed]", "postcode"),
    ("\U0001d7ce\U0001d7d5\U0001d7d5\U0001d7ce\U0001d7ce "
     "\U0001d7d7\U0001d7ce\U0001d7ce\U0001d7cf\U0001d7d0\U0001d7d1",
     "[phone number removed]", "phone"),
    ("\u0660\u0667\u0667\u0660\u0660 \u0669\u0660\u0660\u0661\u0662\u0663",
     "[phone number removed]", "phone"),
    ("\u0966\u096d\u096d\u0966\u0966 \u096f\u0966\u0966\u0967\u0968\u0969",
     "[phone number removed]", "phone"),
    ("07700\t900123", "[phone number removed]", "phone"),
    ("07700\u2009900123", "[phone number removed]", "phone"),
    ("07700\u3000900123", "[phone number removed]", "phone"),
    ("07700\u2060900123", "[phone number removed]", "phone"),
    ("07700\ufeff900123", "[phone number removed]", "phone"),
    ("07700\u202e900123\u202c", "[phone number removed]", "phone"),
    ("s\u0430m@ex\u0430mple.net", "[email address removed]", "email"),
    ("sam@ex\u03b1mple.net", "[email address removed]", "email"),
    ("sam \u0430t example d\u043et c\u043em", "[email address removed]", "email"),
    ("sam.home at gm\u0430il", "[email address removed]", "email"),
    ("\u041e7700 9\u041e\u041e123", "[phone number removed]", "phone"),
    ("sam&#64;example.net", "[email address removed]", "email"),
    ("sam&#x40;example.net", "[email address removed]", "email"),
    ("sam&commat;example.net", "[email address removed]", "email"),
    ("sam%40example.net", "[email address removed]", "email"),
    ("\u0660\u0667\u0667\u0660\u0660 nine zero zero one two three",
     "[phone number removed]", "phone"),
]  # fmt: skip


@pytest.mark.parametrize(("hidden", "placeholder", "kind"), HIDDEN_DETAILS)
def test_hidden_detail_is_removed(hidden: str, placeholder: str, kind: str) -> None:
    result = redact_text(f"Reach me: {hidden} tonight", CONTEXT, "text/plain")

    assert result.text == f"Reach me: {placeholder} tonight"
    assert result.findings == [Finding(kind, "text/plain", 1)]


@pytest.mark.parametrize(("hidden", "placeholder", "kind"), HIDDEN_DETAILS)
def test_hidden_detail_is_removed_from_html_text(
    hidden: str, placeholder: str, kind: str
) -> None:
    results = redact_texts(["Hello", f"Reach me: {hidden}"], CONTEXT, "text/html")

    assert [r.text for r in results] == ["Hello", f"Reach me: {placeholder}"]
    assert results[1].findings == [Finding(kind, "text/html", 1)]


def test_emoji_sequence_stays_intact() -> None:
    text = f"Our {FAMILY_EMOJI} day out was great"

    result = redact_text(text, CONTEXT, "text/plain")

    assert result.text == text
    assert result.findings == []


def test_emoji_beside_removed_phone_stays() -> None:
    text = f"{FAMILY_EMOJI} 07700\u200b900123 {FAMILY_EMOJI}"

    result = redact_text(text, CONTEXT, "text/plain")

    assert result.text == f"{FAMILY_EMOJI} [phone number removed] {FAMILY_EMOJI}"


def test_invisible_characters_outside_spans_stay() -> None:
    text = "Zero\u200bwidth and soft\u00adhyphen and non\u00a0breaking"

    result = redact_text(text, CONTEXT, "text/plain")

    assert result.text == text


def test_bidi_controls_are_removed_from_output() -> None:
    text = "Ring \u202e321 00\u202c or \u2067ok\u2069 \u200ftoo"

    result = redact_text(text, CONTEXT, "text/plain")

    assert result.text == "Ring 321 00 or ok \u200ftoo"
    assert result.findings == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # An override shows "321009 00770" as "07700 900123".
        ("Ring \u202e321009 00770\u202c now", "Ring [phone number removed] now"),
        ("Ring \u202e321009 00770", "Ring [phone number removed]"),
        # An embedding or isolate shows the number groups in reverse order.
        ("Ring \u202b900123 07700\u202c now", "Ring [phone number removed] now"),
        ("Ring \u2067900123 07700\u2069 now", "Ring [phone number removed] now"),
        (
            "Mail \u202emoc.elpmaxe@emoh.mas\u202c x",
            "Mail [email address removed] x",
        ),
        # Half the number outside the override.
        ("0770\u202e321009 0\u202c", "[phone number removed]"),
    ],
)
def test_right_to_left_run_read_as_displayed(text: str, expected: str) -> None:
    assert redact_text(text, CONTEXT, "text/plain").text == expected


def test_unclosed_override_is_read_to_the_line_end() -> None:
    # The override runs to the end of the line, so a reader sees "07700thginot
    # 321009", which the phone filter reads as one number with keypad letters.
    text = "Reach me: 07700\u202e900123 tonight\nSam"

    result = redact_text(text, CONTEXT, "text/plain")

    assert result.text == "Reach me: [phone number removed]\nSam"


def test_first_strong_isolate_with_latin_text_is_left_to_right() -> None:
    # FSI takes the direction of its first letter, so Latin text in it is
    # displayed as written and "900123 07700" is no number.
    text = "Ring \u2068me 900123 07700\u2069"

    assert display_order(text) is not None
    assert display_order(text).text == text  # type: ignore[union-attr]


def test_line_break_ends_right_to_left_run() -> None:
    displayed = display_order("a\u202ebc\nde")

    assert displayed is not None
    assert displayed.text == "acb\u202e\nde"
    assert displayed.origins == (0, 3, 2, 1, 4, 5, 6)


def test_display_order_of_override_reverses_characters() -> None:
    displayed = display_order("x \u202eab cd\u202c y")

    assert displayed is not None
    assert displayed.text == "x \u202cdc ba\u202e y"
    assert displayed.original_span(Span(3, 8, "phone")) == Span(3, 8, "phone")


def test_display_order_of_embedding_reverses_words() -> None:
    displayed = display_order("\u202bab  cd\u202c")

    assert displayed is not None
    assert displayed.text == "cd\u202c  \u202bab"


def test_display_order_of_nested_override_reverses_twice() -> None:
    displayed = display_order("\u202eab\u202ecd\u202c\u202c")

    assert displayed is not None
    assert displayed.text.replace("\u202e", "").replace("\u202c", "") == "cdba"


@pytest.mark.parametrize("text", ["Call 07700 900123", "Caf\u00e9 \u202a12\u202c"])
def test_text_without_right_to_left_run_has_no_display_order(text: str) -> None:
    assert display_order(text) is None


def test_deep_overrides_stop_at_the_maximum_depth() -> None:
    text = "\u202e" * 1000 + "321009 00770"

    assert redact_text(text, CONTEXT, "text/plain").text == "[phone number removed]"


def test_overridden_phone_in_html_text_node_is_removed() -> None:
    result = clean_html("<p>Ring \u202e321009 00770\u202c</p>", CONTEXT)

    assert result.html == "<p>Ring [phone number removed]</p>"


def test_overridden_phones_in_separate_texts_are_removed() -> None:
    texts = ["a \u202e321009 00770", "\u202cb", "c \u202b900123 07700\u202c"]

    results = redact_texts(texts, CONTEXT, "text/html")

    assert [r.text for r in results] == [
        "a [phone number removed]",
        "b",
        "c [phone number removed]",
    ]


def test_bidi_controls_are_removed_from_html_text() -> None:
    results = redact_texts(["a\u202db", "c\u2066d"], CONTEXT, "text/html")

    assert [r.text for r in results] == ["ab", "cd"]


def test_ascii_view_is_the_text_itself() -> None:
    view = matching_view("Call 07700 900123")

    assert view.text == "Call 07700 900123"
    assert view.origins is None


def test_view_of_tab_and_fullwidth_keeps_offsets() -> None:
    view = matching_view("a\t\uff21\u00a0\u0663")

    assert view.text == "a A 3"
    assert view.origins is None


def test_view_drops_format_characters() -> None:
    view = matching_view("a\u200bb\u00adc")

    assert view.text == "abc"
    assert view.origins == (0, 2, 4)


def test_view_expands_compatibility_characters() -> None:
    view = matching_view("\ufb01x\u2028\u2460")

    assert view.text == "fix\n1"
    assert view.origins == (0, 0, 1, 2, 3)


def test_span_maps_back_over_dropped_characters() -> None:
    view = matching_view("x 0\u200b7\u00ad7 y")

    span = view.original_span(Span(2, 5, "phone"))

    assert span == Span(2, 7, "phone")


def test_span_maps_back_to_whole_expanded_character() -> None:
    view = matching_view("\ufb01ne")

    span = view.original_span(Span(1, 3, "profanity"))  # "in" of "fine"

    assert span == Span(0, 2, "profanity")


def test_remove_bidi_controls_keeps_marks() -> None:
    assert remove_bidi_controls("\u202aa\u202b\u202c\u2068b\u200e") == "ab\u200e"


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_view_origins_ascend_within_the_text(text: str) -> None:
    view = matching_view(text)
    origins = view.origins or tuple(range(len(view.text)))

    assert len(origins) == len(view.text)
    assert all(0 <= origin < len(text) for origin in origins)
    assert list(origins) == sorted(origins)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_redaction_of_any_text_has_no_bidi_controls(text: str) -> None:
    result = redact_text(text, CONTEXT, "text/plain")

    assert not any("\u202a" <= c <= "\u202e" for c in result.text)
    assert not any("\u2066" <= c <= "\u2069" for c in result.text)


def test_view_maps_lookalike_letters_to_latin() -> None:
    view = matching_view("s\u0430m \u0391\u03bf \u0455")

    assert view.text == "sam Ao s"
    assert view.origins is None


def test_view_decodes_encoded_at_signs() -> None:
    view = matching_view("a&#64;b%40c")

    assert view.text == "a@b@c"
    assert view.origins == (0, 1, 6, 7, 10)


def test_span_maps_back_over_encoded_at_sign() -> None:
    view = matching_view("x sam&#64;ex.net y")

    span = view.original_span(Span(2, 12, "email"))

    assert span == Span(2, 16, "email")


def test_lookalike_letters_outside_spans_are_delivered() -> None:
    russian = "\u041f\u0440\u0438\u0432\u0435\u0442"
    greek = "\u039a\u03b1\u03bb\u03b7"
    text = f"My gran wrote {russian} and {greek}"

    result = redact_text(text, CONTEXT, "text/plain")

    assert result.text == text
    assert result.findings == []


def test_lookalike_beside_removed_address_stays() -> None:
    text = "\u0421\u0430\u043c: s\u0430m@ex\u0430mple.net"

    result = redact_text(text, CONTEXT, "text/plain")

    assert result.text == "\u0421\u0430\u043c: [email address removed]"


@pytest.mark.parametrize(
    "alias",
    [
        "sam.k7q2@rel\u0430y.example.org",
        "sam.k7q2@relay.ex\u0430mple.org",
        "sam.k7q2@\uff52elay.example.org",
    ],
)
def test_relay_domain_written_with_lookalikes_is_removed(alias: str) -> None:
    result = redact_text(f"Reply to {alias} ok", CONTEXT, "text/plain")

    assert result.text == "Reply to [email address removed] ok"
    assert result.findings == [Finding("email", "text/plain", 1)]


def test_relay_alias_with_lookalike_local_part_stays() -> None:
    # The domain is the relay's, so mail reaches the relay, which rejects an
    # unknown alias; nothing leaves the programme.
    text = "Reply to s\u0430m.k7q2@relay.example.org ok"

    assert redact_text(text, CONTEXT, "text/plain").text == text


def test_relay_alias_with_encoded_at_sign_stays() -> None:
    text = "Reply to sam.k7q2%40relay.example.org ok"

    assert redact_text(text, CONTEXT, "text/plain").text == text


KEYCAP = "\ufe0f\u20e3"


@pytest.mark.parametrize(
    ("hidden", "placeholder"),
    [
        ("".join(digit + KEYCAP for digit in "07700900123"), "[phone number removed]"),
        ("0\ufe0f7\ufe0f7\ufe0f0\ufe0f0\ufe0f9\ufe0f0\ufe0f0\ufe0f1\ufe0f2\ufe0f3\ufe0f",
         "[phone number removed]"),
        ("0\u03037\u03037\u03030\u030309\u0303001\u030323", "[phone number removed]"),
        ("0770090012\u0417", "[phone number removed]"),
        ("sam.home@e\u0301xample.net", "[email address removed]"),
        ("samjones2010@gmail\u3002com", "[email address removed]"),
        ("sam.home \u24d0 example.net", "[email address removed]"),
        ("sam.home \U0001f170\ufe0f example.net", "[email address removed]"),
        ("samjones2010 \U0001f4e7 gmail.com", "[email address removed]"),
    ],
)  # fmt: skip
def test_marked_or_symbol_detail_is_removed(hidden: str, placeholder: str) -> None:
    result = redact_text(f"Reach me: {hidden} tonight", CONTEXT, "text/plain")

    assert result.text == f"Reach me: {placeholder} tonight"


def test_view_drops_combining_marks_and_keycaps() -> None:
    view = matching_view("1\ufe0f\u20e3e\u0301")

    assert view.text == "1e"
    assert view.origins == (0, 3)


def test_span_takes_trailing_keycap_along() -> None:
    view = matching_view("x 1\ufe0f\u20e3 y")

    assert view.original_span(Span(2, 3, "phone")) == Span(2, 5, "phone")


def test_span_at_end_takes_trailing_marks_along() -> None:
    view = matching_view("x 1\ufe0f\u20e3")

    assert view.original_span(Span(2, 3, "phone")) == Span(2, 5, "phone")


def test_circled_letters_inside_a_word_stay_letters() -> None:
    view = matching_view("\u24e2\u24d0\u24dc and (\u24d0) and \u24d0")

    assert view.text == "sam and (@) and @"


def test_accented_prose_is_delivered_as_sent() -> None:
    text = "Cafe\u0301 au lait, \u0417\u0438\u043c\u0430, 4\u20e3 stars"

    assert redact_text(text, CONTEXT, "text/plain").text == text


def test_short_lines_are_joined_with_their_origins() -> None:
    text = "Hello\n" + "\n".join(["s", " a ", "m", "@", "e", "x", "a", "m", "p", "l"])

    (run,) = joined_short_lines(text)

    assert run.text == "sam@exampl"
    assert run.origins == (6, 9, 12, 14, 16, 18, 20, 22, 24, 26)


def test_joined_span_covers_every_line() -> None:
    text = "Hello\n" + "\n".join("sam@example.net") + "\nBye"

    (run,) = joined_short_lines(text)

    assert run.original_span(Span(0, 15, "email")) == Span(6, 35, "email")


def test_nine_short_lines_are_not_joined() -> None:
    assert joined_short_lines("\n".join("abcdefghi")) == []


def test_long_line_splits_runs_of_short_lines() -> None:
    text = "\n".join("abcdefghij") + "\nlong line\n" + "\n".join("klmnopqrst")

    assert [run.text for run in joined_short_lines(text)] == [
        "abcdefghij",
        "klmnopqrst",
    ]


def test_find_in_joined_lines_maps_spans_back() -> None:
    text = "xyz\n" + "\n".join("0123456789")

    spans = find_in_joined_lines(text, lambda joined: [Span(1, 4, "phone")])

    assert spans == [Span(6, 11, "phone")]


def test_lines_of_separate_texts_are_not_joined() -> None:
    # redact_texts joins texts with a line of one NUL character between them,
    # and no address may form across text nodes of one character each.
    texts = list("sam@example.net")

    results = redact_texts(texts, CONTEXT, "text/html")

    assert [result.text for result in results] == texts


def test_cyrillic_be_beside_ascii_reads_as_six() -> None:
    assert matching_view("LS\u0431 2AB").text == "LS6 2AB"
    assert matching_view("LS\u200b\u0431 2AB").text == "LS6 2AB"


def test_cyrillic_be_inside_cyrillic_word_stays() -> None:
    assert matching_view("\u0431\u0430\u0431\u0443\u0448\u043a\u0430").text == (
        "\u0431a\u0431y\u0448\u043aa"
    )


@pytest.mark.parametrize(
    "text",
    [
        "\u041e\u0431\u043d\u0438\u043c\u0430\u044e, \u0431\u0430\u0431\u0443\u0448"
        "\u043a\u0430! \u041f\u0440\u0438\u0432\u0435\u0442 \u043e\u0442 \u0411\u043e"
        "\u0440\u0438\u0441\u0430.",
        "\u041c\u0456\u0439 \u043d\u043e\u043c\u0435\u0440 \u043d\u0435 \u0434\u0430"
        "\u043c, \u0431\u043e \u043c\u0430\u043c\u0430 \u0437\u0430\u0431\u043e\u0440"
        "\u043e\u043d\u0438\u043b\u0430.",
        "\u039f \u0393\u03b9\u03ce\u03c1\u03b3\u03bf\u03c2 \u03bc\u03ad\u03bd\u03b5"
        "\u03b9 \u03c3\u03c4\u03b7\u03bd \u0391\u03b8\u03ae\u03bd\u03b1 \u03b1\u03c0"
        "\u03cc \u03c4\u03bf 2019.",
    ],
)
def test_russian_ukrainian_and_greek_prose_stays(text: str) -> None:
    redaction = redact_text(text, CONTEXT, "text/plain")

    assert redaction.text == text
    assert redaction.findings == []


@pytest.mark.parametrize(
    "text",
    [
        "\u00d87700 900123",
        "077\u00d8\u00d8 900123",
        "\u03987700 900123",
        "\u2b5577\u2b55\u2b55 9\u2b55\u2b55123",
        "\U0001f17e\ufe0f7\ufe0f\u20e37\ufe0f\u20e3\U0001f17e\ufe0f\U0001f17e\ufe0f"
        " 9\ufe0f\u20e3\U0001f17e\ufe0f\U0001f17e\ufe0f1\ufe0f\u20e32\ufe0f\u20e3"
        "3\ufe0f\u20e3",
    ],
)
def test_zero_look_alikes_read_as_zero(text: str) -> None:
    assert matching_view(text).text.replace(" ", "") == "07700900123"
    assert redact_text(text, CONTEXT, "text/plain").text == "[phone number removed]"


def test_phone_with_o_stroke_after_words_is_removed() -> None:
    redaction = redact_text("my number is \u00d87700 900123", CONTEXT, "text/plain")

    assert redaction.text == "my number is [phone number removed]"
    assert redaction.findings == [Finding("phone", "text/plain")]


def test_small_capitals_beside_ascii_read_as_capitals() -> None:
    assert matching_view("\u029fs6 2\u1d00\u0299").text == "Ls6 2AB"


def test_negative_squared_letters_beside_digits_read_as_capitals() -> None:
    view = matching_view("LS6 2\U0001f170\ufe0f\U0001f171\ufe0f")

    assert view.text == "LS6 2AB"


def test_cyclone_emoji_reads_as_at_sign() -> None:
    redaction = redact_text("sam.j04 \U0001f300 example.net", CONTEXT, "text/plain")

    assert redaction.text == "[email address removed]"


@pytest.mark.parametrize(
    ("text", "view"),
    [
        ("\u00d8resund 2000", "\u00d8resund 2000"),
        ("Bj\u00f8rn scored 12", "Bj\u00f8rn scored 12"),
        ("\u0398 2", "\u0398 2"),
        ("\u029c\u1d07\u029f\u029f\u1d0f \u1d1b\u029c\u1d07\u0280\u1d07 2", None),
        ("\U0001f170\U0001f171 team won 3-1", None),
        ("I got a \u2b55 in 2 tests lol", None),
    ],
)
def test_look_alikes_away_from_ascii_and_digits_stay(
    text: str, view: str | None
) -> None:
    assert matching_view(text).text == (text if view is None else view)


@pytest.mark.parametrize(
    "text",
    [
        "\u00d8resund Bridge opened in 2000.",
        "Bj\u00f8rn scored 12 goals for \u00c5lesund this season.",
        "\u0398\u03ad\u03bb\u03c9 2 \u03ba\u03b1\u03c6\u03ad\u03b4\u03b5\u03c2.",
        "\u029c\u1d07\u029f\u029f\u1d0f \u1d1b\u029c\u1d07\u0280\u1d07, see you at 4",
        "\U0001f170\U0001f171 team won 3-1",
        "I got a \u2b55 in 2 tests \U0001f300 lol",
    ],
)
def test_ordinary_text_with_look_alikes_stays(text: str) -> None:
    redaction = redact_text(text, CONTEXT, "text/plain")

    assert redaction.text == text
    assert redaction.findings == []


@pytest.mark.parametrize(
    ("text", "view"),
    [
        ("0\u27647\u27647", "0 7 7"),
        ("0 \U0001f642 7", "0   7"),
        ("s\U0001f642a\U0001f642m", "s a m"),
        ("0\u26057\u266a7\u21920", "0 7 7 0"),
        ("14\U0001f642Acacia\U0001f642Avenue", "14 Acacia Avenue"),
        ("0\u00b77\u00b77", "0 7 7"),
        ("s \u00b7 a \u00b7 m", "s   a   m"),
        ("0\u28007\u2800Acacia", "0 7 Acacia"),
        ("a\u115fb\u1160c\u3164d\uffa0e", "a b c d e"),
    ],
)
def test_separator_symbols_read_as_spaces(text: str, view: str) -> None:
    assert matching_view(text).text == view


@pytest.mark.parametrize(
    ("text", "view"),
    [
        # A middle dot inside or between longer words is a written dot.
        ("sam\u00b7j04", None),
        ("col\u00b7lecci\u00f3", None),
        ("--\u00b7\u00b7\u00b7 \u00b7----", None),
        # The degree sign is no pictograph.
        ("20\u00b0C", None),
        # Symbols that the filters read for what they are.
        ("\U0001f47b samj04", None),
        ("samj04 \U0001f4f8", None),
        ("0\u2b557", "007"),
        ("\U0001f170\U0001f171 team", None),
        # Keycap digits are digits, not separators.
        ("0\ufe0f\u20e37", "07"),
    ],
)
def test_symbols_that_are_no_separators_keep_their_reading(
    text: str, view: str | None
) -> None:
    assert matching_view(text).text == (text if view is None else view)


SEPARATED_DETAILS = [
    ("0 \U0001f642 7 \U0001f642 7 \U0001f642 0 \U0001f642 0 \U0001f642 9 "
     "\U0001f642 0 \U0001f642 0 \U0001f642 1 \U0001f642 2 \U0001f642 3",
     "[phone number removed]"),
    ("0\u27647\u27647\u27640\u27640\u27649\u27640\u27640\u27641\u27642\u27643",
     "[phone number removed]"),
    ("0\u26057\u26057\u26050\u26050\u26059\u26050\u26050\u26051\u26052\u26053",
     "[phone number removed]"),
    ("0\u266a7\u266a7\u266a0\u266a0\u266a9\u266a0\u266a0\u266a1\u266a2\u266a3",
     "[phone number removed]"),
    ("0\u21927\u21927\u21920\u21920\u21929\u21920\u21920\u21921\u21922\u21923",
     "[phone number removed]"),
    ("0\u00b77\u00b77\u00b70\u00b70\u00b79\u00b70\u00b70\u00b71\u00b72\u00b73",
     "[phone number removed]"),
    ("\U0001f642".join("sam.j04@example.net"), "[email address removed]"),
    ("snap: " + "\U0001f642".join("samj_04"), "snap: [contact link removed]"),
    ("14\U0001f642Acacia\U0001f642Avenue", "[address removed]"),
    ("0\u28007\u28007\u28000\u28000\u28009\u28000\u28000\u28001\u28002\u28003",
     "[phone number removed]"),
    ("14\u2800Acacia\u2800Avenue", "[address removed]"),
    ("snap:\u2800samj_04", "snap:\u2800[contact link removed]"),
    ("07700\u3164900123", "[phone number removed]"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "expected"), SEPARATED_DETAILS)
def test_detail_split_by_symbols_or_blanks_is_removed(text: str, expected: str) -> None:
    result = redact_text(f"Hi! {text} thanks", CONTEXT, "text/plain")

    assert result.text == f"Hi! {expected} thanks"


@pytest.mark.parametrize(
    "text",
    [
        "great job \U0001f389\U0001f389",
        "07:30 \u2600\ufe0f run",
        "\u00a35 \U0001f4b7",
        "It was 20\u00b0C today and 18\u00b0C yesterday.",
        "Score 3\u26bd2 at half time, 5\u26bd4 at full time",
        "Page 1 \u2192 2 \u2192 3 \u2192 4 \u2192 5 \u2192 6 \u2192 7 \u2192 8",
        "Love you \u2764\ufe0f\u2764\ufe0f\u2764\ufe0f see you soon \U0001f618",
        "Year 9 \U0001f389 Drama Club starts Monday",
        "Tickets cost \u00a35 \u00b7 \u00a37 \u00b7 \u00a39",
        "La col\u00b7lecci\u00f3 \u00e9s a la sala 3",
        "Braille\u2800\u2801\u2803 reads a b",
    ],
)
def test_ordinary_text_with_emoji_and_symbols_stays(text: str) -> None:
    redaction = redact_text(text, CONTEXT, "text/plain")

    assert redaction.text == text
    assert redaction.findings == []


@pytest.mark.parametrize(
    ("text", "view"),
    [
        ("s~a~m~j", "s a m j"),
        ("0|7|7|0 rest", "0 7 7 0 rest"),
        ("(s*a*m*j).", "(s a m j)."),
        ("|s|a|m|j|", " s a m j "),
        ("*s|a|m|j", "*s a m j"),
        ("0^7^7^0 0+9+0+0 1=2=3=4", "0 7 7 0 0 9 0 0 1 2 3 4"),
        ("14/Acacia/Avenue", "14 Acacia Avenue"),
        ("14b~Acacia~Avenue, Leeds", "14b Acacia Avenue, Leeds"),
        ("s~\u0430~m~j", "s a m j"),
    ],
)
def test_ascii_separators_between_single_characters_read_as_spaces(
    text: str, view: str
) -> None:
    assert matching_view(text).text == view


@pytest.mark.parametrize(
    "text",
    [
        # Runs of fewer than four single characters.
        "x*y*z = 1",
        "A/B testing",
        "3/4 of us",
        # Numbers and words of more than one character.
        "12/03/2026",
        "1/2/2027",
        "24/7",
        "and/or he/him",
        "src/app/main.py",
        "*really* ~approx 5",
        # Separators with spaces around them, or runs inside a word.
        "| a | b | c | d |",
        "https://example.org/a/b/c/d",
        "~/a/b/c/d",
        "x **a*b*c*d** y",
        # Two different separators, or no word after the number.
        "1+2+3+4=10",
        "14/Acacia",
        "Room 14/B/C/D",
        "14/acacia/avenue",
    ],
)
def test_ordinary_ascii_separators_stay_in_view(text: str) -> None:
    assert matching_view(text).text == text


ASCII_SEPARATED_DETAILS = [
    ("s~a~m~.~j~0~4~@~e~x~a~m~p~l~e~.~n~e~t", "[email address removed]"),
    ("s|a|m|.|j|0|4|@|e|x|a|m|p|l|e|.|n|e|t", "[email address removed]"),
    ("|s|a|m|.|j|0|4|@|e|x|a|m|p|l|e|.|n|e|t|", "|[email address removed]|"),
    ("s^a^m^.^j^0^4^@^e^x^a^m^p^l^e^.^n^e^t", "[email address removed]"),
    ("snap: s~a~m~j~_~0~4", "snap: [contact link removed]"),
    ("s*a*m*j*_*0*4 on snap", "[contact link removed] on snap"),
    ("s=a=m=j=_=0=4 on snap", "[contact link removed] on snap"),
    ("0/7/7/0/0/9/0/0/1/2/3", "[phone number removed]"),
    ("14~Acacia~Avenue", "[address removed]"),
    ("14/Acacia/Avenue", "[address removed]"),
]


@pytest.mark.parametrize(("text", "expected"), ASCII_SEPARATED_DETAILS)
def test_detail_split_by_ascii_separators_is_removed(text: str, expected: str) -> None:
    result = redact_text(f"Hi! {text} thanks", CONTEXT, "text/plain")

    assert result.text == f"Hi! {expected} thanks"


@pytest.mark.parametrize(
    "text",
    [
        "The deadline is 12/03/2026, about 3/4 of the class and/or parents.",
        "My pronouns are he/him. Open src/app/main.py to start.",
        "See https://example.org/a/b/c/d/e for the notes.",
        "| a | b | c | d |",
        "I *really* liked it, ~approx 5 hours.",
        "In maths x*y*z = 1 and w*x*y*z = 2 and 1+2+3+4=10.",
        "We did A/B testing, the shop is open 24/7.",
        "Choose a/b/c/d in the quiz, score 1/2/3/4/5 stars.",
        "^_^ and ==== and ****",
    ],
)
def test_ordinary_text_with_ascii_separators_stays(text: str) -> None:
    redaction = redact_text(text, CONTEXT, "text/plain")

    assert redaction.text == text
    assert redaction.findings == []
