"""`samen030`: start any partner's service, the gateway, any worker, or the whole local federation."""
import argparse
import asyncio
import os
import sys
from pathlib import Path

from samen030.kernel import keys
from samen030.kernel.config import ConfigError, load_federation, port_of, var_dir
from samen030.kernel.nats_users import ADMIN_USER, GATEWAY_DURABLE, GATEWAY_USER, NOTIFIER_DURABLE, NOTIFIER_USER
from samen030.kernel.natsserver import credentials_url


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="samen030", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="serve one service of one partner over HTTP")
    serve.add_argument("service", choices=_services())
    serve.add_argument("--partner", required=True)
    _http_options(serve)

    node = commands.add_parser("node", help="a partner's whole node in one process: its services, relay, "
                                            "follow-up and retention")
    node.add_argument("--partner", required=True)
    node.add_argument("--threads", type=int, default=int(os.environ.get("SAMEN030_THREADS", 8)))
    city = commands.add_parser("city", help="the city's hub in one process: gateway, projector and notifier")
    city.add_argument("--threads", type=int, default=int(os.environ.get("SAMEN030_THREADS", 16)))
    city.add_argument("--mail-sink", action="store_true", help="also keep every mail in var/mail (the local SMTP sink)")

    gateway = commands.add_parser("gateway", help="serve the gateway's HTTP API")
    _http_options(gateway)

    relay = commands.add_parser("relay", help="publish a partner's outboxes to its stream")
    relay.add_argument("--partner", required=True)
    relay.add_argument("--service", action="append", choices=_services(),
                       help="repeatable; default: every service the partner runs")

    followup = commands.add_parser("followup", help="a partner's follow-up: answers to its referrals, overdue reminders")
    followup.add_argument("--partner", required=True)
    retention = commands.add_parser("retention", help="anonymise requests closed and members departed longer ago "
                                                      "than the retention periods (SAMEN030_RETENTION_*_DAYS)")
    retention.add_argument("--partner", required=True, action="append", help="repeatable")
    retention.add_argument("--dry-run", action="store_true", help="only count what would be anonymised")
    retention.add_argument("--every", type=float, metavar="SECONDS", help="keep running, once every SECONDS")
    notifier = commands.add_parser("notifier", help="tell partners' coordinators about referrals and overdue requests")
    sink = commands.add_parser("smtp-sink", help="a local SMTP server keeping every mail in var/mail/")
    sink.add_argument("--port", type=int)
    sink.add_argument("--directory", type=Path)
    notes = commands.add_parser("notifications", help="the notifier's deliveries (all, or --failed); --retry failed ones")
    notes.add_argument("--failed", action="store_true")
    notes.add_argument("--retry", nargs="*", metavar="ID", help="these failed deliveries (or all) once more")
    notes.add_argument("--webhook-secret", metavar="PARTNER", help="print the partner's webhook secret to hand over")
    projector = commands.add_parser("projector", help="keep the gateway's read model up to date from all partners")
    parked = commands.add_parser("parked", help="events a consumer gave up on after SAMEN030_MAX_DELIVER tries; "
                                                "--retry applies them again")
    parked.add_argument("--consumer", required=True, choices=[GATEWAY_DURABLE, NOTIFIER_DURABLE, "followup"])
    parked.add_argument("--partner", help="whose follow-up worker (with --consumer followup)")
    parked.add_argument("--retry", nargs="*", metavar="EVENT_ID", help="these parked events (or all) once more")

    nats = commands.add_parser("nats", help="run the embedded nats-server with JetStream")
    nats.add_argument("--port", type=int)
    nats.add_argument("--monitor-port", type=int, help="nats-server's own monitoring (JSON) on this port")
    streams = commands.add_parser("streams", help="the operator's part (as NATS user admin): make or mend every "
                                                  "partner's stream samen030-<partner>")
    streams.add_argument("--partner", action="append", help="repeatable; default: every partner")
    streams.add_argument("--hub-copies", action="store_true", help="topology hub, at the hub: every partner's "
                         "R3 copy hub-<partner>, sourcing the partner's stream on its leaf")

    status = commands.add_parser("status", help="per partner: its stream, and in the hub topology whether its "
                                                "leaf is connected and the sourcing lag (as NATS user admin)")
    status.add_argument("--topology", choices=["single", "hub"],
                        help="default: SAMEN030_TOPOLOGY, or hub where `samen030 run --topology hub` runs here")

    watch = commands.add_parser("hub-watch", help="topology hub, the hub's operator: when a partner's leaf is "
                                                  "back, have its hub copy resume sourcing at once (as NATS user admin)")
    watch.add_argument("--monitor", action="append", metavar="URL",
                       help="a hub server's monitoring, e.g. http://10.0.0.1:8222 (repeatable; default: the local "
                            "hub's, from var/nats/servers.json)")

    deploy = commands.add_parser("deploy", help="write the production topology's nats-server configurations, "
                                                "credentials and systemd units (deploy/README.md)")
    deploy_what = deploy.add_subparsers(dest="what", required=True, metavar="hub|node")
    deploy_hub = deploy_what.add_parser("hub", help="the 3 hub machines' files, and per partner the credential to hand over")
    deploy_hub.add_argument("--nodes", required=True, help="the three hub machines, e.g. hub1.samen030.nl,hub2…,hub3…")
    deploy_node = deploy_what.add_parser("node", help="a partner's leaf nats-server and node")
    deploy_node.add_argument("--partner", required=True)
    deploy_node.add_argument("--hub", help="the hub's leaf ports, host:7422,… (default: from the credentials file)")
    deploy_node.add_argument("--credentials", type=Path, required=True,
                             help="partners/<partner>.json, as the hub's operator handed it over")
    for deploy_parser in (deploy_hub, deploy_node):
        deploy_parser.add_argument("--out", type=Path, required=True, help="the folder to write into")
        deploy_parser.add_argument("--tls-dir", help="where server.pem, server-key.pem and ca.pem will be on the machine")

    run = commands.add_parser("run", help="start the whole local federation")
    run.add_argument("--no-demo", action="store_true", help="do not load demo offers")
    run.add_argument("--topology", choices=["single", "hub"], default="single",
                     help="single: one embedded nats-server (default); hub: 3 hub nats-servers and a leaf "
                          "nats-server per partner (the production topology, on this machine)")
    run.add_argument("--metrics-port", type=int, default=8090,
                     help="the parts and the nats-server at /metrics on this port (default 8090; 0: none)")

    token = commands.add_parser("token", help="a bearer token for a partner user, signed with the partner's own key")
    token.add_argument("--partner", required=True)
    token.add_argument("--role", default="coordinator", choices=["coordinator", "volunteer", "viewer"])
    token.add_argument("--user", default="cli")
    token.add_argument("--hours", type=float, default=12.0, help="how long it counts (default 12)")

    keys_parser = commands.add_parser("keys", help="a partner's signing keys: create, rotate, retire, list")
    key_commands = keys_parser.add_subparsers(dest="keys_command", required=True, metavar="KEYS_COMMAND")
    for name, text in (("create", "make the partner's key if it has none"),
                       ("rotate", "make a new current key; earlier keys stay trusted until retired"),
                       ("retire", "stop trusting an earlier key (--kid): tokens it signed stop working"),
                       ("list", "the partner's published public keys, current first"),
                       ("jwks", "print the partner's JWKS document (what its services publish)")):
        key_command = key_commands.add_parser(name, help=text)
        key_command.add_argument("--partner", required=True)
        if name == "retire":
            key_command.add_argument("--kid", required=True, help="the key id (samen030 keys list)")
    from samen030.members import account_cli
    account_cli.add_arguments(commands.add_parser("account", help="staff accounts: create a partner's first coordinator"))

    commands.add_parser("demo", help="load the demo offers into a running federation")

    imports = commands.add_parser("import", help="import HSDS services into a partner's directory, all or nothing")
    imports.add_argument("--partner", required=True)
    imports.add_argument("file", type=Path, help="HSDS JSON (array of services or a page), or a directory or "
                                                  ".zip of HSDS CSV files")
    imports.add_argument("--dry-run", action="store_true", help="only validate; write nothing")
    imports.add_argument("--report", type=Path, help="also write the refused rows to this CSV file")
    imports.add_argument("--user", default="import", help="who the change log names (default: import)")

    from samen030.members import import_cli
    import_cli.add_arguments(commands.add_parser("import-members", help="import a member list (CSV) into a "
                                                 "partner's members service, all or nothing"))

    export = commands.add_parser("export", help="export a partner's directory as HSDS 3.0")
    export.add_argument("--partner", required=True)
    export.add_argument("--format", required=True, choices=["json", "csv"])
    export.add_argument("out", type=Path, help="json: a file (- for stdout); csv: a directory, or a .zip file")

    for worker in (relay, followup, retention, notifier, projector):
        worker.add_argument("--metrics-port", type=int, help="serve /metrics on this port (SAMEN030_METRICS_PORT)")
    args = parser.parse_args(argv)
    if getattr(args, "metrics_port", None) is not None:  # kernel/workers.run_worker serves it
        os.environ["SAMEN030_METRICS_PORT"] = str(args.metrics_port)
    try:
        COMMANDS[args.command](args)
    except ConfigError as exc:
        sys.exit(f"samen030: {exc}")
    except KeyboardInterrupt:
        pass


