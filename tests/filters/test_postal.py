"""Tests for the postcode and street address filters."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from filters import prefilter
from filters.base import FilterContext, Finding, Redaction, TextFilter, redact
from filters.html import clean_html
from filters.link_view import LINK_SEPARATOR, decoded_links
from filters.postal import PostcodeFilter, StreetAddressFilter
from filters.text import redact_text, redact_texts

CONTEXT = FilterContext()
POSTCODE = "[postcode removed]"
ADDRESS = "[address removed]"
LINK = "[contact link removed]"


def clean(text: str) -> Redaction:
    filters: list[TextFilter] = [PostcodeFilter(), StreetAddressFilter()]
    return redact(text, filters, CONTEXT, "text/plain")


@pytest.mark.parametrize(
    "postcode",
    [
        "M1 1AE",  # A9 9AA
        "B33 8TH",  # A99 9AA
        "W1A 0AX",  # A9A 9AA
        "CR2 6XH",  # AA9 9AA
        "DN55 1PT",  # AA99 9AA
        "EC1A 1BB",  # AA9A 9AA
        "ec1a 1bb",
        "EC1A1BB",
        "ls115ab",
        "GIR 0AA",
        "D02 X285",  # Eircode
        "A65 F4E2",
        "d02x285",
        "D6W XY12",
        "LS11  5AB",
        "LS11-5AB",
        "Ls6 2Aj",
    ],
)
def test_postcodes_are_removed(postcode: str) -> None:
    result = clean(f"I live in {postcode}, near the park")

    assert result.text == f"I live in {POSTCODE}, near the park"
    assert result.findings == [Finding("postcode", "text/plain", 1)]


def test_zip_code_after_state_is_removed() -> None:
    result = clean("Springfield, IL 62701-1234, USA")

    assert result.text == f"Springfield, IL {POSTCODE}, USA"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ZIP code 90210", f"ZIP code {POSTCODE}"),
        ("zip: 60614", f"zip: {POSTCODE}"),
        ("My zip is 94103-1234.", f"My zip is {POSTCODE}."),
    ],
)
def test_labelled_zip_code_is_removed(text: str, expected: str) -> None:
    assert clean(text).text == expected


@pytest.mark.parametrize(
    "text",
    [
        "COVID19 cases fell.",
        "Send it as an MP3.",
        "Print it on A4 paper.",
        "My M1 exam went well.",
        "Y9 2nd term starts soon.",
        "The R95 year plan.",
        "We meet at 3pm in room B12.",
        "Call me in 62701 days.",
        "The score was 12345 to nil.",
        "It's in block C, room C2 1st floor.",
        "Take the M62 to Leeds.",
        "I zipped 12345 files.",
    ],
)
def test_codes_and_words_that_look_like_postcodes_stay(text: str) -> None:
    result = clean(text)

    assert result.text == text
    assert result.findings == []


@pytest.mark.parametrize(
    "address",
    [
        "12 Acacia Avenue",
        "12 acacia avenue",
        "221B Baker Street",
        "12-14 Park Road",
        "5 St Mary's Road",
        "3 The Green",
        "7 Willow Ct",
        "12 High St",
        "Flat 3, 12 Acacia Avenue",
        "Apt 4B 9 Elm Grove",
        "Rose Cottage, Mill Lane",
        "The Old Mill, 4 Church Lane",
        "10 Dowling Street",
        "2 Holly Bank",
        "14 Rowan Brow",
        "12 West 34th Street",
        "22 Victoria Road North",
        "No. 12 Acacia Avenue",
        "Number 12 Acacia Avenue",
        "1 Manor House, Mill Lane",
        "flat 6, 18 meadow drive",
        "Flat 1, Rose Court, 12 Acacia Avenue",
        "Flat 4, The Old School, 2 Mill Lane",
    ],
)
def test_street_addresses_are_removed(address: str) -> None:
    result = clean(f"I'm at {address}, Leeds")

    assert result.text == f"I'm at {ADDRESS}, Leeds"
    assert result.findings == [Finding("street_address", "text/plain", 1)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1600 Maple Ave NW, Washington", f"{ADDRESS}, Washington"),
        ("1234 Main St, Apt 5, Springfield", f"{ADDRESS}, Springfield"),
        ("4 Elm Street, Suite 200.", f"{ADDRESS}."),
        ("9 Pine Rd, Austin, TX 78701", f"{ADDRESS}, Austin, TX {POSTCODE}"),
    ],
)
def test_us_street_addresses_are_removed(text: str, expected: str) -> None:
    assert clean(text).text == expected


def test_full_address_loses_street_and_postcode() -> None:
    result = clean("Flat 3, 12 Acacia Avenue, Leeds LS11 5AB")

    assert result.text == f"{ADDRESS}, Leeds {POSTCODE}"
    assert result.findings == [
        Finding("street_address", "text/plain", 1),
        Finding("postcode", "text/plain", 1),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "I walked 5 miles down the road.",
        "It's a 10 minute walk from the station.",
        "It's a 10 Minute Walk from the station.",
        "We did 3 laps of the park.",
        "There were 20 cars on the road.",
        "Take the 2nd left into Mill Lane.",
        "Top 10 Park Rides of the year.",
        "I have 2 dogs and a cat.",
        "Only 4 more weeks to go.",
        "Chapter 3 The Green Knight is next.",
        "Question 7 The Crescent Moon is hard.",
        "Level 7 Castle Hill is really hard in the game.",
        "Part 2 The Long Walk Home starts on page 80.",
        "We're 3 very close friends.",
    ],
)
def test_prose_with_numbers_and_roads_stays(text: str) -> None:
    result = clean(text)

    assert result.text == text
    assert result.findings == []


def deliver(text: str) -> str:
    """Return `text` as the recipient gets it, after every text filter."""
    return redact_text(text, CONTEXT, "text/plain").text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Write to PO Box 123, Leeds", f"Write to {ADDRESS}, Leeds"),
        ("Write to P.O. Box 123", f"Write to {ADDRESS}"),
        ("po box 4567 is mine", f"{ADDRESS} is mine"),
        ("Post Office Box 12.", f"{ADDRESS}."),
        ("Tick Box 3 on the form.", "Tick Box 3 on the form."),
    ],
)
def test_po_boxes_are_removed(text: str, expected: str) -> None:
    assert deliver(text) == expected


@pytest.mark.parametrize(
    "address",
    [
        "7 Oak Cl",
        "12 Mill Rd",
        "4 Elm St",
        "9 Birch Ave",
        "2 Fox Ln",
        "8 Park Dr",
        "3 Kings Ct",
        "5 Queens Cres",
        "6 Rose Gdns",
        "1 Market Pl",
        "2 Berkeley Sq",
        "14 Alma Tce",
        "7 Oak Wy",
        "7 Elm Gr",
        "3 Oak Pk",
        "7 oak cl",
        "4 elm st",
        "8 park dr",
        "6 rose gdns",
        "14 alma tce",
        "14 stable mews",
        "22 cheyne row",
        "11 castle hill",
        "3 river walk",
        "9 victoria way",
        "3 oak close",
        "6 beech grove",
        "1 abbey rise",
        "15 harbour view",
        "number 14 on Station Road",
        "no. 14 Station Road",
        "fourteen Station Road",
        "Twenty-One Mill Lane",
        "flat 3, 14 Station Road",
    ],
)
def test_short_and_spelled_addresses_are_removed(address: str) -> None:
    assert deliver(f"I live at {address}, Leeds") == f"I live at {ADDRESS}, Leeds"


def test_abbreviated_type_keeps_sentence_full_stop() -> None:
    assert deliver("I live at 7 Oak Cl.") == f"I live at {ADDRESS}."


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Send it to SW1A lAA please", f"Send it to {POSTCODE} please"),
        ("It's 5W1A 1AA", f"It's {POSTCODE}"),
        ("Postcode SWIA IAA", f"Postcode {POSTCODE}"),
        ("Postcode S W 1 A 1 A A ok", f"Postcode {POSTCODE} ok"),
        ("Post it to SW1A\n1AA thanks", f"Post it to {POSTCODE} thanks"),
        ("Post it to SW1A  \n 1AA", f"Post it to {POSTCODE}"),
        ("Post it to SW1A  1AA", f"Post it to {POSTCODE}"),
    ],
)
def test_disguised_uk_postcodes_are_removed(text: str, expected: str) -> None:
    assert deliver(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ottawa ON K1A 0B1", f"Ottawa ON {POSTCODE}"),
        ("It's D02 X285 in Dublin", f"It's {POSTCODE} in Dublin"),
        (
            "12 Smith St, Sydney NSW 2000",
            f"{ADDRESS}, Sydney NSW {POSTCODE}",
        ),
        ("Hauptstraße 5, 10115 Berlin", f"{ADDRESS} Berlin"),
        ("Berliner Straße 12a", ADDRESS),
        ("12 rue de la Paix, 75002 Paris", f"{ADDRESS} Paris"),
        ("Prinsengracht 263, 1016 GV Amsterdam", f"{ADDRESS} Amsterdam"),
        ("1012 AB Amsterdam", f"{POSTCODE} Amsterdam"),
        ("Springfield, IL 62701", f"Springfield, IL {POSTCODE}"),
    ],
)
def test_addresses_outside_the_uk_are_removed(text: str, expected: str) -> None:
    assert deliver(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("find it at ///filled.count.soap", f"find it at {ADDRESS}"),
        ("my what3words is filled.count.soap", f"my what3words is {ADDRESS}"),
        ("what3words filled.count.soap", f"what3words {ADDRESS}"),
        ("w3w: ///index.home.raft.", f"w3w: {ADDRESS}."),
        ("We're at 51.5007, -0.1246 now", f"We're at {ADDRESS} now"),
        ("51.50072° N, 0.12462° W", ADDRESS),
        ("51°30'N 0°7'W", ADDRESS),
        ("51°30\u203226\u2033N 0°7\u203239\u2033W", ADDRESS),
        ("https://maps.google.com/?q=51.5,-0.12.", f"{ADDRESS}."),
        ("https://www.google.co.uk/maps/place/Big+Ben", ADDRESS),
        ("https://maps.apple.com/?ll=51.5,-0.12", ADDRESS),
        ("https://www.openstreetmap.org/#map=18/51.5/-0.12", ADDRESS),
    ],
)
def test_map_locations_are_removed(text: str, expected: str) -> None:
    assert deliver(text) == expected


def test_google_short_map_link_is_removed() -> None:
    # goo.gl is a URL shortener as well as Google's map link host, so both
    # filters find these links. Either placeholder removes the whole link.
    for link in ("goo.gl/maps/abc123", "https://maps.app.goo.gl/abc123"):
        assert deliver(f"see {link} x") == f"see {LINK} x"

    result = clean("see https://maps.app.goo.gl/abc123 x")
    assert result.text == f"see {ADDRESS} x"


def test_map_location_is_found_as_street_address() -> None:
    result = clean("Meet at 51.5007, -0.1246")

    assert result.findings == [Finding("street_address", "text/plain", 1)]


@pytest.mark.parametrize(
    "text",
    [
        "It takes 14 days to arrive.",
        "See page 12 of the report.",
        "I love 3 Musketeers bars.",
        "Read John 3:16 in assembly.",
        "Tick Box 3 on the form.",
        "Update to version 3.11.2 today.",
        "It costs 51.50 in total.",
        "Our times were 12.5, 13.25 and 14.",
        "Pi is 3.1416, roughly.",
        "Use version 1.2.3.4 of the app.",
        "I'm doing a 5k charity walk.",
        "Prices saw a 5 percent rise in May.",
        "We have 2 options either way.",
        "I visited 3 national park sites.",
        "It's a one way street.",
        "I went to two Hyde Park gigs.",
        "I'm 14 on Station Road in the race.",
        "Spring 2024 term starts soon.",
        "Google maps is useful.",
        "I FEEL A BIT ILL",
        "It's SO OLD now",
        "I TOOK THE M6 ONE TIME",
        "I took the M6 one time.",
        "in 1066 AD England",
        "Top 2000 TV Shows",
        "In 2024, 1200 UK Students applied.",
        "Room B12\n3rd floor",
    ],
)
def test_near_misses_of_the_new_forms_stay(text: str) -> None:
    assert deliver(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I live at LS6.2AB", f"I live at {POSTCODE}"),
        ("I live at LS6 and then 2AB", f"I live at {POSTCODE}"),
        ("I live at LS six 2AB", f"I live at {POSTCODE}"),
        ("I live at L S six two A B", f"I live at {POSTCODE}"),
        ("I live at L S 6 2 A B", f"I live at {POSTCODE}"),
        ("I live at LS6\n2AB", f"I live at {POSTCODE}"),
    ],
)
def test_round_two_postcode_forms_are_removed(text: str, expected: str) -> None:
    assert deliver(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I live at Acacia Avenue, number 12", f"I live at {ADDRESS}"),
        ("I live at twelve Acacia Avenue", f"I live at {ADDRESS}"),
        ("I live at number twelve on Acacia Avenue", f"I live at {ADDRESS}"),
        ("I live at 12 Acacia Av", f"I live at {ADDRESS}"),
        ("I live at 45 Church Str.", f"I live at {ADDRESS}."),
        ("I live at 45 Church Steet", f"I live at {ADDRESS}"),
        ("I live at 12 Acacia\nAvenue", f"I live at {ADDRESS}"),
        ("Rose Cottage, Ambridge, Borsetshire", f"{ADDRESS}, Borsetshire"),
        ("The Old Rectory, Ambridge", ADDRESS),
        ("block C, Park Hill estate, flat 31", ADDRESS),
        ("Calle Mayor 5, 28013 Madrid", f"{ADDRESS} Madrid"),
        ("ul. Marszałkowska 10, 00-590 Warszawa", f"{ADDRESS} Warszawa"),
        ("House No. 12, Sector 15, Noida 201301", ADDRESS),
        ("12 Heol y Frenhines, Caerdydd", f"{ADDRESS}, Caerdydd"),
        ("14 Sràid na h-Eaglaise", ADDRESS),
        ("12 av. des Champs-Élysées", ADDRESS),
    ],
)
def test_round_two_address_forms_are_removed(text: str, expected: str) -> None:
    assert deliver(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("9C5WRCW3+MX", ADDRESS),
        ("what3words filled count soap", f"what3words {ADDRESS}"),
        ("https://w3w.co/filled.count.soap", ADDRESS),
        ("lat 53.8067 long -1.5550", ADDRESS),
        ("fifty three point eight north, one point five west", ADDRESS),
        ("https://www.rightmove.co.uk/properties/123456", ADDRESS),
        ("https://www.zoopla.co.uk/property/12-acacia-avenue", ADDRESS),
        ("https://bing.com/maps?cp=53.8067~-1.5550", ADDRESS),
    ],
)
def test_round_two_locations_are_removed(text: str, expected: str) -> None:
    assert deliver(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "I work at 10 Downing Street? No, I work in Leeds city centre.",
        "The 2 Way Street exercise in drama was fun.",
        "It's a two-way street, so listen as well as talk.",
        "We read Animal Farm, George Orwell's novel.",
        "The M1 and then 3rd exit.",
        "Keep an eye on the A1 and M62 traffic.",
        "I got an A one and B two in the quiz.",
        "The estate agent called about my flat.",
        "Our house is on an estate near town.",
        "The Town Hall, Leeds is where the fair is.",
        "I scored 1+1 in the test.",
        "The formula is C+H2O.",
    ],
)
def test_near_misses_of_round_two_forms_stay(text: str) -> None:
    assert deliver(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I live at 12 Acacia", f"I live at {ADDRESS}"),
        (
            "we're at number 12 Acacia, the blue door",
            f"we're at number {ADDRESS}, the blue door",
        ),
        ("come to 4 Elm, flat 2", f"come to {ADDRESS}"),
        ("we\u2019re at 12 Acacia.", f"we\u2019re at {ADDRESS}."),
        ("I live at 12 Acacia with my mum", f"I live at {ADDRESS} with my mum"),
        ("my address is 14 Oak, Leeds", f"my address is {ADDRESS}, Leeds"),
    ],
)
def test_cued_house_numbers_are_removed(text: str, expected: str) -> None:
    assert deliver(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "page 12 of Macbeth",
        "I'm 12 and live in Acton",
        "section 4 Elm trees",
        "come to 4 Elm trees",
        "come to 2 Sessions on Friday",
        "I'm at 12 Noon on Monday",
        "we're at 2 all now",
        "I live at 12",
        "The Prime Minister lives at 10 Downing Street.",
    ],
)
def test_cued_house_near_misses_stay(text: str) -> None:
    assert deliver(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("my grid ref is SU 12345 67890", f"my grid ref is {ADDRESS}"),
        ("meet at TQ3080", f"meet at {ADDRESS}"),
        ("grid ref TQ 30 80.", f"grid ref {ADDRESS}."),
        ("It is at SU123456 on the map", f"It is at {ADDRESS} on the map"),
        ("SU 123 456, by the stile", f"{ADDRESS}, by the stile"),
    ],
)
def test_grid_references_are_removed(text: str, expected: str) -> None:
    assert deliver(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Serial number SN 0771 2233 44.",
        "order no SU123456 is late",
        "The SN1234 model is cheaper.",
        "TQ 30 80 was the score.",
        "See SU1234567 in the list.",
    ],
)
def test_grid_reference_near_misses_stay(text: str) -> None:
    assert deliver(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Our DofE route starts at grid reference SD 897 633 and camps at"
            " SD 912 658.",
            "Our DofE route starts at grid reference SD 897 633 and camps at"
            " SD 912 658.",
        ),
        (
            "I live at grid ref SD 897 633, near the route of the hike.",
            f"I live at grid ref {ADDRESS}, near the route of the hike.",
        ),
        (
            "Checkpoint 2 is at SD 8975 6331 on the route.",
            f"Checkpoint 2 is at {ADDRESS} on the route.",
        ),
        (
            "Come to my place, SD 897 633, it's on the route.",
            f"Come to my place, {ADDRESS}, it's on the route.",
        ),
    ],
)
def test_six_figure_route_point_stays_unless_home(text: str, expected: str) -> None:
    # Six figures name a 100 m square: a checkpoint on a route, or a home.
    assert deliver(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Sherlock Holmes lives at 221B Baker Street and Dr Watson narrates.",
            "Sherlock Holmes lives at 221B Baker Street and Dr Watson narrates.",
        ),
        (
            "Meet at 10 Park Road and Dr Smith will see you.",
            f"Meet at {ADDRESS} and Dr Smith will see you.",
        ),
        (
            "Get the bus (number 36, every 20 minutes), and walk past the"
            " shops on Park Road.",
            "Get the bus (number 36, every 20 minutes), and walk past the"
            " shops on Park Road.",
        ),
        (
            "my house (number 14) is on Acacia Avenue",
            f"my house (number {ADDRESS}) is on {ADDRESS}",
        ),
    ],
)
def test_street_name_and_bus_number_in_brackets(text: str, expected: str) -> None:
    assert deliver(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("filled.count.soap", ADDRESS),
        ("we are at filled.count.soap.", f"we are at {ADDRESS}."),
        ("(index.home.raft)", f"({ADDRESS})"),
    ],
)
def test_bare_what3words_is_removed(text: str, expected: str) -> None:
    assert deliver(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "file.tar.gz",
        "v1.2.3",
        "Open bootstrap.min.css first.",
        "It is on mail.google.com now.",
        "Save it as index.html.backup please.",
        "See notes.final.draft.docx now.",
        "e.g. this one",
        "The path is /home/sam/filled.count.soap",
        "lots.of.dots.here",
        "alpha.beta.gamma.delta",
        "call thing.other.stuff(1)",
    ],
)
def test_bare_what3words_near_misses_stay(text: str) -> None:
    assert deliver(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("〒100-0001", f"〒{POSTCODE}"),
        ("郵便番号 150-0041", f"郵便番号 {POSTCODE}"),
        ("東京都千代田区 1-1-1", ADDRESS),
        ("住所は東京都渋谷区神南1丁目2番3号です", f"住所は{ADDRESS}です"),
        ("北京市朝阳区建国路88号", ADDRESS),
        ("서울특별시 종로구 세종대로 209", ADDRESS),
        ("강남구 역삼동 123-45", ADDRESS),
    ],
)
def test_east_asian_addresses_are_removed(text: str, expected: str) -> None:
    assert deliver(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "私は12歳です",
        "2024年12月4日",
        "第3章を読んだ",
        "버스로 10분 걸려요",
        "注文番号 1234567",
    ],
)
def test_east_asian_near_misses_stay(text: str) -> None:
    assert deliver(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Via Roma 12, 00184 Roma", f"{ADDRESS} Roma"),
        ("Rua Augusta 100, 1100-053 Lisboa", f"{ADDRESS} Lisboa"),
        ("Piazza Navona 5", ADDRESS),
        ("Kungsgatan 12, Stockholm", f"{ADDRESS}, Stockholm"),
        ("Storgata 5, Oslo", f"{ADDRESS}, Oslo"),
        ("Vesterbrogade 3", ADDRESS),
        ("Váci utca 12, Budapest", f"{ADDRESS}, Budapest"),
    ],
)
def test_more_european_streets_are_removed(text: str, expected: str) -> None:
    assert deliver(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "I sent it via Email 2 days ago",
        "Via Zoom 3 times a week",
        "Go to Gate 12 at the airport",
    ],
)
def test_european_street_near_misses_stay(text: str) -> None:
    assert deliver(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12 Acacia\nLondon\nLS6 2AB", f"{ADDRESS}\n{ADDRESS}\n{POSTCODE}"),
        ("Flat 2\n12 Acacia\nLeeds", f"{ADDRESS}\n{ADDRESS}\nLeeds"),
        ("Sam\n12 Acacia\nLeeds\nLS6 2AB", f"Sam\n{ADDRESS}\n{ADDRESS}\n{POSTCODE}"),
    ],
)
def test_address_over_lines_is_removed(text: str, expected: str) -> None:
    assert deliver(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Shopping:\n2 Apples\n3 Pears",
        "Top scores\n12 Points\nWell done",
        "Chapter 1\n12 Angry Men\nis on tonight",
    ],
)
def test_short_line_near_misses_stay(text: str) -> None:
    assert deliver(text) == text


@given(st.text(alphabet=st.sampled_from([*"ab 019.\n", "\u0660", "\u00e9"])))
def test_fast_digit_runs_match_regex(text: str) -> None:
    assert prefilter.fast_digit_runs(text) == prefilter.digit_runs(text)


@given(st.text(alphabet=st.sampled_from([*"lat Lx_9 .", "\u0130", "\u00e9"])))
def test_has_word_matches_words(text: str) -> None:
    assert prefilter.has_word(text, "lat") == ("lat" in prefilter.words(text))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("postcodeLS62AB", f"postcode{POSTCODE}"),
        ("my postcode isLS6 2AB ok", f"my postcode is{POSTCODE} ok"),
        ("LS6 2ABx", f"{POSTCODE}x"),
        ("Leeds 6 2AB", f"Leeds {POSTCODE}"),
        ("I'm in Leeds 6 2AB now", f"I'm in Leeds {POSTCODE} now"),
        ("ell ess six two ay bee", POSTCODE),
        ("it's em one one ay ee", f"it's {POSTCODE}"),
    ],
)
def test_glued_and_spoken_postcodes_are_removed(text: str, expected: str) -> None:
    assert clean(text).text == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("14 Acacia Avenuex", ADDRESS),
        ("See you at 14 Acacia Avenuexx!", f"See you at {ADDRESS}!"),
        ("I'm number 14 on Acacia", f"I'm number {ADDRESS}"),
        ("We're at number 3 on Elm, Leeds", f"We're at number {ADDRESS}, Leeds"),
        ("I live at Acacia Avenue 14", f"I live at {ADDRESS}"),
        ("Acacia Av. 14, LS6", f"{ADDRESS}, LS6"),
        (
            "The house number is 14 and the road is Acacia Avenue.",
            f"The house number is {ADDRESS}.",
        ),
        (
            "The road is Acacia Avenue and the house number is 14.",
            f"The road is {ADDRESS}.",
        ),
        ("I'm at fourteen Acacia, Leeds", f"I'm at {ADDRESS}, Leeds"),
        ("come to twenty-one Elm with me", f"come to {ADDRESS} with me"),
    ],
)
def test_reordered_and_cued_addresses_are_removed(text: str, expected: str) -> None:
    assert clean(text).text == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("14\nAcacia\nAvenue\nLeeds", f"{ADDRESS}\nLeeds"),
        ("I\nlive\nat\n14\nAcacia", f"I\nlive\nat\n{ADDRESS}"),
        ("I\nlive\nat\nfourteen\nAcacia", f"I\nlive\nat\n{ADDRESS}"),
        ("Hi\r\n14\r\nAcacia\r\nAvenue\r\n", f"Hi\r\n{ADDRESS}\r\n"),
    ],
)
def test_address_one_word_a_line_is_removed(text: str, expected: str) -> None:
    assert clean(text).text == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("53.8175 -1.576", ADDRESS),
        ("-1.576, 53.8175", ADDRESS),
        ("-122.4194, 37.7749", ADDRESS),
        (
            "the three words for my house are filled count soap",
            f"the three words for my house are {ADDRESS}",
        ),
        ("3 words for our flat: filled count soap", f"3 words for our flat: {ADDRESS}"),
    ],
)
def test_coordinates_and_spaced_what3words_are_removed(
    text: str, expected: str
) -> None:
    assert clean(text).text == expected


@pytest.mark.parametrize(
    "text",
    [
        "page 14 on Acacia trees",
        "Room 14",
        "chapter 14 and the road ahead",
        "score 53.8 -1.5 points",
        "Leeds 6 Bradford 2",
        "Year 9 2nd term starts soon.",
        "Room 4 3AB is upstairs.",
        "I'm number 1 in Maths now.",
        "I'm number 2 on Spotify this week.",
        "I'm 14 and live in Leeds.",
        "I'm at one Direction's concert tonight.",
        "Abbey Road 2 is my favourite track.",
        "The road is long and the house number is unknown.",
        "pi is 3.142 and e is 2.718",
        "The prices were 1.250 2.500 and 3.750 euros.",
        "The three words that describe me are kind brave funny",
        "see you at two see you later",
        "Milk\nEggs\nBread",
        "Top\n3\nTips\nToday",
        "It was fun x\nsee you\nsoon",
        "Size 6 3XL shirts are sold out.",
        "I'm number 5 on Duolingo this week.",
        "She scored 14.533 13.875 today.",
        "Agenda\n1\nIntroductions\n2\nCareers",
    ],
)
def test_scores_rooms_and_ages_stay(text: str) -> None:
    result = clean(text)

    assert result.text == text
    assert result.findings == []


def test_fictional_address_stays_near_cue() -> None:
    text = "the detective lives at 221B Baker Street"

    assert clean(text).text == text


def test_fictional_address_without_cue_is_removed() -> None:
    result = clean("I'm at 221B Baker Street, Leeds")

    assert result.text == f"I'm at {ADDRESS}, Leeds"


def test_house_line_ignores_the_next_text() -> None:
    # redact_texts joins texts with a NUL line, and a postcode in the next
    # text must not make "3 Pears" read as a house line.
    texts = ["Shopping:\n2 Apples\n3 Pears", "it's LS11 5AB"]

    results = redact_texts(texts, CONTEXT, "text/plain")

    assert results[0].text == "Shopping:\n2 Apples\n3 Pears"
    assert results[1].text == f"it's {POSTCODE}"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "https://maps.example.net/?q=14+Acacia+Avenue+LS6+2AB ok",
            "https://maps.example.net/?q=[address removed]+[postcode removed] ok",
        ),
        ("https://example.net/?q=LS6+2AB", "https://example.net/?q=[postcode removed]"),
        (
            "see www.example.net/search?q=c%2B%2B+books+2024 and 3+4 = 7",
            "see www.example.net/search?q=c%2B%2B+books+2024 and 3+4 = 7",
        ),
    ],
)
def test_address_in_link_query_removed(text: str, expected: str) -> None:
    assert redact_text(text, CONTEXT, "text/plain").text == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("postcode LS6 2 AB", "postcode [postcode removed]"),
        ("postcode L.S.6 2.A.B", "postcode [postcode removed]"),
        ("postcode LS 6 2AB ok", "postcode [postcode removed] ok"),
        ("Postcode: ls6-2ab.", "Postcode: [postcode removed]."),
        (
            "the postcode lottery is a good cause",
            "the postcode lottery is a good cause",
        ),
        ("postcode area LS covers Leeds", "postcode area LS covers Leeds"),
    ],
)
def test_postcode_separators_after_label(text: str, expected: str) -> None:
    assert redact_text(text, CONTEXT, "text/plain").text == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "the house is 14, the street is acacia avenue",
            f"the house is {ADDRESS}, the street is {ADDRESS}",
        ),
        (
            "I'm at number 14. The road is called Acacia Avenue.",
            f"I'm at number {ADDRESS}. The road is called {ADDRESS}.",
        ),
        (
            "Acacia Avenue is my road and my door says 14",
            f"{ADDRESS} is my road and my door says {ADDRESS}",
        ),
        (
            "we're number fourteen, on the avenue called Acacia",
            f"we're number {ADDRESS}, on the avenue called {ADDRESS}",
        ),
        (
            "street: Acacia Avenue, house: 14",
            f"street: {ADDRESS}, house: {ADDRESS}",
        ),
        (
            "My door number is 7.\nThe road is Church Lane.",
            f"My door number is {ADDRESS}.\nThe road is {ADDRESS}.",
        ),
        (
            "I live at no. 7. It's on Church Lane.",
            f"I live at no. {ADDRESS}. It's on {ADDRESS}.",
        ),
        (
            "Street - Mill Lane. House number - 22",
            f"Street - {ADDRESS}. House number - {ADDRESS}",
        ),
        (
            "I'm at no 22, the road's called Mill Lane",
            f"I'm at no {ADDRESS}, the road's called {ADDRESS}",
        ),
    ],
)
def test_house_number_and_street_apart_removed(text: str, expected: str) -> None:
    assert redact_text(text, CONTEXT, "text/plain").text == expected


@pytest.mark.parametrize(
    "text",
    [
        # A ranking: "number 14 in the league" numbers a team, not a house,
        # so the street name after it stays too.
        "we are number 14 in the league and the street party is on Acacia Avenue",
        "page 14",
        "room 14",
        "bus 14",
        "number 14 in the charts",
        "the shops on Acacia Avenue",
        "bus 14 goes past the shops on Acacia Avenue",
        "The number 38 bus goes down Station Road.",
        "Room number 14 is at the end of Acacia Avenue.",
        "My raffle ticket number is 117. The draw is on Station Road.",
        "The house is 14 miles from Station Road.",
        "The flat is 20% cheaper on Station Road.",
        "He wore number 9. We met on Station Road.",
        "House 3 won sports day. The school is on Station Road.",
        "I came number 3 in the race down Station Road.",
        "There are no 14 year olds on Church Lane.",
        "Coronation Street is number 1 in the ratings again.",
        # Three sentence ends apart: too far to belong together.
        "I'm at number 14. I like cake. It is sunny. The road is Acacia Avenue.",
    ],
)
def test_numbers_near_street_names_stay(text: str) -> None:
    result = clean(text)

    assert result.text == text
    assert result.findings == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "https://maps.example.com/?q=14%20Acacia%20Avenue%20Leeds",
            f"https://maps.example.com/?q={ADDRESS}%20Leeds",
        ),
        (
            "https://maps.example.com/?q=LS6%202AB",
            f"https://maps.example.com/?q={POSTCODE}",
        ),
        (
            "https://maps.example.com/?daddr=14%2C+Acacia+Avenue",
            f"https://maps.example.com/?daddr={ADDRESS}",
        ),
        (
            "see maps.example.com/?q=14%2520Station%2520Road ok",
            f"see maps.example.com/?q={ADDRESS} ok",
        ),
        (
            "https://example.com/?q=%4C%536%20%32%41%42",
            f"https://example.com/?q={POSTCODE}",
        ),
        (
            "https://maps.example.com/place/22%20Mill%20Lane,%20Leeds%20LS6%202AB/",
            f"https://maps.example.com/place/{ADDRESS},%20Leeds%20{POSTCODE}/",
        ),
    ],
)
def test_address_in_escaped_link_removed(text: str, expected: str) -> None:
    assert redact_text(text, CONTEXT, "text/plain").text == expected


@pytest.mark.parametrize(
    "text",
    [
        "https://example.com/search?q=chapter%2014%20road%20trip",
        "https://example.com/report%202024%20final.pdf",
        "https://example.com/?page=2%20of%206",
        "https://example.com/files/MP3%20list",
        "50% off at 14 shops on Acacia Avenue",
        "a+b=c and 14 + 3",
    ],
)
def test_escaped_link_near_misses_stay(text: str) -> None:
    assert redact_text(text, CONTEXT, "text/plain").text == text


def test_decoded_links_map_escapes_back() -> None:
    text = "see www.example.com/?q=14%2C+caf%C3%A9 and 3+4"

    view = decoded_links(text)

    assert view is not None
    assert view.text == "www.example.com/?q=14, café"
    comma = view.text.index(",")
    assert text[slice(*view.original_span(comma, comma + 1))] == "%2C"
    accent = view.text.index("é")
    assert text[slice(*view.original_span(accent, accent + 1))] == "%C3%A9"


def test_decoded_links_separate_links() -> None:
    text = "www.example.com/a+b and https://example.org/c%20d"

    view = decoded_links(text)

    assert view is not None
    assert view.text == f"www.example.com/a b{LINK_SEPARATOR}https://example.org/c d"


def test_decoded_links_skip_text_without_escaped_link() -> None:
    assert decoded_links("50% off, 3+4, https://example.com/plain") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("fourteen acacia avenue in leeds", f"{ADDRESS} in leeds"),
        ("twenty-one station road, leeds", f"{ADDRESS}, leeds"),
        ("i live at fourteen acacia avenue", f"i live at {ADDRESS}"),
        ("14 acacia av", ADDRESS),
        ("14 acacia av, leeds", f"{ADDRESS}, leeds"),
        ("14 acacia avenue, leeds", f"{ADDRESS}, leeds"),
    ],
)
def test_lowercase_address_is_removed(text: str, expected: str) -> None:
    assert clean(text).text == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Acacia Avenue 14", ADDRESS),
        ("Acacia Avenue 14, Leeds", f"{ADDRESS}, Leeds"),
        ("Church Street 3b near the park", f"{ADDRESS} near the park"),
        ("no. 14 acacia", ADDRESS),
        ("No. 14 Acacia, Leeds", f"{ADDRESS}, Leeds"),
        ("I live on Acacia Avenue", f"I live on {ADDRESS}"),
        (
            "she lives in acacia avenue with her mum",
            f"she lives in {ADDRESS} with her mum",
        ),
        ("my road is Acacia Avenue", f"my road is {ADDRESS}"),
        ("our street's called Station Road.", f"our street's called {ADDRESS}."),
    ],
)
def test_reordered_address_is_removed(text: str, expected: str) -> None:
    assert clean(text).text == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "14\nAcacia Avenue\nLeeds\nLS6 2AB",
            f"{ADDRESS}\n{ADDRESS}\n{ADDRESS}\n{POSTCODE}",
        ),
        (
            "Flat 2\n14 acacia avenue\nHeadingley\nleeds\nls6 2ab",
            f"{ADDRESS}\n{ADDRESS}\n{ADDRESS}\n{ADDRESS}\n{POSTCODE}",
        ),
        ("12 Acacia\nLeeds\nLS6 2AB", f"{ADDRESS}\n{ADDRESS}\n{POSTCODE}"),
        (
            "Sam\n14 Acacia Avenue\nLeeds\nLS6 2AB\n\nSee you soon",
            f"Sam\n{ADDRESS}\n{ADDRESS}\n{POSTCODE}\n\nSee you soon",
        ),
        ("14\nAcacia Avenue\nLeeds", f"{ADDRESS}\n{ADDRESS}\nLeeds"),
        # HTML with a line break after each <br> reads with blank lines.
        (
            "14\n\nAcacia Avenue\n\nLeeds\n\nLS6 2AB",
            f"{ADDRESS}\n\n{ADDRESS}\n\n{ADDRESS}\n\n{POSTCODE}",
        ),
    ],
)
def test_envelope_address_is_removed(text: str, expected: str) -> None:
    assert clean(text).text == expected


def test_envelope_address_in_html_keeps_markup() -> None:
    html = "<p>14<br>\nAcacia Avenue<br>\nLeeds<br>\nLS6 2AB</p>"

    cleaned = clean_html(html, CONTEXT)

    assert cleaned.html == (
        f"<p>{ADDRESS}<br>\n{ADDRESS}<br>\n{ADDRESS}<br>\n{POSTCODE}</p>"
    )
    kinds = [finding.kind for finding in cleaned.findings]
    assert kinds.count("street_address") == 3
    assert kinds.count("postcode") == 1


def test_lowercase_address_in_html_is_removed() -> None:
    cleaned = clean_html("<p>fourteen acacia avenue in leeds</p>", CONTEXT)

    assert cleaned.html == f"<p>{ADDRESS} in leeds</p>"


@pytest.mark.parametrize(
    "text",
    [
        "2 main roads into town",
        "we walked 3 streets over",
        "14 avenues of research",
        "chapter 14 road safety",
        "the 5 lane motorway",
        "Year 9\nMaths\nLeeds\n",
        "I live in Leeds",
        "the shops on Park Road",
        "the shops on Acacia Avenue",
        "there's one main road in town",
        "it's a one way street",
        "we need one cycle lane.",
        "I have three acacia avenue friends",
        "Chanel No. 5 is lovely",
        "She is the no. 1 seed.",
        "the no. 38 bus",
        "Coronation Street 2023 was great",
        "Station Road 5 minutes away",
        "Penny Lane 2 and Abbey Road 3 were hits",
        "Meet at Oxford Street 3.5 km away",
        "Hyde Park 2",
        "I live in Canary Wharf",
        "My cousin lives in Ladbroke Grove",
        "i live on the main road",
        "I'd love to live in Abbey Road studios",
        "Holmes lived in Baker Street.",
        "See you soon\nLeeds",
        "1\nIntroduction\n2\nMain Road",
        "Chapter 14\nRoad Safety",
    ],
)
def test_roads_in_prose_and_lists_stay(text: str) -> None:
    assert clean(text).text == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Top 5 Tips\nRow your boat on Sunday.",
            "Top 5 Tips\nRow your boat on Sunday.",
        ),
        ("Top 5 Tips\nWalk 5 km today", "Top 5 Tips\nWalk 5 km today"),
        ("Come to 12 Acacia\nAvenue. See you", f"Come to {ADDRESS}. See you"),
        ("Come to 12 Acacia\nAvenue, Leeds", f"Come to {ADDRESS}, Leeds"),
        ("Come to 12 Acacia\r\nAvenue\r\nThanks", f"Come to {ADDRESS}\r\nThanks"),
    ],
)
def test_street_type_on_next_line_must_end_it(text: str, expected: str) -> None:
    # A wrapped address leaves the street type alone on the next line, but a
    # heading over a sentence that starts with "Row" or "Walk" is no address.
    assert deliver(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "The meeting point is 53.3811 N, 1.4701 W.\nWalk 12 km on day 1",
            f"The meeting point is {ADDRESS}.\nWalk 12 km on day 1",
        ),
        (
            "The meeting point is 53.3811 N, 1.4701 W.\nWalk",
            f"The meeting point is {ADDRESS}.\nWalk",
        ),
        ("Meet at 53.3811, -1.4701. Then walk.", f"Meet at {ADDRESS}. Then walk."),
    ],
)
def test_coordinates_at_line_end_leave_next_line(text: str, expected: str) -> None:
    assert deliver(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Ratings: 8.5 Hyde Park, 9.0 Green Park",
        "Her time was 12.45 Oak Lane Run.",
    ],
)
def test_decimal_places_are_no_house_number(text: str) -> None:
    assert deliver(text) == text


@pytest.mark.parametrize(
    "text",
    [
        "Our company no. is SC123456 in Scotland.",
        "Our company number is NI123456.",
        "Company no.: SC123456",
        "Registered in Scotland, company SC123456.",
        "Our Scottish charity number is SC012345.",
        "Our LLP number was SO301234.",
    ],
)
def test_company_and_charity_numbers_stay(text: str) -> None:
    assert deliver(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The grid ref is TQ3080", f"The grid ref is {ADDRESS}"),
        ("It was SC123456 on the map", f"It was {ADDRESS} on the map"),
    ],
)
def test_grid_reference_after_is_still_removed(text: str, expected: str) -> None:
    assert deliver(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("i live at 14 acacia", f"i live at {ADDRESS}"),
        ("my address is 14 acacia lol", f"my address is {ADDRESS} lol"),
        (
            "I live at number 14.\n\nSchool was ok, we had maths and PE and I am"
            " tired.\n\nStreet is Acacia Avenue.",
            f"I live at number {ADDRESS}.\n\nSchool was ok, we had maths and PE"
            f" and I am tired.\n\nStreet is {ADDRESS}.",
        ),
    ],
)
def test_home_cue_lower_or_far_street(text: str, expected: str) -> None:
    assert deliver(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "I live at 12 now",
        "i live on 3 floors",
        "I live at 5 mins from school",
        "We are number 14 in the league.\n\nSchool was ok.\n\nThe street party"
        " is on Acacia Avenue.",
    ],
)
def test_home_cue_near_misses_stay(text: str) -> None:
    assert deliver(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("postcode ls six two ab", f"postcode {POSTCODE}"),
        ("my postcode is lima sierra 6 2 alpha bravo", f"my postcode is {POSTCODE}"),
        ("postcode: L-S-6 2-A-B", f"postcode: {POSTCODE}"),
        ("my postcode is LS6, 2AB", f"my postcode is {POSTCODE}"),
        ("L-S-6 2-A-B", POSTCODE),
        ("L.S.6 2.A.B ok", f"{POSTCODE} ok"),
    ],
)
def test_postcode_spelled_or_dashed_is_removed(text: str, expected: str) -> None:
    assert deliver(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "the postcode lottery is a big win",
        "postcode is on the form",
        "I got a-b-c 1-2-3 in the quiz",
    ],
)
def test_postcode_label_or_dashes_near_misses_stay(text: str) -> None:
    assert deliver(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("14 A c a c i a Avenue", ADDRESS),
        ("1 4 A c a c i a A v e n u e", ADDRESS),
        ("1  4  A c a c i a  A v e n u e", ADDRESS),
        ("i live at 1 4 a c a c i a a v e n u e", f"i live at {ADDRESS}"),
    ],
)
def test_address_spaced_out_is_removed(text: str, expected: str) -> None:
    assert deliver(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "A B C D E F G is the alphabet",
        "the answers are a b c d a b in that order",
        "Rows 1 2 3 4 are done, Park Road is next",
    ],
)
def test_spaced_letters_without_address_stay(text: str) -> None:
    assert deliver(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ACACIA-AVENUE no 14", ADDRESS),
        ("I LIVE AT 14 ACACIA AVENUE LEEDS", f"I LIVE AT {ADDRESS} LEEDS"),
        ("14 ACACIA-AVENUE", ADDRESS),
    ],
)
def test_address_in_capitals_is_removed(text: str, expected: str) -> None:
    assert deliver(text) == expected


@pytest.mark.parametrize(
    "text",
    ["OMG THE BBC NEWS ON PARK ROAD WAS GREAT", "WE CAME 14 IN THE LEAGUE"],
)
def test_capitals_without_address_stay(text: str) -> None:
    assert deliver(text) == text


@pytest.mark.parametrize(
    "text",
    [
        "I get the 36 Park Road bus to school.",
        "I sold 12 Baker Street prints and 5 Park Lane candles",
        "Read 84 Charing Cross Road by Helene Hanff.",
        "Harry Potter lived at 4 Privet Drive.",
    ],
)
def test_street_naming_a_thing_or_story_stays(text: str) -> None:
    assert deliver(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "I live at 14 Acacia Avenue by Leeds Uni",
            f"I live at {ADDRESS} by Leeds Uni",
        ),
        ("I live at 4 Privet Drive", f"I live at {ADDRESS}"),
    ],
)
def test_home_at_named_street_is_removed(text: str, expected: str) -> None:
    assert deliver(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("LS6 - 2AB", POSTCODE),
        ("LS6 / 2AB", POSTCODE),
        ("LS6 ... 2AB ok", f"{POSTCODE} ok"),
        ("LS6 \U0001f3e1 2AB", POSTCODE),
        ("its LS 6 2 AB", f"its {POSTCODE}"),
    ],
)
def test_postcode_cut_into_chunks_is_removed(text: str, expected: str) -> None:
    assert deliver(text) == expected


@pytest.mark.parametrize(
    "text", ["Page 2 of 3 AB tests", "Y9 - 2ND term", "A4 - 3DS", "Form 10B - 2 AB"]
)
def test_chunks_that_spell_no_postcode_stay(text: str) -> None:
    assert deliver(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("14 ... Acacia Avenue", ADDRESS),
        ("14 \U0001f3e0 Acacia Avenue", ADDRESS),
        ("fourteen, acacia avenue, leeds", f"{ADDRESS}, leeds"),
        ("14\u200bAcacia\u200bAvenue", ADDRESS),
    ],
)
def test_address_with_signs_between_or_glued_is_removed(
    text: str, expected: str
) -> None:
    assert deliver(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "It's a two-way street, so listen as well as talk.",
        "We won 3 - Park Road lost",
        "Chapter 14: Station Road is a poem",
    ],
)
def test_number_and_street_across_phrases_stay(text: str) -> None:
    assert deliver(text) == text


def test_postcode_with_cyrillic_be_for_six_is_removed() -> None:
    redaction = redact_text("I live at LS\u0431 2AB now", CONTEXT, "text/plain")

    assert redaction.text == f"I live at {POSTCODE} now"
    assert redaction.findings == [Finding("postcode", "text/plain")]


def test_postcode_with_cyrillic_palochka_for_one_is_removed() -> None:
    redaction = redact_text("SW\u04c0A \u04c0AA", CONTEXT, "text/plain")

    assert redaction.text == POSTCODE


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("it's the 14th house on Acacia Avenue", f"it's the {ADDRESS}"),
        ("the 2nd door along mill lane", f"the {ADDRESS}"),
        ("house 14 on Acacia Ave", ADDRESS),
        ("Acacia Avenue #14", ADDRESS),
        ("#14 Acacia Avenue", ADDRESS),
        ("number 14 on Acacia Avenue", ADDRESS),
        ("Acacia Avenue, no. 14", ADDRESS),
        (
            "14 Acacia (the avenue one, not the road)",
            f"{ADDRESS} (the avenue one, not the road)",
        ),
        (
            "14 Acacia Avenue sorry i mean its the 14th house on Acacia Avenue",
            f"{ADDRESS} sorry i mean its the {ADDRESS}",
        ),
    ],
)
def test_house_number_tied_by_everyday_words_is_removed(
    text: str, expected: str
) -> None:
    assert deliver(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "the shops on Park Road",
        "number 14 in the league",
        "page 14 on the Acacia Avenue map",
        "Year 14 house points",
        "room 14 on the second floor",
        "14 apples",
        "the 3rd house on the left is ours",
        "Meet at House 3 on Park Road for sports day",
        "Grade 5 (the road test) went well",
        "one, not the road",
    ],
)
def test_everyday_numbers_near_street_words_stay(text: str) -> None:
    assert deliver(text) == text


@pytest.mark.parametrize(
    "text",
    [
        "14 Acacia Aveneu",
        "14 Acacia Cresent",
        "14 acacia steeet",
        "14 Ac4c1a Av3nue",
        "14 Acacia Hil1 Road",
        "14 AcaciaAvenue",
        "14 Acacia-Avenue",
        "14-Acacia-Avenue",
        "14-acacia-avenue",
        "14 Aca\ncia Ave\nnue",
        "14 Acacia Ave-\nnue",
    ],
)
def test_street_mistyped_or_joined_is_removed(text: str) -> None:
    assert deliver(text) == ADDRESS


@pytest.mark.parametrize(
    "text",
    [
        "I saw 3 Perfect Squares in maths",
        "COVID-19-Test-Road",
        "the 2-Way-Street game",
        "a 4-lane-road",
        "I live near the\npark and the road is busy",
        "Avengers: 3 Heroes Avenge",
        "we had B2B calls on 3 Park days",
    ],
)
def test_near_misses_of_mistyped_or_joined_streets_stay(text: str) -> None:
    assert deliver(text) == text


def test_house_number_glued_to_a_kiss_is_removed() -> None:
    assert deliver("x14 Acacia Avenue, Leeds") == f"x{ADDRESS}, Leeds"


def test_house_number_glued_to_an_email_address_is_removed() -> None:
    assert deliver("mail sam.j@example.net14 Acacia Avenue") == (
        f"mail [email address removed]{ADDRESS}"
    )


def test_house_number_glued_across_html_elements_is_removed() -> None:
    html = "<span>x</span><span>14 Acacia Avenue, Leeds</span>"

    assert ADDRESS in clean_html(html, CONTEXT).html
    assert "Acacia" not in clean_html(html, CONTEXT).html


@pytest.mark.parametrize(
    "text",
    [
        "Take the A64 York Road out of town",
        "mp3 Player Street Party",
        "a2b Park Lane",
        "We listened to track14 Abbey Road yesterday",
        "Level4 Castle Hill is hard",
    ],
)
def test_numbers_glued_to_tokens_stay(text: str) -> None:
    assert deliver(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("LSsix twoAB", POSTCODE),
        ("LSsix 2AB", POSTCODE),
        ("el ess 6, 2 ay bee", POSTCODE),
        ("ell-ess-six-two-ay-bee", POSTCODE),
        ("postcode: ls (leeds) 6, then 2ab", f"postcode: {POSTCODE}"),
        ("LS6 2\U0001f170\ufe0f\U0001f171\ufe0f", POSTCODE),
        ("\u029fs6 2\u1d00\u0299", POSTCODE),
    ],
)
def test_postcode_spelled_glued_or_in_look_alikes_is_removed(
    text: str, expected: str
) -> None:
    assert deliver(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "None 2AB",
        "Gone 2 UP",
        # After "my postcode is" the district alone goes, so no cue here.
        "the bus was the LS6 and then I went home",
        "see you at 4, 2 ay bee",
        "I have 2 you see",
    ],
)
def test_near_misses_of_spelled_postcodes_stay(text: str) -> None:
    assert deliver(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I live at XIV Acacia Avenue", f"I live at {ADDRESS}"),
        ("no. xiv acacia ave", ADDRESS),
        ("XIV Acacia Avenue, Leeds", f"{ADDRESS}, Leeds"),
        ("live at No. XIV, Acacia Avenue", f"live at {ADDRESS}"),
        ("my address is number XIV Acacia Avenue", f"my address is {ADDRESS}"),
    ],
)
def test_roman_house_number_is_removed(text: str, expected: str) -> None:
    assert deliver(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Henry VIII Road is closed",
        "King George V Avenue is lovely",
        "George V Avenue",
        "the Pope Pius XII Street party",
        "Chapter IV Acacia Avenue",
        "we read chapter IV Acacia Avenue",
        "Class IX went on a trip",
        "World War II Road",
        "Rocky IV Avenue",
        # "I" alone is the pronoun, and lower-case numerals need a label.
        "I live at I Acacia Avenue",
        "at mix acacia road",
        "we di acacia road",
    ],
)
def test_roman_numerals_in_names_stay(text: str) -> None:
    assert deliver(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Leeds 6, 2AB", f"Leeds {POSTCODE}"),
        ("LS 6 then 2AB", POSTCODE),
        ("LS 6, then 2AB", POSTCODE),
        ("LS6, then 2AB", POSTCODE),
        ("LS 6 and then 2AB please", f"{POSTCODE} please"),
    ],
)
def test_comma_or_spaced_district_removed(text: str, expected: str) -> None:
    assert deliver(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Bus 6, 2AB",
        "Page 6, 2AB",
        "Year 6, 2nd term",
        "Leeds 6, Bradford 2",
        "Room B 6 at 3PM",
        "the M 1 and then 3XL",
        "flat B 6, then 3RD",
        "I got A 6 and a 2DE",
        "meet at B 6 then 2 PM",
    ],
)
def test_district_and_gap_near_misses_stay(text: str) -> None:
    assert deliver(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("14 Acacia, come round", f"{ADDRESS}, come round"),
        ("14 Acacia is my house", f"{ADDRESS} is my house"),
        ("14 Acacia - just pop round", f"{ADDRESS} - just pop round"),
        ("number 14 on acacia, come round", f"number {ADDRESS}, come round"),
        ("no. 14 acacia, drop by sometime", f"{ADDRESS}, drop by sometime"),
        ("I live at number 14 on acacia", f"I live at number {ADDRESS}"),
        ("my house is number 14 on acacia", f"my house is number {ADDRESS}"),
        ("drop by 14 Acacia", f"drop by {ADDRESS}"),
        ("our place is 14 Acacia", f"our place is {ADDRESS}"),
    ],
)
def test_house_name_with_home_cue_removed(text: str, expected: str) -> None:
    assert deliver(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "we scored 14 Acacia House points",
        "page 14 Acacia",
        "page 14 Acacia, come round at 6",
        "chapter 14 Acacia, my house",
        "number 14 on acacia",
        "14 acacia, come round",
        "at 6 Tonight, come round",
        "come round at 7 sharp",
        "bring 2 friends, come round",
        "come by 3 Monday",
        "drop by 5 pm",
        "drop by 2 Elm trees",
        "my place is 20 minutes from school",
        "number 14 on the list, come round",
        "we came number 2 on sports day",
        "the score was 3 Nil, come round",
        "I live at number 12 on weekdays",
    ],
)
def test_numbers_near_home_cues_stay(text: str) -> None:
    assert deliver(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I live on Acacia Avenue btw", f"I live on {ADDRESS} btw"),
        ("we're on Acacia Avenue", f"we're on {ADDRESS}"),
        ("I'm on Acacia Avenue now", f"I'm on {ADDRESS} now"),
        ("they're on Park Road lol", f"they're on {ADDRESS} lol"),
        ("my house is on Mill Lane", f"my house is on {ADDRESS}"),
        (
            "Acacia Avenue, the one with the blue door",
            f"{ADDRESS}, the one with the blue door",
        ),
        (
            "Mill Lane, the house with the red gate",
            f"{ADDRESS}, the house with the red gate",
        ),
    ],
)
def test_cued_street_alone_removed(text: str, expected: str) -> None:
    assert deliver(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "the shops on Park Road",
        "meet at the library on Acacia Avenue",
        "Park Road, the one with the cinema",
        "I walked down Abbey Road with the door open",
        "I'm on Abbey Road studios tour",
        "we're on Zoom at 6",
    ],
)
def test_streets_in_passing_stay(text: str) -> None:
    assert deliver(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "the bus is the LS6 one and my locker code is 2AB",
            f"the bus is the {POSTCODE} one and my locker code is {POSTCODE}",
        ),
        (
            "2AB is the end and it starts LS6",
            f"{POSTCODE} is the end and it starts {POSTCODE}",
        ),
        ("my postcode starts LS6", f"my postcode starts {POSTCODE}"),
        ("my postcode starts with M1", f"my postcode starts with {POSTCODE}"),
        ("I live in LS6", f"I live in {POSTCODE}"),
        ("my area is LS6", f"my area is {POSTCODE}"),
        ("I'm in Leeds 6", f"I'm in Leeds {POSTCODE}"),
        (
            "I'm in Leeds 6, near the Arndale",
            f"I'm in Leeds {POSTCODE}, near the Arndale",
        ),
    ],
)
def test_postcode_halves_are_removed(text: str, expected: str) -> None:
    assert deliver(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "room 2AB",
        "the LS6 bus",
        "Rooms 2AB, 3DE and 4FG are free",
        "meet in room 2AB then take the M1 home",
        "I'm in Year 6",
        "I'm in Set 3 for maths",
        "we're in Leeds 6-2 up at half time",
        "I'm in Leeds 6th form",
    ],
)
def test_lone_postcode_halves_stay(text: str) -> None:
    assert deliver(text) == text


@pytest.mark.parametrize(
    "text",
    [
        "a94a8fe Switch basket totals to Decimal",
        "e83f5d9",
        "c81a3fe Fix VAT rounding on basket",
        "Could you squash c81a3fe into d2f0b9a?",
        "Re: c81a3fe Fix VAT rounding on basket",
        "Reverted E83F5D9 after the merge",
        "A94A8FE and B12C3D4",
    ],
)
def test_short_commit_hashes_stay(text: str) -> None:
    assert deliver(text) == text


def test_commit_hash_in_html_pre_stays() -> None:
    markup = "<pre>a94a8fe Switch basket totals to Decimal</pre>"
    assert redact_text(markup, CONTEXT, "text/html").text == markup


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("D02 X285", POSTCODE),
        ("d02x285 is my eircode", f"{POSTCODE} is my eircode"),
        ("d02af30 is my eircode", f"{POSTCODE} is my eircode"),
        ("my eircode is D02AF30", f"my eircode is {POSTCODE}"),
        ("D02AF30", POSTCODE),
        ("d02 af30", POSTCODE),
    ],
)
def test_hex_shaped_eircodes_removed(text: str, expected: str) -> None:
    assert deliver(text) == expected
