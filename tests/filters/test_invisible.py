"""Tests for the removal of hidden characters and files written one per byte."""

# The tests hold sentences in Russian, Greek, Chinese and other scripts on
# purpose, so the check for letters that look like Latin ones is off.
# ruff: noqa: RUF001

from __future__ import annotations

import base64
import random
import re
import textwrap
from email.message import EmailMessage

import pytest

from filters.base import FilterContext, Finding
from filters.invisible import (
    HIDDEN_DETAIL,
    CleanText,
    clean_html,
    clean_plain,
    clean_subject,
    find_byte_files,
)
from filters.pasted import NOTICE_NAME
from filters.pipeline import CleanMessage, clean_message

CONTEXT = FilterContext(safeguarding_model=False)
NOTICE = "[attachment removed: file pasted as text]"
# A PNG signature and 900 bytes that vary as compressed image data does.
FILE = b"\x89PNG\r\n\x1a\n" + random.Random(7).randbytes(900)
BASE64 = base64.b64encode(FILE).decode()
BRAILLE = "".join(chr(0x2800 + byte) for byte in FILE)


def deliver(
    body: str | None, subject: str = "Re: catch up", html: str | None = None
) -> CleanMessage:
    message = EmailMessage()
    message["From"] = "sam@example.org"
    message["To"] = "alex.k7q2@relay.example.org"
    message["Subject"] = subject
    if body is None:
        message.set_content(html, subtype="html")
    else:
        message.set_content(body)
        if html is not None:
            message.add_alternative(html, subtype="html")
    return clean_message(message.as_bytes(), CONTEXT)


def delivered_texts(result: CleanMessage) -> list[str]:
    return [
        str(part.get_content()).replace("\r\n", "\n")
        for part in result.content.walk()
        if part.get_content_maintype() == "text"
    ]


def hidden_finding(count: int, where: str = "text/plain") -> Finding:
    return Finding("attachment", where, count, HIDDEN_DETAIL)


def file_finding(where: str = "text/plain") -> Finding:
    return Finding("attachment", where, 1, NOTICE_NAME)


def selector(byte: int) -> str:
    return chr(0xFE00 + byte) if byte < 16 else chr(0xE0100 + byte - 16)


def bytes_in_range(text: str, first: int) -> bytes:
    return bytes(ord(c) - first for c in text if first <= ord(c) < first + 256)


def bytes_of_selectors(text: str) -> bytes:
    values = []
    for char in text:
        if 0xFE00 <= ord(char) <= 0xFE0F:
            values.append(ord(char) - 0xFE00)
        elif 0xE0100 <= ord(char) <= 0xE01EF:
            values.append(ord(char) - 0xE0100 + 16)
    return bytes(values)


def wrapped(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width))


# Route 1: variation selectors after one emoji


def test_variation_selectors_after_emoji_are_removed() -> None:
    hidden = "".join(selector(byte) for byte in FILE)
    body = "Good luck with the exam \U0001f600" + hidden + " see you soon"

    result = deliver(body)
    texts = delivered_texts(result)

    assert texts == ["Good luck with the exam \U0001f600 see you soon\n"]
    assert bytes_of_selectors(texts[0]) == b""
    assert result.findings == (hidden_finding(len(FILE)),)


# Route 2: zero-width characters and tag characters


def test_zero_width_bits_in_prose_are_removed() -> None:
    bits = "".join(f"{byte:08b}" for byte in FILE)
    hidden = "".join("\u200b" if bit == "0" else "\u200c" for bit in bits)
    body = "Hi Alex, hope the maths test went well." + hidden + " See you next week."

    result = deliver(body)
    texts = delivered_texts(result)

    assert texts == ["Hi Alex, hope the maths test went well. See you next week.\n"]
    assert not re.search("[\u200b\u200c]", texts[0])
    assert result.findings == (hidden_finding(len(bits)),)


