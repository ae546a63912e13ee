"""`samen030 import-members --partner P FILE.csv [--dry-run] [--report refused.csv]`: a member list into
the partner's members database itself (as `samen030 serve members` opens it), all or nothing.

Exit status: 0 imported (or all valid in a dry run), 1 rows refused (nothing written), 2 the file cannot
be read. What is printed names rows, columns and reasons, never a value: the values of refused rows go
only to the --report file, which is personal data like the import file itself."""
import sys
from pathlib import Path


def add_arguments(parser) -> None:
    parser.add_argument("--partner", required=True)
    parser.add_argument("file", type=Path, help="CSV, UTF-8, ';' or ',' (columns: services/members/README.md)")
    parser.add_argument("--dry-run", action="store_true", help="only validate; write nothing")
    parser.add_argument("--report", type=Path, help="also write the refused rows, with their values, to this CSV file")
    parser.add_argument("--user", default="import", help="who registered the members (default: import)")


def run(args) -> None:
    from samen030.kernel.config import load_federation
    from samen030.kernel.database import open_database
    from samen030.progress import ProgressBar

    from . import importing
    from .tables import metadata
    load_federation().partner(args.partner)
    try:
        table = importing.read_file(args.file)
    except importing.UnreadableFile as exc:
        print(f"samen030 import-members: {exc}", file=sys.stderr)
        sys.exit(2)
    db = open_database(args.partner, "members", metadata)
    try:
        with ProgressBar() as progress:
            result = importing.import_members(db, args.partner, table, args.user, dry_run=args.dry_run,
                                              progress=progress)
    finally:
        db.engine.dispose()
    for refusal in result.refusals:
        print(refusal)
    print(summary(result))
    if args.report:
        importing.write_report(result.refusals, args.report, table.delimiter)
        print(f"Rapport (report): {args.report}")
    if result.refusals:
        sys.exit(1)


def summary(result) -> str:
    counts = f"{result.valid} leden (members), {result.consents} toestemmingen (consents)"
    if result.refusals:
        lines = [f"Geweigerd: {len(result.refusals)} fouten in {result.refused_rows} van {result.rows} rijen; "
                 f"er is niets geïmporteerd (refused: {len(result.refusals)} errors in {result.refused_rows} of "
                 f"{result.rows} rows; nothing was imported)."]
    elif result.dry_run:
        lines = [f"Alles is geldig (all valid); proefrun, niets geschreven (dry run, nothing written): {counts}."]
    else:
        lines = [f"Geïmporteerd (imported): {counts}."]
    if result.unknown_columns:
        lines.append(f"Kolommen niet gelezen (columns not read): {', '.join(result.unknown_columns)}.")
    return "\n".join(lines)
