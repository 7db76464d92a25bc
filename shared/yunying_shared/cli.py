"""`yunying`: the operator's command line. `yunying --help` lists the commands."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Any


def _run_embedded(args: argparse.Namespace) -> int:
    import uvicorn

    from yunying_shared.runtime.embedded import EmbeddedApp

    state_dir = Path(os.environ.get("YUNYING_STATE_DIR", ".yunying"))
    # The gateway prints this address in its first-start login instructions.
    os.environ.setdefault("YUNYING_GATEWAY_PUBLIC_URL", f"http://{args.host}:{args.port}")
    app = EmbeddedApp(state_dir)
    print(f"Yunying (embedded mode) on http://{args.host}:{args.port} — data in {state_dir}/")
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", lifespan="on")
    return 0


async def _with_transport(action: Any) -> int:
    from yunying_shared.bus.factory import transport_from_settings
    from yunying_shared.settings import ServiceSettings

    transport = transport_from_settings(ServiceSettings(service_name="cli"))
    await transport.start()
    try:
        return int(await action(transport))
    finally:
        await transport.stop()


def _dlq_list(args: argparse.Namespace) -> int:
    from yunying_shared.bus import dlq

    async def show(transport: Any) -> int:
        topics = [args.topic] if args.topic else await dlq.dlq_topics(transport)
        for topic in topics:
            for letter in await dlq.dead_letters(transport, topic):
                state = "replayed" if letter.replayed else "waiting"
                print(
                    f"{letter.dlq}\t{letter.position}\t{state}\t{letter.event_id or '-'}\t"
                    f"{letter.origin_topic}\t{letter.error[:120]}"
                )
        return 0

    return asyncio.run(_with_transport(show))


def _dlq_replay(args: argparse.Namespace) -> int:
    from yunying_shared.bus import dlq

    async def replay(transport: Any) -> int:
        done = await dlq.replay(transport, args.topic, event_id=args.event_id)
        for letter in done:
            print(f"replayed {letter.dlq} {letter.position} -> {letter.origin_topic}")
        print(f"{len(done)} dead letter(s) replayed")
        return 0

    return asyncio.run(_with_transport(replay))


def _new_service(args: argparse.Namespace) -> int:
    from yunying_shared.kit.commands import new_service

    try:
        target = new_service(
            Path.cwd(),
            args.name,
            title=args.title or f"Yunying {args.name.replace('-', ' ').title()}",
            description=args.description,
            install=not args.no_install,
        )
    except ValueError as exc:
        print(f"yunying new-service: {exc}", file=sys.stderr)
        return 2
    print(f"created {target}; add routers and handlers to its main.py, then `make test`")
    return 0


def _deploy_files(args: argparse.Namespace) -> int:
    from yunying_shared.kit.commands import write_deploy_files

    stale = write_deploy_files(Path.cwd(), check=args.check)
    for path in stale:
        print(f"{'stale' if args.check else 'wrote'} {path}")
    return 1 if args.check and stale else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="yunying", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="start every service in one process (embedded mode)")
    run.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    run.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    run.set_defaults(handler=_run_embedded)

    dead = commands.add_parser(
        "dlq",
        help="dead letters (bus from YUNYING_BUS, YUNYING_KAFKA_BOOTSTRAP, YUNYING_STATE_DIR)",
    )
    dlq_commands = dead.add_subparsers(dest="dlq_command", required=True)
    listing = dlq_commands.add_parser("list", help="dead letters, tab-separated")
    listing.add_argument("--topic", help="origin or .dlq topic (default: every .dlq topic)")
    listing.set_defaults(handler=_dlq_list)
    replay = dlq_commands.add_parser("replay", help="re-publish dead letters to their origin")
    replay.add_argument("--topic", required=True, help="origin or .dlq topic")
    replay.add_argument("--event-id", help="only the dead letter of this event")
    replay.set_defaults(handler=_dlq_replay)

    new = commands.add_parser(
        "new-service", help="create a service from the template (run in the repository root)"
    )
    new.add_argument("name", help="lower-case words joined by hyphens, e.g. loyalty-points")
    new.add_argument("--title", help="the API document's title for it")
    new.add_argument("--description", default="A Yunying service.")
    new.add_argument(
        "--no-install", action="store_true", help="only write the files (no lock, sync, deploy)"
    )
    new.set_defaults(handler=_new_service)

    deploy = commands.add_parser(
        "deploy-files", help="write each service's Dockerfile and docker-compose.yml"
    )
    deploy.add_argument("--check", action="store_true", help="only list stale files; exit 1")
    deploy.set_defaults(handler=_deploy_files)
    return parser


# Services add sub-commands through this entry-point group (name = command, value = a
# `main(argv) -> int`), so this module never imports a service.
COMMAND_ENTRY_POINTS = "yunying.commands"


def _service_commands() -> dict[str, EntryPoint]:
    return {entry.name: entry for entry in entry_points(group=COMMAND_ENTRY_POINTS)}


def _built_in_commands(parser: argparse.ArgumentParser) -> set[str]:
    return {
        name
        for action in parser._actions
        if isinstance(action, argparse._SubParsersAction)
        for name in action.choices
    }


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    service_commands = _service_commands()
    # A service's command gets the rest of the line; a built-in command of the same name wins.
    if arguments and arguments[0] in service_commands.keys() - _built_in_commands(parser):
        command = service_commands[arguments[0]].load()
        return int(command(arguments[1:]))
    names = ", ".join(sorted(service_commands))
    parser.epilog = f"commands from installed services: {names}" if names else None
    args = parser.parse_args(arguments)
    return int(args.handler(args))


if __name__ == "__main__":
    raise SystemExit(main())
