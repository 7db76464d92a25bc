"""`yunying`: the operator's command line. `yunying --help` lists the commands."""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from pathlib import Path


def _run_embedded(args: argparse.Namespace) -> int:
    import uvicorn

    from yunying_shared.runtime.embedded import EmbeddedApp

    state_dir = Path(os.environ.get("YUNYING_STATE_DIR", ".yunying"))
    app = EmbeddedApp(state_dir)
    print(f"Yunying (embedded mode) on http://{args.host}:{args.port} — data in {state_dir}/")
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", lifespan="on")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="yunying", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="start every service in one process (embedded mode)")
    run.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    run.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    run.set_defaults(handler=_run_embedded)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.handler(args))


if __name__ == "__main__":
    raise SystemExit(main())
