"""`python -m bench [sandbox|engine|scale|graph|all] [N] [COMPARE]`: run the benchmarks, print their figures.

`all` (the default, what `make bench` runs) is sandbox, engine, scale and graph; scale takes about 8
minutes (10,000 meetings, and the 1,000-meeting comparison with a per-meeting lookup), N and COMPARE resize
it; graph (about a minute) plans 1,000 meetings over EWS and over Graph, N resizes it.
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
        from bench import engine_bench

        engine_bench.main()
    if which in ("scale", "all"):
        from bench import scale_bench

        scale_bench.main(*(int(a) for a in argv[1 if which == "scale" else 0 :]))
    if which in ("graph", "all"):
        from bench import graph_bench

        graph_bench.main(*(int(a) for a in argv[1 if which == "graph" else 0 :]))


if __name__ == "__main__":
    main(sys.argv[1:])
