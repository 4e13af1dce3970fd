"""`python -m bench [sandbox|engine|scale|all] [N] [COMPARE]`: run the benchmarks and print their figures.

`all` is sandbox and engine; `scale` (10,000 meetings by default, several minutes) runs on its own.
"""

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
    if which == "scale":
        from bench import scale_bench

        scale_bench.main(*(int(a) for a in argv[1:]))


if __name__ == "__main__":
    main(sys.argv[1:])
