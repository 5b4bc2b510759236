"""The `nvviz-bench` command the wheel installs: the CLI, run in this process."""

import sys

from ._native import run_cli


def main():
    sys.exit(run_cli(sys.argv))


if __name__ == "__main__":
    main()