def test_tag_characters_are_removed() -> None:
    hidden = "".join(chr(0xE0000 + byte) for byte in FILE[:127])

    result = deliver("Well done today!" + hidden)

    assert delivered_texts(result) == ["Well done today!\n"]
    assert result.findings == (hidden_finding(127),)


# Route 3: one visible character per byte


@pytest.mark.parametrize(
    ("first", "width"), [(0x2800, 60), (0x1F400, 40), (0x4E00, 40)]
)
def test_one_character_per_byte_is_removed(first: int, width: int) -> None:
    encoded = "".join(chr(first + byte) for byte in FILE)

    result = deliver("Here you go:\n\n" + wrapped(encoded, width) + "\n\nbye")
    texts = delivered_texts(result)

    assert texts == [f"Here you go:\n\n\nbye\n\n{NOTICE}\n"]
    assert bytes_in_range(texts[0], first) == b""
    assert result.findings == (file_finding(),)


@pytest.mark.parametrize(
    ("html", "delivered"),
    [
        (f"<p>hello</p><pre>{BRAILLE}</pre>", "<p>hello</p><pre></pre>"),
        (
            f'<p>hello</p><span style="display:none">{BRAILLE}</span>',
            "<p>hello</p><span></span>",
        ),
        (
            "<p>" + "".join(f"&#x{0x2800 + byte:x};" for byte in FILE) + "</p>",
            "<p></p>",
        ),
        (
            "<p>" + "".join(f"<span>{char}</span>" for char in BRAILLE) + "</p>",
            "<p>" + "<span></span>" * len(BRAILLE) + "</p>",
        ),
        (f'<p title="{BRAILLE}">hi</p>', '<p title="">hi</p>'),
    ],
    ids=["pre", "hidden span", "references", "span per byte", "title"],
)
def test_braille_in_html_is_removed(html: str, delivered: str) -> None:
    result = deliver("see html", html=html)
    texts = delivered_texts(result)

    assert texts == [
        f"see html\n\n{NOTICE}\n",
        f"{delivered}\n\n<p>{NOTICE}</p>\n",
    ]
    assert bytes_in_range(texts[1], 0x2800) == b""
    assert result.findings == (file_finding("text/html"),)


def test_braille_in_subject_is_removed() -> None:
    subject = "Notes " + BRAILLE[:200] + " part 1"

    result = deliver("rest in next mail", subject=subject)

    assert result.subject == "Notes part 1"
    assert delivered_texts(result) == [f"rest in next mail\n\n{NOTICE}\n"]
    assert result.findings == (file_finding("subject"),)


# Route 4: base64 split by invisible characters


@pytest.mark.parametrize(("separator", "group"), [("\u00ad", 3), ("\u200b", 4)])
def test_base64_split_by_invisible_characters_is_removed(
    separator: str, group: int
) -> None:
    groups = [BASE64[i : i + group] for i in range(0, len(BASE64), group)]

    result = deliver(wrapped(separator.join(groups), 76))
    texts = delivered_texts(result)

    assert texts == [NOTICE + "\n"]
    assert not re.search(r"[A-Za-z0-9+/]{20}", texts[0])
    assert result.findings == (
        hidden_finding(len(groups) - 1),
        file_finding(),
    )


# Route 5: spaces and tabs at line ends


def test_trailing_space_bits_are_removed() -> None:
    lines = [
        f"line {index} of my story"
        + "".join(" " if bit == "0" else "\t" for bit in f"{byte:08b}")
        for index, byte in enumerate(FILE[:300])
    ]

    result = deliver("\n".join(lines))
    texts = delivered_texts(result)

    expected = "".join(f"line {index} of my story\n" for index in range(300))
    assert texts == [expected]
    assert re.findall(r"story([ \t]{8})$", texts[0], re.MULTILINE) == []
    assert result.findings == (hidden_finding(300 * 8),)


