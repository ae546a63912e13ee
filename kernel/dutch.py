"""Dutch text as search terms: lower case, accents off, and the common inflections folded onto one
stem, so that "Buurthuizen" and "buurthuis", "Cliënten" and "client" give the same term.

A light stemmer of our own rather than Snowball's: its Dutch stemmer over-stems ("gezondheid" → "zon",
"begeleiding" → "beleid", "genieten" → "niet") and misses plain plurals ("mens"/"mensen",
"fiets"/"fietsen", "schuld"/"schulden"); the older dutch_porter one misses "huis"/"huizen" and
"brief"/"brieven". Here only inflection is undone — plurals in -en, -s and -eren, diminutives,
verb forms in -en and nouns in -ing — never derivation, so words of different meaning stay apart."""
import re
import unicodedata

VERSION = 1  # raise whenever terms() changes: a search index built with another version is rebuilt
MAX_TERM_LENGTH = 40

STOPWORDS = frozenset("""
    aan al alle als bij dan dat de deze die dit door een en er geen het hier hij hoe hun ik in is je
    jij jou jouw jullie kan kunnen maar me meer met mij mijn na naar niet nog nu of om ons onze ook op
    over per te tot u uit uw van voor waar wat we wel welke wie wij wil worden wordt ze zich zij zijn
    zo zonder
""".split())

# Plurals whose singular is not the regular one, matched as word endings so compounds follow
# ("pleegkinderen", "werkdagen"). Most lengthen a short vowel: dag/dagen against straat/straten.
IRREGULAR = {
    "kinderen": "kind", "eieren": "ei", "liederen": "lied", "bladeren": "blad", "kalveren": "kalf",
    "lammeren": "lam", "runderen": "rund", "volkeren": "volk", "beenderen": "been",
    "heden": "heid", "dagen": "dag", "wegen": "weg", "baden": "bad", "paden": "pad", "glazen": "glas",
    "goden": "god", "gaten": "gat", "hoven": "hof", "sloten": "slot", "spelen": "spel", "daken": "dak",
    "vaten": "vat", "bevelen": "bevel", "gebreken": "gebrek", "verboden": "verbod", "steden": "stad",
    "schepen": "schip", "leden": "lid", "smeden": "smid",
}
IRREGULAR_PLURALS = tuple(IRREGULAR)
# Singulars in -es that a plural -s rule would otherwise cut ("taalles", "huisadres").
SINGULAR_ES = ("les", "adres", "proces", "succes", "exces")

VOWELS = "aeiouy"
WORD = re.compile(r"[^\W_]+")


def terms(text: str) -> list[str]:
    """The search terms of a text, in order and with repeats."""
    return [stem(word)[:MAX_TERM_LENGTH] for word in words(text) if word not in STOPWORDS]


def words(text: str) -> list[str]:
    """Lower-case words without accents; one-letter words (the "s" of "auto's") are dropped."""
    return [word for word in WORD.findall(fold(text)) if len(word) > 1]


def fold(text: str) -> str:
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def stem(word: str) -> str:
    if not word.isalpha() or not word.isascii():
        return word
    if word.endswith(IRREGULAR_PLURALS):
        plural = next(p for p in IRREGULAR_PLURALS if word.endswith(p))
        return word[: -len(plural)] + IRREGULAR[plural]
    word = _without_plural_s(word)
    if word.endswith("je") and len(word) >= 5:
        return word[:-2]
    if word.endswith("en") and len(word) >= 4 and _takes_en(word[:-2]):
        word = _spelled_as_stem(word[:-2])
    if word.endswith("ing") and len(word) >= 6 and _has_vowel(word[:-3]):
        word = _spelled_as_stem(word[:-3])
    return word


def _without_plural_s(word: str) -> str:
    """Plurals in -s: after an unstressed -el, -em, -en, -er, after -aar, -je and -e ("tafels",
    "jongens", "leraars", "meisjes", "cafés"); "mens", "kers" and "koers" are singular."""
    if not word.endswith("s") or len(word) < 5 or word.endswith(SINGULAR_ES):
        return word
    base = word[:-1]
    if base.endswith("je"):
        return base
    for ending in ("el", "em", "en", "er", "aar", "e"):
        if base.endswith(ending):
            before = base[: -len(ending)]
            schwa = before[-1:] not in VOWELS or (ending == "e" and before.endswith("i") and len(base) >= 5)
            return base if schwa and _has_vowel(before) else word
    return word


def _takes_en(base: str) -> bool:
    """Whether -en is an ending here: "huizen", "ideeën", but not "doen" or "tien"."""
    return _has_vowel(base) and (base[-1] not in VOWELS or base.endswith(("ee", "ie")))


def _spelled_as_stem(base: str) -> str:
    """Undo the spelling changes of an ending: "mannen" → "man", "straten" → "straat",
    "brieven" → "brief", "huizen" → "huis"."""
    if len(base) >= 3 and base[-1] == base[-2] and base[-1] not in VOWELS:
        return base[:-1]
    if _open_syllable_vowel(base):
        base = base[:-1] + base[-2] + base[-1]
    return base[:-1] + {"v": "f", "z": "s"}.get(base[-1], base[-1])


def _open_syllable_vowel(base: str) -> bool:
    """A single a, o, u (or an e in a one-syllable stem, where it is not a schwa) before the last
    consonant was long in the open syllable: "straten", "bomen", "uren", "leren" — not "wandelen"."""
    if len(base) < 2 or base[-1] in VOWELS or base[-2] not in "aeou":
        return False
    if len(base) >= 3 and base[-3] in VOWELS:
        return False
    return base[-2] != "e" or _syllables(base) == 1


def _syllables(word: str) -> int:
    return len(re.findall(f"[{VOWELS}]+", word))


def _has_vowel(text: str) -> bool:
    return any(c in VOWELS for c in text)
