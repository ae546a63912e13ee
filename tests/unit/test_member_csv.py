"""Reading a member list as administrations export it: headers, separators, dates, availability, buurten."""
import pytest

from samen030.members.member_csv import (CellError, UnreadableFile, member_fields, normalise_header,
                                         parse_availability, parse_date, parse_days, parse_moment, read_table,
                                         resolve_buurt, sniff_delimiter, split_list)


def window(byday, start, end):
    return {"byday": byday, "from": start, "until": end}


@pytest.mark.parametrize("text,expected", [
    ("di 13:30-17:00; do 13:30-17:00", [window("TU", "13:30", "17:00"), window("TH", "13:30", "17:00")]),
    ("di en do 13:30 - 17:00", [window("TU,TH", "13:30", "17:00")]),
    ("do, di: 9-12", [window("TU,TH", "09:00", "12:00")]),
    ("ma t/m vr 9.00 tot 12.30 uur", [window("MO,TU,WE,TH,FR", "09:00", "12:30")]),
    ("ma-wo 19:00-21:00 | weekend 10-14", [window("MO,TU,WE", "19:00", "21:00"), window("SA,SU", "10:00", "14:00")]),
    ("Dinsdag 13:30–17:00\nZaterdag 10:00-12:00", [window("TU", "13:30", "17:00"), window("SA", "10:00", "12:00")]),
    ("Tue/Thu 13:30-17:00", [window("TU,TH", "13:30", "17:00")]),
    ("werkdagen 8:30-9:30", [window("MO,TU,WE,TH,FR", "08:30", "09:30")]),
    ("vr-ma 10-11", [window("MO,FR,SA,SU", "10:00", "11:00")]),
    ("", []), (" ; ", []),
])
def test_availability(text, expected):
    assert parse_availability(text) == expected


@pytest.mark.parametrize("text", ["maandagochtend", "13:30-17:00", "di middag", "xx 9-12", "di 9-12, 13-17"])
def test_availability_that_cannot_be_read(text):
    with pytest.raises(CellError):
        parse_availability(text)


def test_times_out_of_range_are_left_to_the_schema():
    """The API's AvailabilitySchema refuses 25:00 and an end before the start, with its own message."""
    assert parse_availability("di 17:00-25:00") == [window("TU", "17:00", "25:00")]
    assert parse_days("zo, za") == ["SA", "SU"]