def test_signature_separator_keeps_its_space() -> None:
    text = "Thanks, \n-- \nSam Taylor\u00a0(mentor)\n"

    clean = clean_plain(text)

    assert clean.text == "Thanks,\n-- \nSam Taylor\u00a0(mentor)\n"
    assert clean.hidden == 0


def test_trailing_space_at_crlf_removed() -> None:
    clean = clean_plain("Hi \r\nBye\t\t")

    assert clean.text == "Hi\r\nBye"
    assert clean.hidden == 2


def test_text_with_inner_spaces_only_is_unchanged() -> None:
    text = "Hi there,\r\nsee you at\tten.\n \tIndented line."

    assert clean_plain(text) == CleanText(text)


def test_ascii_html_loses_trailing_space_only() -> None:
    clean = clean_html("<p>Hi</p>  \n<p>See you</p>\t\n")

    assert clean == CleanText("<p>Hi</p>\n<p>See you</p>\n")


def test_few_zero_width_spaces_give_no_finding() -> None:
    result = deliver("Good luck\u200b with the\u200b essay.")

    assert delivered_texts(result) == ["Good luck with the essay.\n"]
    assert result.findings == ()


# Ordinary writing stays


ORDINARY = [
    "Well done! \U0001f44d\U0001f3fd \U0001f469\U0001f3fe\u200d\U0001f393",
    "Family day \U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466 "
    "and \U0001f3f3\ufe0f\u200d\U0001f308",
    "Come on \U0001f3f4\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f"
    " \U0001f3f4\U000e0067\U000e0062\U000e0077\U000e006c\U000e0073\U000e007f"
    " \U0001f3f4\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f"
    " \U0001f1ec\U0001f1e7",
    "I \u2764\ufe0f maths, page 1\ufe0f\u20e3 done \u2705",
    "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645 \u0641\u0631\u062f\u0627 "
    "\u0628\u0647 \u06a9\u062a\u0627\u0628\u200c\u062e\u0627\u0646\u0647 "
    "\u0628\u0631\u0648\u0645.",
    "\u092e\u0948\u0902 \u0915\u0932 \u0938\u094d\u0915\u0942\u0932 "
    "\u091c\u093e\u090a\u0901\u0917\u093e\u0964 "
    "\u0915\u094d\u200d\u0937 \u0930\u094d\u200d\u092f",
    "明日は図書館で数学の宿題をします。先生に質問するつもりです。",
    "我明天去图书馆复习数学，下周有考试。谢谢你的帮助！",
    "สวัสดีครับ พรุ่งนี้ผมจะไปห้องสมุดเพื่ออ่านหนังสือสอบ",
    "Привет! Завтра у меня экзамен по химии, я немного волнуюсь.",
    "Γεια σου! Αύριο έχω εξετάσεις στα μαθηματικά.",
    "Bore da! Sut wyt ti? Dw i'n mynd i'r llyfrgell yfory i adolygu.",
]


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_text_is_unchanged(text: str) -> None:
    assert clean_plain(text + "\n").text == text + "\n"
    assert clean_html(f"<p>{text}</p>").text == f"<p>{text}</p>"
    assert clean_subject(text).text == text


def test_ordinary_message_is_delivered_unchanged() -> None:
    body = "\n".join(ORDINARY) + "\n"

    result = deliver(body)

    assert delivered_texts(result) == [body]
    assert result.findings == ()


