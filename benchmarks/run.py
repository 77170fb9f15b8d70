"""`make bench`: speed and memory figures, with ratios against baselines run alongside."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

SECTIONS = ("national", "store", "realdata", "report", "province", "workbench", "charts")
OPTIONAL = ("soak",)  # run only when named: `python benchmarks/run.py soak` (SOAK_KILLS=200)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("sections", nargs="*", default=list(SECTIONS),
                        choices=SECTIONS + OPTIONAL)
    args = parser.parse_args()
    out = Path(__file__).resolve().parent / "out"
    out.mkdir(exist_ok=True)
    with open(out / "latest.txt", "w", encoding="utf-8") as log:

        def report(line: str) -> None:
            print(line, flush=True)
            log.write(line + "\n")

        for name in args.sections:
            start = time.perf_counter()
            module = __import__(name)
            module.run(report)
            report(f"[{name}: {time.perf_counter() - start:.1f} s]\n")
    print(f"figures saved to {out / 'latest.txt'}")


if __name__ == "__main__":
    main()
