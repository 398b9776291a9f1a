"""Command line: ``python -m neurodream train --condition dreaming --seed 0 --games 2000 --out data``."""

from __future__ import annotations

import argparse


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="neurodream")
    sub = parser.add_subparsers(dest="command", required=True)
    tr = sub.add_parser("train", help="one training run on the emulated chip")
    tr.add_argument("--condition", choices=["baseline", "dreaming"], default="baseline")
    tr.add_argument("--seed", type=int, default=0)
    tr.add_argument("--games", type=int, default=2000)
    tr.add_argument("--wait-ms", type=float, default=10.0)
    tr.add_argument("--fidelity", choices=["paper", "corrected"], default="paper")
    tr.add_argument("--out", default="data")
    args = parser.parse_args(argv)
    from .training import TrainConfig, save_run, train

    cfg = TrainConfig(condition=args.condition, seed=args.seed, games=args.games, wait_ms=args.wait_ms,
                      fidelity=args.fidelity)
    table = train(cfg)
    path = save_run(table, cfg, args.out)
    print(f"{path}: mean return of the last {min(50, len(table))} games "
          f"{table['return'].tail(50).mean():.3f}")


if __name__ == "__main__":
    main()
