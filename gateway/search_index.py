"""The read model's word index: the projector keeps each active offer's search terms (kernel/dutch.py),
the city-wide search reads them.

A query word matches a stored term that is the same, or — for words of 4 letters or more — a term of
a compound that begins or ends with it when the rest is long enough to be a word of its own:
"buurt" and "huis" find "buurthuis", "mantelzorg" finds "mantelzorgers", but "huis" does not find
"thuis" nor "zorg" "bezorgen". Such partial matches rank below whole-word ones."""
from collections import Counter
from functools import cache

from sqlalchemy import bindparam, case, delete, distinct, exists, func, insert, literal_column, select, text, union_all
from sqlalchemy.engine import Connection
from sqlalchemy.schema import CreateIndex

from samen030.kernel import dutch
from samen030.kernel.database import Database, delete_in

from .readmodel import FACETS_INDEX, offer_terms, offers, opening_hours, search_index_version

SEARCHED_FIELDS = ("name", "description")
FILTERS = ("wijk", "category", "buurt", "partner")
FACETS = ("category", "wijk")
MAX_WORDS = 9  # the score keeps one decimal digit per count
PARTIAL_MIN = 4
PREFIX_REST = 2
SUFFIX_REST = 3


def search_words(q: str) -> list[str]:
    """The distinct terms of a query, in order."""
    return list(dict.fromkeys(dutch.terms(q)))


def index_offers(conn: Connection, versions: list[dict]) -> None:
    """Replace the terms of these offers (one version each) with those of these versions of them."""
    delete_in(conn, offer_terms, offer_terms.c.offer_id, [offer["id"] for offer in versions])
    if rows := [row for offer in versions for row in term_rows(offer)]:
        conn.execute(insert(offer_terms), rows)


def term_rows(offer) -> list[dict]:
    """Only active offers have terms: no search shows another."""
    if offer["status"] != "active":
        return []
    copied = {"offer_id": offer["id"], **{name: offer[name] for name in FILTERS}}
    return [{**copied, "field": field, "term": term, "reversed": term[::-1]}
            for field in SEARCHED_FIELDS for term in dict.fromkeys(dutch.terms(offer[field]))]


def ensure_current(db: Database, batch: int = 2000) -> None:
    """Prepare a read model made before the search, or whose terms came from another version of
    kernel/dutch.py: add the search's index on offers, and build the terms anew."""
    with db.begin() as conn:
        if not db.is_sqlite:  # writers wait, a second process then finds the work done; the projector's
            # order (offers, then terms) so that neither waits for the other while holding what it needs
            tables = [f'"{db.schema}".{t.name}' if db.schema else t.name for t in (offers, offer_terms)]
            conn.execute(text(f"LOCK TABLE {', '.join(tables)} IN EXCLUSIVE MODE"))
        conn.execute(CreateIndex(FACETS_INDEX, if_not_exists=True))  # create_all adds no index to a table
        if _stored_version(conn) == dutch.VERSION:
            return
        conn.execute(delete(offer_terms))
        rows = []
        for offer in conn.execute(select(offers).where(offers.c.status == "active")).mappings():
            rows += term_rows(offer)
            if len(rows) >= batch:
                conn.execute(insert(offer_terms), rows)
                rows = []
        if rows:
            conn.execute(insert(offer_terms), rows)
        conn.execute(delete(search_index_version).where(search_index_version.c.name == offer_terms.name))
        conn.execute(insert(search_index_version).values(name=offer_terms.name, version=dutch.VERSION))


def _stored_version(conn: Connection) -> int | None:
    return conn.execute(select(search_index_version.c.version)
                        .where(search_index_version.c.name == offer_terms.name)).scalar_one_or_none()


def search(conn: Connection, words: list[str], filters: dict, page: int, per_page: int):
    """One page of the active offers matching any of `words` (all of them when there are none) and
    every filter, best first; the number of matches; and per facet, the matches of each value."""
    partial = tuple(_matches_partially(word) for word in words)
    page_query, facet_query = _queries(partial, tuple(sorted(filters)))
    params = {**filters, **_word_params(words)}
    total, facets = _facets(conn.execute(facet_query, params))
    items = []
    if (page - 1) * per_page < total:
        rows = conn.execute(page_query, {**params, "limit": per_page, "offset": (page - 1) * per_page})
        keys = list(rows.keys())
        items = [dict(zip(keys, row)) for row in rows]
    return items, total, facets


def _facets(rows) -> tuple[int, dict]:
    """The total and the facets from the number of matches per (category, wijk)."""
    total, counts = 0, {facet: Counter() for facet in FACETS}
    for category, wijk, count in rows:
        counts["category"][category] += count
        counts["wijk"][wijk] += count
        total += count
    return total, {facet: dict(sorted(counter.items())) for facet, counter in counts.items()}


