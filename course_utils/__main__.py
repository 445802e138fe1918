"""Command line of the course package: ``python -m course_utils doctor``."""

from __future__ import annotations

import sys

USAGE = """usage: python -m course_utils COMMAND

commands:
  doctor    check that this machine is ready for the course and say what to fix
            (python -m course_utils doctor --help for its options)"""


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE, file=sys.stdout if argv else sys.stderr)
        return 0 if argv else 2
    command, rest = argv[0], argv[1:]
    if command == "doctor":
        from .doctor import main as doctor

        return doctor(rest)
    print(f"error: unknown command {command!r}\n{USAGE}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