def _services() -> list[str]:
    from samen030.registry import known_services
    return known_services()


def _http_options(parser) -> None:
    parser.add_argument("--port", type=int, help="default: from the federation file")
    parser.add_argument("--workers", type=int, default=int(os.environ.get("SAMEN030_WORKERS", 1)))
    parser.add_argument("--threads", type=int, default=int(os.environ.get("SAMEN030_THREADS", 4)))


def cmd_serve(args) -> None:
    from samen030.kernel.server import serve
    from samen030.registry import service_app
    federation = load_federation()
    partner = federation.partner(args.partner)
    port = args.port or partner.listen.get(args.service) or port_of(partner.url(args.service))
    serve(service_app(args.service, args.partner), port, workers=args.workers, threads=args.threads)


def cmd_node(args) -> None:
    from samen030.node import run_node
    _log_to_stderr()
    federation = load_federation()
    federation.partner(args.partner)
    run_node(federation, args.partner, _nats_url(federation, args.partner), args.threads)


def cmd_city(args) -> None:
    from urllib.parse import urlsplit

    from samen030.city import run_city
    from samen030.notifier.mail import smtp_url
    _log_to_stderr()
    federation = load_federation()
    sink = (urlsplit(smtp_url()).port or 25, var_dir() / "mail") if args.mail_sink else None
    run_city(federation, _nats_url(federation, GATEWAY_USER), _nats_url(federation, NOTIFIER_USER), sink, args.threads)