@pytest.mark.parametrize("text,expected", [
    ("09-03-1971", "1971-03-09"), ("9-3-1971", "1971-03-09"), ("09/03/1971", "1971-03-09"),
    ("9.3.1971", "1971-03-09"), ("1971-03-09", "1971-03-09"), (" 1971-3-9 ", "1971-03-09"),
    ("29-02-2024", "2024-02-29"),
])
def test_dates(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize("text,reason", [("31-02-1980", "bestaat niet"), ("29-02-2023", "bestaat niet"),
                                         ("9-3-71", "dd-mm-jjjj"), ("maart 1971", "dd-mm-jjjj"),
                                         ("1971/03/09", "dd-mm-jjjj"), ("19710309", "dd-mm-jjjj")])
def test_dates_refused(text, reason):
    with pytest.raises(CellError, match=reason):
        parse_date(text)


def test_moments():
    assert parse_moment("01-03-2024") == "2024-03-01T00:00"
    assert parse_moment("01-03-2024 9.30") == "2024-03-01T09:30"
    assert parse_moment("2024-03-01T14:30:15") == "2024-03-01T14:30:15"
    with pytest.raises(CellError):
        parse_moment("gisteren")


@pytest.mark.parametrize("title,expected", [
    ("\ufeffE-mail", "e_mail"), (" Lid sinds ", "lid_sinds"), ("Geboorte-datum", "geboorte_datum"),
    ("Coördinator", "coordinator"), ("membership_number", "membership_number"), ("Telefoon (mobiel)", "telefoon_mobiel"),
])
def test_header_normalisation(title, expected):
    assert normalise_header(title) == expected


def test_delimiters():
    assert sniff_delimiter("naam;e-mail;lidnummer\nJan;j@x.nl;1") == ";"
    assert sniff_delimiter("naam,email,lidnummer\n") == ","
    assert sniff_delimiter("naam\temail\n") == "\t"


def test_dutch_and_english_headers_give_the_same_fields():
    dutch = read_table("\ufeffLidnummer;Naam;Soort;E-mail;Lid sinds;Beschikbaarheid;IBAN\r\n"
                       'KK-1;Jan;bewoner;j@example.nl;01-02-2020;"di 9-12; do 9-12";NL00\r\n;;;;;;\r\n'.encode())
    english = read_table(b"membership_number,name,kind,email,member_since,availability,IBAN\n"
                         b'KK-1,Jan,bewoner,j@example.nl,01-02-2020,"di 9-12; do 9-12",NL00\n')
    assert dutch.rows == english.rows == [(2, {"membership_number": "KK-1", "name": "Jan", "kind": "bewoner",
                                               "email": "j@example.nl", "member_since": "01-02-2020",
                                               "availability": "di 9-12; do 9-12"})]
    assert (dutch.delimiter, english.delimiter, dutch.unknown) == (";", ",", ["IBAN"])
    assert (dutch.column("email"), dutch.column("type"), english.column("email")) == ("E-mail", "Soort", "email")


@pytest.mark.parametrize("data,reason", [
    ("lidnummer;naam;soort\nKK-1;José;bewoner\n".encode("latin-1"), "CSV UTF-8"),
    (b"", "leeg"),
    (b"lidnummer;soort\n", "kolom ontbreekt: naam of name"),
    (b"naam;lidnummer\n", "soort of kind"),
    (b"naam;name;lidnummer;soort\n", "'naam' en 'name'"),
])
def test_files_that_cannot_be_read(data, reason):
    with pytest.raises(UnreadableFile, match=reason):
        read_table(data, "leden.csv")


def test_buurten():
    assert resolve_buurt("BU03440832") == resolve_buurt("bu03440832") == resolve_buurt("03440832") == "BU03440832"
    assert resolve_buurt("Kanaleneiland-Noord") == resolve_buurt("kanaleneiland noord") == "BU03440832"
    assert resolve_buurt("Welgelegen, Den Hommel") == "BU03440111"
    assert resolve_buurt("Egelantierstraat, Mariendaalstraat e.o.") == resolve_buurt(
        "Egelantierstraat, Mariëndaalstraat e.o.")
    assert resolve_buurt("") is None
    assert resolve_buurt("BU99999999") == "BU99999999"  # an unknown code is the schema's to refuse
    for text, reason in [("3527 TK", "postcode"), ("3527tk", "postcode"), ("3527", "postcode"),
                         ("Zuidwest", "wijk"), ("Wijk 08 Zuidwest", "wijk"), ("WK034408", "wijk"),
                         ("Nergenshuizen", "Onbekende buurt")]:
        with pytest.raises(CellError, match=reason):
            resolve_buurt(text)


def test_lists():
    assert split_list("nl, ar") == split_list("nl ar") == split_list("nl;ar") == split_list(" nl/ar ") == ["nl", "ar"]


def test_member_fields():
    parsed = member_fields({"membership_number": "1", "first_name": "Jan", "infix": "van der", "last_name": "Berg",
                            "kind": "Volunteer", "role": "Vrijwilliger", "languages": "Nederlands, Arabisch tr",
                            "skills": "Taal klussen", "postcode": "3527tk", "membership_status": "Member",
                            "consents": "contact-email, contact_email share_for_referral", "email": ""},
                           "2024-05-01T10:00:00")
    assert parsed.problems == []
    assert parsed.fields == {"membership_number": "1", "name": "Jan van der Berg", "kind": "vrijwilliger",
                             "type": "person", "role": "volunteer", "languages": ["nl", "ar", "tr"],
                             "skills": ["taal", "klussen"], "postcode": "3527TK", "membership_status": "lid"}
    assert parsed.consents == [
        {"purpose": "contact_email", "how": "schriftelijk", "given_at": "2024-05-01T10:00:00"},
        {"purpose": "share_for_referral", "how": "schriftelijk", "given_at": "2024-05-01T10:00:00"}]


def test_member_fields_with_cells_that_cannot_be_read():
    parsed = member_fields({"name": "Stichting X", "kind": "organisatie", "birth_date": "gisteren",
                            "buurt": "3527 TK", "consents": "contact_email", "consents_how": "Mondeling",
                            "consents_given_at": "vorig jaar"}, "2024-05-01T10:00:00")
    assert [name for name, _ in parsed.problems] == ["birth_date", "buurt", "consents_given_at"]
    assert parsed.fields == {"name": "Stichting X", "kind": "organisatie", "type": "organisation"}
    assert parsed.consents == [{"purpose": "contact_email", "how": "mondeling", "given_at": "2024-05-01T10:00:00"}]
