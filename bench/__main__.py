"""`python -m bench [sandbox|engine|all]`: run the benchmarks and print their figures."""

from __future__ import annotations

import sys

from bench.common import report


def main(argv: list[str]) -> None:
    which = argv[0] if argv else "all"
    if which in ("sandbox", "all"):
        from bench import sandbox_bench

        report("EWS sandbox (exchangelib client, in-memory store)", sandbox_bench.run())
    if which in ("engine", "all"):
        try:
            from bench import engine_bench
        except ImportError:
            print("\n## engine\n  not built yet: the plan/apply engine has no benchmark")
        else:
            engine_bench.main()


if __name__ == "__main__":
    main(sys.argv[1:])
