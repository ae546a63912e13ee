import pytest

from samen030.kernel.dutch import MAX_TERM_LENGTH, terms


@pytest.mark.parametrize("one, other", [
    ("buurthuis", "Buurthuizen"), ("huizen", "huis"), ("taalcafés", "Taalcafé"), ("maaltijden", "maaltijd"),
    ("straten", "straat"), ("brieven", "brief"), ("kinderen", "kind"), ("pleegkinderen", "pleegkind"),
    ("cliënt", "client"), ("CAFÉ", "cafe"), ("Cliëntondersteuning", "clientondersteuning"),
    ("mensen", "mens"), ("fietsen", "fiets"), ("schulden", "schuld"), ("dagen", "dag"), ("werkdagen", "werkdag"),
    ("steden", "stad"), ("mannen", "man"), ("lessen", "les"), ("taallessen", "taalles"), ("cursussen", "cursus"),
    ("jongens", "jongen"), ("tafels", "tafel"), ("leraars", "leraar"), ("vrijwilligers", "vrijwilliger"),
    ("meisjes", "meisje"), ("huisje", "huis"), ("boekjes", "boek"), ("ideeën", "idee"),
    ("categorieën", "categorie"), ("mogelijkheden", "mogelijkheid"), ("activiteiten", "activiteit"),
    ("gebeurtenissen", "gebeurtenis"), ("uren", "uur"), ("reizen", "reis"), ("lezen", "lees"), ("scholen", "school"),
    ("wandelingen", "wandeling"), ("wandelen", "wandel"), ("woning", "wonen"), ("begeleiding", "begeleiden"),
    ("ondersteuning", "ondersteunen"), ("keukens", "keuken"), ("auto's", "auto"),
])
def test_word_forms_give_the_same_term(one, other):
    assert terms(one) == terms(other)
    assert len(terms(one)) == 1


@pytest.mark.parametrize("one, other", [
    ("bomen", "bommen"), ("boten", "botten"), ("manen", "mannen"),  # trees, boats, moons are not bombs, bones, men
    ("gezondheid", "zon"), ("begeleiding", "beleid"), ("gezin", "zin"), ("gebied", "bieden"),  # ge- stays
    ("zone", "zon"), ("wandeling", "wand"), ("thuis", "huis"), ("leden", "leed"),
    ("mens", "men"), ("kers", "keer"), ("koers", "koe"), ("grens", "gren"), ("adres", "adre"), ("taalles", "taal"),
])
def test_different_words_stay_apart(one, other):
    assert terms(one) != terms(other)


def test_terms_keep_order_and_repeats_and_drop_stopwords():
    assert terms("Hulp bij de brieven, en nog meer hulp") == ["hulp", "brief", "hulp"]
    assert terms("De en het") == []


def test_words_are_split_on_anything_but_letters_and_digits():
    assert terms("Kanaleneiland-Noord: 55-plussers\x00taal\x07café") == [
        "kanaleneiland", "noord", "55", "plusser", "taal", "cafe"]
    assert terms("ĳs, Straße") == ["ijs", "strasse"]


def test_any_text_gives_bounded_terms():
    assert terms("") == [] and terms("!?…  \n") == []
    assert terms("Привет мир") == ["привет", "мир"]
    assert terms("x" * 1000) == ["x" * MAX_TERM_LENGTH]
    assert terms("a b c") == []  # one-letter words, such as the s of "auto's", are no terms
