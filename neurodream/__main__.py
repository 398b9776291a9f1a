"""Command line.

``python -m neurodream train --condition dreaming --seed 0 --games 2000 --out data``: one run;
``python -m neurodream sweep --conditions baseline dreaming --seeds 0-9 --games 2000 --jobs 2``: many,
cached in ``--out`` and resumable (``--scheduler tcp://host:8786`` sends them to a Dask cluster).
Both take ``--set FIELD=VALUE ...`` for any other :class:`~neurodream.training.TrainConfig` field,
e.g. ``--set fidelity=corrected action_activity=1000`` or ``--set dream_steps=0``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json


def parse_seeds(text: str) -> list[int]:
    """``"0-9"`` -> 0..9, ``"0,3,5"`` -> [0, 3, 5]."""
    try:
        if "-" in text:
            lo, hi = (int(x) for x in text.split("-"))
            if hi < lo:
                raise ValueError
            return list(range(lo, hi + 1))
        return [int(x) for x in text.split(",")]
    except ValueError:
        raise SystemExit(f"--seeds {text!r}: expected a range like 0-9 or a list like 0,3,5") from None


TRUE_WORDS = ("true", "yes", "on", "1")
FALSE_WORDS = ("false", "no", "off", "0")


def field_types() -> dict[str, str]:
    """Each :class:`~neurodream.training.TrainConfig` field and the type ``--set`` converts it to:
    ``bool``, ``int``, ``float``, ``str`` or ``dict`` (a JSON object, or ``null``)."""
    import typing

    from .training import TrainConfig

    hints = typing.get_type_hints(TrainConfig)
    names = {bool: "bool", int: "int", float: "float", str: "str"}
    return {f.name: names.get(hints[f.name], "dict") for f in dataclasses.fields(TrainConfig)}


def convert_field(name: str, text: str):
    """The value of config field ``name`` written as ``text`` on the command line, converted by the
    field's type (:func:`field_types`); ``ValueError`` naming the field and its type otherwise."""
    kind = field_types()[name]
    word = text.strip().lower()
    if kind == "bool":
        if word in TRUE_WORDS or word in FALSE_WORDS:
            return word in TRUE_WORDS
        raise ValueError(f"{name} is a bool: expected one of {', '.join(TRUE_WORDS + FALSE_WORDS)}")
    if kind == "int":
        try:
            return int(text)
        except ValueError:
            raise ValueError(f"{name} is an int: expected a whole number") from None
    if kind == "float":
        try:
            return float(text)
        except ValueError:
            raise ValueError(f"{name} is a float: expected a number") from None
    if kind == "str":
        return text
    if word in ("null", "none"):
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        value = None
    if not isinstance(value, dict):
        raise ValueError(f"{name} is a JSON object (or null): expected {{...}}")
    return value


def parse_fields(pairs: list[str]) -> dict:
    """``["dream_steps=0", "fidelity=corrected"]`` -> config fields, each value converted by its
    field's type (:func:`convert_field`)."""
    from .training import TrainConfig

    allowed = [f.name for f in dataclasses.fields(TrainConfig)]
    out = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep or key not in allowed:
            raise SystemExit(f"--set {pair!r}: expected FIELD=VALUE with FIELD one of {', '.join(allowed)}")
        try:
            out[key] = convert_field(key, text)
        except ValueError as err:
            raise SystemExit(f"--set {pair!r}: {err}") from None
    return out


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="neurodream")
    sub = parser.add_subparsers(dest="command", required=True)
    tr = sub.add_parser("train", help="one training run on the emulated chip")
    tr.add_argument("--condition", choices=["baseline", "dreaming"], default="baseline")
    tr.add_argument("--seed", type=int, default=0)
    tr.add_argument("--games", type=int, default=2000)
    tr.add_argument("--wait-ms", type=float, default=10.0)
    tr.add_argument("--fidelity", choices=["paper", "corrected"], default="paper")
    tr.add_argument("--set", nargs="+", default=[], metavar="FIELD=VALUE", help="other config fields")
    tr.add_argument("--out", default="data")
    sw = sub.add_parser("sweep", help="many runs in parallel, one cached file per run")
    sw.add_argument("--conditions", nargs="+", choices=["baseline", "dreaming"], default=["baseline", "dreaming"])
    sw.add_argument("--seeds", default="0-9", help="'0-9' or '0,3,5'")
    sw.add_argument("--games", type=int, default=2000)
    sw.add_argument("--wait-ms", type=float, nargs="+", default=[10.0])
    sw.add_argument("--fidelity", choices=["paper", "corrected"], default="paper")
    sw.add_argument("--jobs", type=int, default=-1, help="parallel local runs (-1: one per core)")
    sw.add_argument("--scheduler", default=None, help="Dask scheduler address instead of local cores")
    sw.add_argument("--set", nargs="+", default=[], metavar="FIELD=VALUE", help="other config fields")
    sw.add_argument("--out", default="data")
    args = parser.parse_args(argv)
    fields = {"fidelity": args.fidelity, **parse_fields(args.set)}
    if args.command == "sweep":
        from .sweep import grid, load_configs, sweep

        configs = grid(conditions=args.conditions, seeds=parse_seeds(args.seeds), wait_ms=args.wait_ms,
                       games=args.games, **fields)
        sweep(configs, args.out, n_jobs=args.jobs, scheduler=args.scheduler)
        table = load_configs(configs, args.out)  # exactly the runs asked for
        last = table[table.game >= args.games - 50].groupby(["condition", "wait_ms", "seed"])["return"].mean()
        print("mean return of the last 50 games (mean +- SD over seeds):")
        print(last.groupby(["condition", "wait_ms"]).agg(["mean", "std", "count"]).to_string())
        return
    from .training import TrainConfig, checkpoint_path, save_run, train

    cfg = TrainConfig(condition=args.condition, seed=args.seed, games=args.games, wait_ms=args.wait_ms, **fields)
    table = train(cfg, checkpoint=checkpoint_path(cfg, args.out))  # Ctrl-C, then the same command resumes
    path = save_run(table, cfg, args.out)
    print(f"{path}: mean return of the last {min(50, len(table))} games "
          f"{table['return'].tail(50).mean():.3f}")


if __name__ == "__main__":
    main()
