"""`samen030`: start any partner's service, the gateway, any worker, or the whole local federation."""
import argparse
import os
import sys

from samen030.kernel.config import ConfigError, load_federation, port_of, var_dir
from samen030.kernel.natsserver import GATEWAY_USER, credentials_url


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="samen030", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="serve one service of one partner over HTTP")
    serve.add_argument("service", choices=_services())
    serve.add_argument("--partner", required=True)
    _http_options(serve)

    gateway = commands.add_parser("gateway", help="serve the gateway's HTTP API")
    _http_options(gateway)

    relay = commands.add_parser("relay", help="publish a service's outbox to the partner's stream")
    relay.add_argument("--partner", required=True)
    relay.add_argument("--service", default="directory", choices=_services())

    commands.add_parser("projector", help="keep the gateway's read model up to date from all partners")

    nats = commands.add_parser("nats", help="run the embedded nats-server with JetStream")
    nats.add_argument("--port", type=int)

    run = commands.add_parser("run", help="start the whole local federation")
    run.add_argument("--no-demo", action="store_true", help="do not load demo offers")

    token = commands.add_parser("token", help="issue a bearer token for a partner user")
    token.add_argument("--partner", required=True)
    token.add_argument("--role", default="coordinator", choices=["coordinator", "volunteer", "viewer"])
    token.add_argument("--user", default="cli")

    commands.add_parser("demo", help="load the demo offers into a running federation")

    args = parser.parse_args(argv)
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
    port = args.port or port_of(federation.partner(args.partner).url(args.service))
    serve(service_app(args.service, args.partner), port, workers=args.workers, threads=args.threads)


def cmd_gateway(args) -> None:
    from samen030.gateway.app import create_app
    from samen030.kernel.server import serve
    federation = load_federation()
    serve(create_app(federation=federation), args.port or port_of(federation.gateway_url),
          workers=args.workers, threads=args.threads)


def cmd_relay(args) -> None:
    from samen030.kernel.database import open_database
    from samen030.kernel.relay import Relay
    from samen030.kernel.workers import run_worker
    from samen030.registry import service_tables
    federation = load_federation()
    federation.partner(args.partner)
    metadata, outbox = service_tables(args.service)
    db = open_database(args.partner, args.service, metadata)
    run_worker(Relay(db, outbox, args.partner, args.service, _nats_url(federation, args.partner)).run)


def cmd_projector(_args) -> None:
    from samen030.gateway.app import open_readmodel
    from samen030.gateway.projector import readmodel_projection
    from samen030.kernel.consumer import consume
    from samen030.kernel.workers import run_worker
    federation = load_federation()
    projection = readmodel_projection(open_readmodel())
    nats_url = _nats_url(federation, GATEWAY_USER)
    run_worker(lambda stop: consume(projection, nats_url, list(federation.partners), stop))


def _nats_url(federation, user: str) -> str:
    """An explicit NATS_URL is used as it is; the local federation's server needs its users."""
    if "NATS_URL" in os.environ:
        return federation.nats_url
    return credentials_url(federation.nats_url, user, var_dir() / "nats")


def cmd_nats(args) -> None:
    from samen030.kernel.natsserver import local_passwords, nats_server_binary, write_config
    federation = load_federation()
    port = args.port or port_of(federation.nats_url.replace("nats://", "http://"))
    workdir = var_dir() / "nats"
    passwords = local_passwords(workdir, list(federation.partners))
    config = write_config(workdir / "nats.conf", port, workdir / "jetstream", passwords=passwords)
    os.execv(nats_server_binary(), [nats_server_binary(), "-c", str(config)])


def cmd_run(args) -> None:
    from samen030.localfed import run_local_federation
    run_local_federation(load_demo_data=not args.no_demo)


def cmd_token(args) -> None:
    from samen030.kernel.auth import issue_token
    print(issue_token(args.partner, args.role, args.user))


def cmd_demo(_args) -> None:
    from samen030.demo import load_demo
    print(f"{load_demo(load_federation())} demo offers created")


COMMANDS = {"serve": cmd_serve, "gateway": cmd_gateway, "relay": cmd_relay, "projector": cmd_projector,
            "nats": cmd_nats, "run": cmd_run, "token": cmd_token, "demo": cmd_demo}