# Paragraphs written for these tests, each long enough that a file of the
# same length would use well over MIN_DISTINCT_CODE_POINTS code points.
LONG_TEXTS = {
    "russian": (
        "Съешь же ещё этих мягких французских булок, да выпей чаю. "
        "Широкая электрификация южных губерний даст мощный толчок подъёму "
        "сельского хозяйства. В чащах юга жил бы цитрус? Да, но фальшивый "
        "экземпляр! Эх, чужак, общий съём цен шляп (юфть) — вдрызг! "
        "ЁЖИК, ЦАПЛЯ И ЩУКА ВЫШЛИ ГУЛЯТЬ ПО БЕРЕГУ ЗА ФЕРМОЙ."
    ),
    "greek": (
        "Ξεσκεπάζω την ψυχοφθόρα βδελυγμία. Τάχιστη αλώπηξ βαφής ψημένη γη, "
        "δρασκελίζει υπέρ νωθρού κυνός. ΑΥΡΙΟ ΘΑ ΠΑΜΕ ΣΤΗ ΒΙΒΛΙΟΘΗΚΗ ΜΕ ΤΟΝ "
        "ΔΑΣΚΑΛΟ ΚΑΙ ΘΑ ΔΙΑΒΑΣΟΥΜΕ ΦΥΣΙΚΗ, ΧΗΜΕΙΑ ΚΑΙ ΨΥΧΟΛΟΓΙΑ."
    ),
    "thai": (
        "เป็นมนุษย์สุดประเสริฐเลิศคุณค่า กว่าบรรดาฝูงสัตว์เดรัจฉาน "
        "จงฝ่าฟันพัฒนาวิชาการ อย่าล้างผลาญฤๅเข่นฆ่าบีฑาใคร "
        "ไม่ถือโทษโกรธแช่งซัดฮึดฮัดด่า หัดอภัยเหมือนกีฬาอัชฌาสัย "
        "ปฏิบัติประพฤติกฎกำหนดใจ พูดจาให้จ๊ะ ๆ จ๋า ๆ น่าฟังเอยฯ"
    ),
    # Kana with the kanji that Japanese writing mixes in. A chart of the
    # whole kana syllabary would use more than 100 code points of one block.
    "japanese": (
        "きょうは がっこうで さんすうの テストが ありました。むずかしかった けど、"
        "せんせいが やさしく おしえて くれたので、ぜんぶ こたえる ことが "
        "できました。あしたは としょかんで えいごの ほんを よみます。"
        "コンピューターの じゅぎょうでは プログラムを つくりました。"
        "来週は部活の試合があるので、毎日練習しています。"
    ),
    "hindi": (
        "मैं कल सुबह पुस्तकालय जाऊँगा और गणित का गृहकार्य पूरा करूँगा। "
        "हमारी परीक्षा अगले सप्ताह शुरू होगी, इसलिए मुझे रसायन विज्ञान, "
        "भौतिकी और अंग्रेज़ी भी दोहरानी है। धन्यवाद, आपकी सलाह बहुत उपयोगी थी।"
    ),
    "chinese": (
        "我明天早上去图书馆复习数学和物理，下个星期就要考试了。老师说如果"
        "每天坚持练习，成绩一定会提高。谢谢你上次给我的建议，我已经开始写"
        "个人陈述了，希望你能帮我看一看哪里需要修改。"
    ),
}


@pytest.mark.parametrize("name", sorted(LONG_TEXTS))
def test_long_writing_in_one_script_stays(name: str) -> None:
    text = " ".join([LONG_TEXTS[name]] * 4)

    assert find_byte_files(text) == []
    assert clean_plain(text).text == text


def test_joiner_inside_russian_word_is_removed() -> None:
    clean = clean_plain("При\u200cвет\n")

    assert clean.text == "Привет\n"
    assert clean.hidden == 1


def test_selector_after_plain_letter_is_removed() -> None:
    clean = clean_plain("Hello\ufe0f there\n")

    assert clean.text == "Hello there\n"
    assert clean.hidden == 1


def test_byte_order_mark_inside_text_is_removed() -> None:
    clean = clean_plain("\ufeffHi\ufeff Sam\n")

    assert clean.text == "\ufeffHi Sam\n"
    assert clean.hidden == 1


def test_invisible_references_in_html_are_removed() -> None:
    clean = clean_html("<p>sam&shy;taylor&#x200B;2009&zwnj;</p>")

    assert clean.text == "<p>samtaylor2009</p>"
    assert clean.hidden == 3