def _log_to_stderr() -> None:
    import logging

    from samen030.kernel.logs import configure_logging
    configure_logging()
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's line per SMTP command


def cmd_gateway(args) -> None:
    from samen030.gateway.app import create_app
    from samen030.kernel.server import serve
    federation = load_federation()
    serve(create_app(federation=federation), args.port or federation.gateway_listen or port_of(federation.gateway_url),
          workers=args.workers, threads=args.threads)


def cmd_relay(args) -> None:
    from samen030.kernel.database import open_database
    from samen030.kernel.relay import Relay
    from samen030.kernel.workers import run_worker
    from samen030.registry import service_tables
    federation = load_federation()
    partner = federation.partner(args.partner)
    keys.require(args.partner)
    relays = []
    for service in args.service or [s for s in partner.services if s in _services()]:
        metadata, outbox = service_tables(service)
        db = open_database(args.partner, service, metadata)
        relays.append(Relay(db, outbox, args.partner, service, _nats_url(federation, args.partner)))
    run_worker(lambda stop: asyncio.gather(*(relay.run(stop) for relay in relays)))


def cmd_followup(args) -> None:
    from samen030.helprequests.followup_worker import run_followup
    from samen030.helprequests.tables import metadata
    from samen030.kernel.database import open_database
    from samen030.kernel.workers import run_worker
    federation = load_federation()
    federation.partner(args.partner).url("requests")
    keys.require(args.partner)  # it takes unfinished handovers back from other partners, signing as the partner
    db = open_database(args.partner, "requests", metadata)
    others = [p.id for p in federation.partners.values() if p.id != args.partner and "requests" in p.services]
    run_worker(lambda stop: run_followup(db, args.partner, others, _nats_url(federation, args.partner), stop))


