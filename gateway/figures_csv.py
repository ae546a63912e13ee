"""The help-request figures as one CSV table for a spreadsheet: long format (one value per row: group,
code, name, measure, description, value), so a pivot table shows any grouping by any measure.
As Dutch Excel opens it with a double click: UTF-8 with a byte-order mark, `;` between fields,
decimal comma; an unknown median is an empty cell."""
import csv
import io

from .request_figures import GROUPS, MEASURES

HEADER = ["group", "code", "name", "measure", "description", "value"]
REFERRAL_MEASURES = {
    "sent": "doorverwijzingen verstuurd (referrals sent)",
    "accepted": "aangenomen (accepted)",
    "declined": "afgewezen (declined)",
    "pending": "nog zonder antwoord (awaiting an answer)",
}


def figures_csv(figures: dict) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADER)
    for measure, description in MEASURES.items():
        writer.writerow(["total", "", _whole_city(figures), measure, description, _cell(figures["totals"][measure])])
    for group in GROUPS:
        for row in figures[f"by_{group}"]:
            writer.writerows([group, row["code"], row["name"], measure, description, _cell(row[measure])]
                             for measure, description in MEASURES.items())
    for row in figures["referrals"]:
        writer.writerows(["referrals", f"{row['from_partner']} → {row['to_partner']}",
                          f"{row['from_name']} → {row['to_name']}", measure, description, _cell(row[measure])]
                         for measure, description in REFERRAL_MEASURES.items())
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def filename(figures: dict) -> str:
    period = figures["period"]
    return f"hulpvragen-{period['from'] or 'begin'}-{period['until'] or 'nu'}.csv"


def _whole_city(figures: dict) -> str:
    """The totals' name says what they cover: the period and the filters."""
    period = figures["period"]
    text = f"Utrecht, {period['from'] or 'vanaf het begin'} t/m {period['until'] or 'nu'}"
    return text + "".join(f", {name} {value}" for name, value in figures["filters"].items())


def _cell(value) -> str:
    if value is None:
        return ""
    return str(value).replace(".", ",") if isinstance(value, float) else str(value)