def _matches_partially(word: str) -> bool:
    return len(word) >= PARTIAL_MIN and word.isascii()


def _word_params(words: list[str]) -> dict:
    params = {}
    for i, word in enumerate(words):
        params[f"w{i}"] = word
        if _matches_partially(word):
            backwards = word[::-1]
            params.update({f"w{i}_end": _after_prefix(word), f"w{i}_prefixed": len(word) + PREFIX_REST,
                           f"r{i}": backwards, f"r{i}_end": _after_prefix(backwards),
                           f"w{i}_suffixed": len(word) + SUFFIX_REST})
    return params


def _after_prefix(prefix: str) -> str:
    """The first string after every string that starts with `prefix` (ASCII)."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


@cache
def _queries(partial: tuple[bool, ...], filter_names: tuple[str, ...]):
    """The page and facet statements for a number of query words (whether each may match partially)
    and a combination of filters, built once."""
    if not partial:
        return _browse_queries(filter_names)
    hits = _hits(partial, filter_names)
    score = (100 * func.count(distinct(hits.c.word))
             + 10 * func.count(distinct(case((hits.c.field == "name", hits.c.word))))
             + func.count(distinct(case((hits.c.whole == 1, hits.c.word)))))
    scored = select(hits.c.offer_id, score.label("score")).group_by(hits.c.offer_id).subquery("scored")
    page = (select(offers, scored.c.score).join_from(scored, offers, offers.c.id == scored.c.offer_id)
            .order_by(scored.c.score.desc(), offers.c.name, offers.c.id)
            .limit(bindparam("limit")).offset(bindparam("offset")))
    facets = (select(hits.c.category, hits.c.wijk, func.count(distinct(hits.c.offer_id)))
              .group_by(hits.c.category, hits.c.wijk))
    return page, facets


def _hits(partial: tuple[bool, ...], filter_names: tuple[str, ...]):
    """A row per term that matches a query word, of offers that pass the filters: which word, in which
    field, and whether as a whole term."""
    t = offer_terms.c
    filtered = [t[name] == bindparam(name) for name in filter_names if name in FILTERS]
    if conditions := offer_conditions(filter_names):
        filtered.append(t.offer_id.in_(select(offers.c.id).where(*conditions)))
    branches = []
    for i, may_be_partial in enumerate(partial):
        columns = (t.offer_id, t.category, t.wijk, t.field, literal_column(str(i)).label("word"))
        branches.append(select(*columns, literal_column("1").label("whole"))
                        .where(t.term == bindparam(f"w{i}"), *filtered))
        if may_be_partial:
            branches.append(select(*columns, literal_column("0"))
                            .where(t.term > bindparam(f"w{i}"), t.term < bindparam(f"w{i}_end"),
                                   func.length(t.term) >= bindparam(f"w{i}_prefixed"), *filtered))
            branches.append(select(*columns, literal_column("0"))
                            .where(t.reversed > bindparam(f"r{i}"), t.reversed < bindparam(f"r{i}_end"),
                                   func.length(t.reversed) >= bindparam(f"w{i}_suffixed"), *filtered))
    return union_all(*branches).subquery("hits")


def offer_conditions(filter_names: tuple[str, ...]) -> list:
    """Filters on what only the offers table knows: a language spoken, free of charge, open at a
    weekday and time (bound as `language` = ",xx,", `free`, `open_day` and `open_time`)."""
    conditions = []
    if "language" in filter_names:
        conditions.append(("," + offers.c.languages + ",").contains(bindparam("language")))
    if "free" in filter_names:
        conditions.append(offers.c.free == bindparam("free"))
    if "open_day" in filter_names:
        h = opening_hours.c
        conditions.append(exists().where(h.offer_id == offers.c.id, h.day == bindparam("open_day"),
                                         h.opens_at <= bindparam("open_time"), h.closes_at > bindparam("open_time")))
    return conditions


def _browse_queries(filter_names: tuple[str, ...]):
    """Without query words: every active offer that passes the filters, in name order."""
    where = ([offers.c.status == "active"] + [offers.c[name] == bindparam(name) for name in filter_names if name in FILTERS]
             + offer_conditions(filter_names))
    page = (select(offers, literal_column("0").label("score")).where(*where)
            .order_by(offers.c.name, offers.c.id).limit(bindparam("limit")).offset(bindparam("offset")))
    facets = (select(offers.c.category, offers.c.wijk, func.count()).where(*where)
              .group_by(offers.c.category, offers.c.wijk))
    return page, facets