def cmd_retention(args) -> None:
    from samen030.retention import describe, run_periodically, run_retention, retention_days
    from samen030.kernel.workers import run_worker
    retention_days("requests"), retention_days("members")  # a bad setting fails here, not an hour later
    if args.every:
        run_worker(lambda stop: run_periodically(args.partner, args.every, stop))
        return
    for partner in args.partner:
        print(describe(run_retention(partner, args.dry_run)), flush=True)


def cmd_notifier(_args) -> None:
    from samen030.notifier.commands import run_notifier
    run_notifier(_nats_url(load_federation(), NOTIFIER_USER))  # reads every stream, like the projector


def cmd_smtp_sink(args) -> None:
    from samen030.notifier.commands import run_smtp_sink
    run_smtp_sink(args.port, args.directory)


def cmd_notifications(args) -> None:
    from samen030.notifier.commands import format_deliveries, list_deliveries, print_webhook_secret, retry_deliveries
    if args.webhook_secret:
        print_webhook_secret(args.webhook_secret)
    elif args.retry is not None:
        print(f"{retry_deliveries(args.retry or None)} failed deliveries will be tried again")
    else:
        print(format_deliveries(list_deliveries("failed" if args.failed else None)))


def cmd_projector(_args) -> None:
    from samen030.gateway.app import open_readmodel
    from samen030.gateway.projector import readmodel_projection
    from samen030.kernel.consumer import consume
    from samen030.kernel.workers import run_worker
    federation = load_federation()
    projection = readmodel_projection(open_readmodel())
    nats_url = _nats_url(federation, GATEWAY_USER)
    run_worker(lambda stop: consume(projection, nats_url, list(federation.partners), stop))


def cmd_parked(args) -> None:
    from samen030.kernel.parked import format_parked, list_parked, retry_parked
    from samen030.parked import projections_of
    projections = projections_of(args.consumer, args.partner)
    if args.retry is None:
        print(format_parked([row for p in projections for row in list_parked(p)]))
        return
    applied = failing = 0
    for projection in projections:
        done, still = retry_parked(projection, args.retry or None)
        applied, failing = applied + done, failing + still
    print(f"{applied} applied, {failing} still failing")
    if failing:
        sys.exit(1)


def cmd_streams(args) -> None:
    from samen030.kernel.bus import provision_at
    federation = load_federation()
    partners = [federation.partner(p).id for p in args.partner] if args.partner else list(federation.partners)
    done = asyncio.run(provision_at(_nats_url(federation, ADMIN_USER), partners, hub_copies=args.hub_copies))
    if done is None:
        sys.exit(f"samen030 streams: NATS at {federation.nats_url} does not answer")
    for stream, outcome in done.items():
        print(f"{stream}: {outcome}")
    if any(outcome.startswith("refused") for outcome in done.values()):
        sys.exit(1)


def _nats_url(federation, user: str) -> str:
    """NATS_<USER>_URL for the federation's own users (NATS_GATEWAY_URL, NATS_NOTIFIER_URL, NATS_ADMIN_URL:
    one process, one user), else an explicit NATS_URL as it is; the local federation's servers need
    their users (SAMEN030_HUB_URL: the hub of `samen030 run --topology hub`)."""
    if user in (ADMIN_USER, GATEWAY_USER, NOTIFIER_USER) and (url := os.environ.get(f"NATS_{user.upper()}_URL")):
        return url
    if "NATS_URL" in os.environ:
        return federation.nats_url
    hub = os.environ.get("SAMEN030_HUB_URL")  # the city's processes of `samen030 run --topology hub`
    return credentials_url(hub or federation.nats_url, user, var_dir() / "nats")


def cmd_status(args) -> None:
    from samen030.status import format_status, partner_status
    federation = load_federation()
    kind, url = _where_to_look(federation, args.topology)
    rows = asyncio.run(partner_status(url, list(federation.partners), kind))
    if rows is None:
        sys.exit(f"samen030 status: NATS does not answer ({kind} topology)")
    print(format_status(rows, kind))
    if any("error" in row or row.get("connected") is False for row in rows):
        sys.exit(1)  # for a check that alerts


def _where_to_look(federation, asked: str | None) -> tuple[str, str]:
    """(topology, the admin's URL): an explicit NATS_URL as it is; else the hub servers of a local
    `samen030 run --topology hub` (var/nats/servers.json); else the local single server."""
    import json

    from samen030.kernel.topology import HUB, SINGLE, topology
    servers = var_dir() / "nats" / "servers.json"
    if "NATS_URL" in os.environ or "NATS_ADMIN_URL" in os.environ or not servers.exists():
        return asked or topology(), _nats_url(federation, ADMIN_USER)
    hub = [s for s in json.loads(servers.read_text()) if s["role"] == "hub"]
    kind = asked or (HUB if hub else SINGLE)
    if kind != HUB:
        return kind, _nats_url(federation, ADMIN_USER)
    urls = ",".join(f"nats://127.0.0.1:{s['client_port']}" for s in hub)
    return kind, credentials_url(urls, ADMIN_USER, var_dir() / "nats")


def cmd_hub_watch(args) -> None:
    import json

    from samen030.kernel.workers import run_worker
    from samen030.status import watch_links
    federation = load_federation()
    _kind, url = _where_to_look(federation, "hub")
    monitors = args.monitor
    if not monitors:
        servers = var_dir() / "nats" / "servers.json"
        if not servers.exists():
            sys.exit("samen030 hub-watch: give the hub servers' monitoring URLs (--monitor)")
        monitors = [f"http://127.0.0.1:{s['monitor_port']}" for s in json.loads(servers.read_text()) if s["role"] == "hub"]
    run_worker(lambda stop: watch_links(url, monitors, list(federation.partners), stop))


def cmd_deploy(args) -> None:
    import json

    from samen030.deploy import deploy_hub, deploy_node
    federation = load_federation()
    if args.what == "hub":
        written = deploy_hub(federation, [n.strip() for n in args.nodes.split(",") if n.strip()], args.out, args.tls_dir)
    else:
        credentials = json.loads(args.credentials.read_text())
        hub = [h.strip() for h in (args.hub or "").split(",") if h.strip()]
        written = deploy_node(federation, args.partner, hub, credentials, args.out, args.tls_dir)
    for path in written:
        print(path)


def cmd_nats(args) -> None:
    from samen030.kernel.natsserver import local_passwords, nats_server_binary, write_config
    federation = load_federation()
    port = args.port or port_of(federation.nats_url.replace("nats://", "http://"))
    workdir = var_dir() / "nats"
    passwords = local_passwords(workdir, list(federation.partners))
    config = write_config(workdir / "nats.conf", port, workdir / "jetstream", passwords=passwords,
                          partners=list(federation.partners), monitor_port=args.monitor_port)
    os.execv(nats_server_binary(), [nats_server_binary(), "-c", str(config)])


def cmd_run(args) -> None:
    from samen030.localfed import run_local_federation
    run_local_federation(load_demo_data=not args.no_demo, metrics_port=args.metrics_port, topology=args.topology)


MAX_OPERATOR_HOURS = 168


def cmd_token(args) -> None:
    from samen030.kernel.auth import issue_token
    load_federation().partner(args.partner)
    if not 0 < args.hours <= MAX_OPERATOR_HOURS:
        sys.exit(f"samen030 token: --hours must be more than 0 and at most {MAX_OPERATOR_HOURS} (a week): a token "
                 "without an account cannot be revoked but by retiring the partner's key")
    print(issue_token(args.partner, args.role, args.user, seconds=int(args.hours * 3600)))


def cmd_keys(args) -> None:
    import json
    load_federation().partner(args.partner)
    if args.keys_command == "create":
        print(f"{args.partner}: key {keys.create(args.partner)} in {keys.private_key_path(args.partner)}")
    elif args.keys_command == "rotate":
        print(f"{args.partner}: new current key {keys.rotate(args.partner)}; the earlier ones stay trusted until "
              f"`samen030 keys retire --partner {args.partner} --kid …`")
    elif args.keys_command == "retire":
        keys.retire(args.partner, args.kid)
        print(f"{args.partner}: key {args.kid} retired; the tokens it signed no longer count (at other partners' "
              f"nodes once their copy of the keys is refreshed, within SAMEN030_JWKS_CACHE_SECONDS)")
    elif args.keys_command == "list":
        for n, jwk in enumerate(keys.published(args.partner)["keys"]):
            print(f"{jwk['kid']}  {'current' if n == 0 else 'earlier'}")
    else:
        print(json.dumps(keys.published(args.partner), indent=2))


def cmd_account(args) -> None:
    from samen030.members.account_cli import run
    run(args)


def cmd_demo(_args) -> None:
    from samen030.demo import load_demo
    print(f"{load_demo(load_federation())} demo offers created")


def _directory_db(partner: str):
    """The partner's directory database itself, as `samen030 serve directory` opens it."""
    from samen030.directory.tables import metadata
    from samen030.kernel.database import open_database
    return open_database(partner, "directory", metadata)


def cmd_import(args) -> None:
    from samen030.directory import importing
    from samen030.progress import ProgressBar
    load_federation().partner(args.partner)
    try:
        batch = importing.read_batch(args.file)
    except importing.UnreadableFile as exc:
        print(f"samen030 import: {exc}", file=sys.stderr)
        sys.exit(2)
    with ProgressBar() as progress:
        result = importing.import_services(_directory_db(args.partner), args.partner, batch, args.user,
                                           dry_run=args.dry_run, progress=progress)
    for refusal in result.refusals:
        print(refusal)
    print(_import_summary(result, batch.unread_files))
    if args.report:
        importing.write_report(result.refusals, args.report)
    if result.refusals:
        sys.exit(1)


def _import_summary(result, unread_files: list[str]) -> str:
    counts = (f"{len(result.created)} nieuw (new), {len(result.updated)} gewijzigd (changed), "
              f"{len(result.unchanged)} ongewijzigd (unchanged)")
    if result.refusals:
        services = len({r.service_id or (r.file, r.row, r.index) for r in result.refusals})
        lines = [f"Geweigerd: {len(result.refusals)} fouten in {services} diensten; er is niets geïmporteerd "
                 f"(refused: {len(result.refusals)} errors in {services} services; nothing was imported)."]
    elif result.dry_run:
        lines = [f"Alles is geldig (all valid); proefrun, niets geschreven (dry run, nothing written): {counts}."]
    else:
        lines = [f"Geïmporteerd (imported): {counts}."]
    if result.not_kept:
        kept = ", ".join(f"{name} ({n}×)" for name, n in sorted(result.not_kept.items()))
        lines.append(f"Velden zonder plaats in een aanbod, niet overgenomen (fields not kept): {kept}.")
    if unread_files:
        lines.append(f"Niet gelezen (not read): {', '.join(unread_files)}.")
    return "\n".join(lines)


def cmd_import_members(args) -> None:
    from samen030.members.import_cli import run
    run(args)


def cmd_export(args) -> None:
    from samen030.directory import exporting
    partner = load_federation().partner(args.partner)
    db = _directory_db(args.partner)
    if args.format == "csv":
        count = exporting.export_tables(db, partner, args.out)
    elif str(args.out) == "-":
        count = exporting.export_json(db, partner, sys.stdout)
    else:
        with args.out.open("w", encoding="utf-8") as out:
            count = exporting.export_json(db, partner, out)
    print(f"{count} aanbod geëxporteerd naar {args.out} ({count} offers exported).", file=sys.stderr)


COMMANDS = {"node": cmd_node, "city": cmd_city, "serve": cmd_serve, "gateway": cmd_gateway, "relay": cmd_relay, "followup": cmd_followup, "retention": cmd_retention,
            "projector": cmd_projector, "notifier": cmd_notifier, "smtp-sink": cmd_smtp_sink,
            "streams": cmd_streams, "parked": cmd_parked,
            "notifications": cmd_notifications,
            "nats": cmd_nats, "run": cmd_run, "status": cmd_status, "hub-watch": cmd_hub_watch, "deploy": cmd_deploy, "token": cmd_token, "keys": cmd_keys, "account": cmd_account, "demo": cmd_demo, "import": cmd_import,
            "export": cmd_export, "import-members": cmd_import_members}
