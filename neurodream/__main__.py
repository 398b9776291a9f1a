"""Command line.

``python -m neurodream train --condition dreaming --seed 0 --games 2000 --out data``: one run;
``python -m neurodream sweep --conditions baseline dreaming --seeds 0-9 --games 2000 --jobs 2``: many,
cached in ``--out`` and resumable (``--scheduler tcp://host:8786`` sends them to a Dask cluster);
``python -m neurodream rerun --conditions dreaming --seeds 0-9 --code 842c514161ef2ead --replace``: the
committed files of those runs recomputed with today's code and compared with them (:mod:`neurodream.rerun`);
``python -m neurodream seal --all --out data``: a digest (:mod:`neurodream.run_digest`) added to the run
files made before digests were recorded, which the loaders refuse without one;
``python -m neurodream powered --jobs 2``: the powered, pre-registered study's missing runs (:mod:`neurodream.powered`).
``train`` and ``sweep`` both take ``--set FIELD=VALUE ...`` for any other :class:`~neurodream.training.TrainConfig` field,
e.g. ``--fidelity corrected --set action_activity=1000`` or ``--set dream_steps=0``; each value is
converted by its field's type. A bad value stops the command before any work with a one-line
message and exit status 2.

``--out`` is the package's data folder (the committed runs) unless given; a folder given is taken
from the working directory, as usual, and resolved to an absolute path before any work (so a Dask
worker elsewhere writes where the command reads), and an empty one is refused.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

OWN_OPTIONS = {"condition": "--condition", "seed": "--seed", "games": "--games", "wait_ms": "--wait-ms",
               "fidelity": "--fidelity"}
"""Config fields with their own option (``sweep``: ``--conditions``, ``--seeds``); ``--set`` refuses them."""


def parse_seeds(text: str) -> list[int]:
    """``"0-9"`` -> 0..9, ``"0,3,5"`` -> [0, 3, 5]; ``argparse.ArgumentTypeError`` otherwise, also
    for more seeds than a sweep may run (:data:`neurodream.sweep.MAX_RUNS`, refused before the list
    is built)."""
    from .sweep import MAX_RUNS

    try:
        if "-" in text:
            lo, hi = (int(x) for x in text.split("-"))
            if hi < lo:
                raise ValueError
            count = hi - lo + 1
        else:
            seeds = [int(x) for x in text.split(",")]
            count = len(seeds)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a range like 0-9 or a list like 0,3,5") from None
    if count > MAX_RUNS:
        raise argparse.ArgumentTypeError(f"{text!r}: {count} seeds; at most {MAX_RUNS} runs per command (as many "
                                         "runs of 2000 games take core-years)")
    return list(range(lo, hi + 1)) if "-" in text else seeds


def out_folder(text: str) -> str:
    """The folder of an ``--out`` option as an absolute path (a relative one taken from the working
    directory, ``~`` expanded); ``argparse.ArgumentTypeError`` for an empty one, which would write
    into whatever directory the command happens to run in."""
    if not text.strip():
        raise argparse.ArgumentTypeError(f"{text!r}: an empty folder would write into the working directory; "
                                         "give a folder, or leave --out out for the package's data folder")
    return str(Path(text).expanduser().absolute())


def default_out() -> str:
    """The default ``--out``: the package's data folder (:data:`neurodream.sweep.DATA`), wherever the
    command runs."""
    from .sweep import DATA

    return str(DATA)


OUT_HELP = ("folder of the result files (created if missing); given, it is taken from the working directory; "
            "left out, the package's data folder, which holds the committed runs")


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


def parse_set(pair: str) -> tuple[str, object]:
    """``"dream_steps=0"`` -> ``("dream_steps", 0)``, the value converted by the field's type
    (:func:`convert_field`); ``argparse.ArgumentTypeError`` naming the pair otherwise."""
    from .training import TrainConfig

    allowed = [f.name for f in dataclasses.fields(TrainConfig) if f.name not in OWN_OPTIONS]
    key, sep, text = pair.partition("=")
    if key in OWN_OPTIONS:
        raise argparse.ArgumentTypeError(f"{pair!r}: {key} has its own option, use {OWN_OPTIONS[key]}")
    if not sep or key not in allowed:
        raise argparse.ArgumentTypeError(f"{pair!r}: expected FIELD=VALUE with FIELD one of {', '.join(allowed)}")
    try:
        return key, convert_field(key, text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"{pair!r}: {err}") from None


def parse_fields(pairs: list[str]) -> dict:
    """``["dream_steps=0", "mismatch_cv=0.1"]`` -> config fields (:func:`parse_set`); a field given
    twice raises ``argparse.ArgumentTypeError``."""
    out = {}
    for key, value in (parse_set(p) if isinstance(p, str) else p for p in pairs):
        if key in out:
            raise argparse.ArgumentTypeError(f"--set gives {key} twice")
        out[key] = value
    return out


def _field_option(name: str):
    """An argparse type for the option of config field ``name``: converted by the field's type and
    checked against its range (:class:`~neurodream.training.TrainConfig`)."""
    def convert(text: str):
        from .training import TrainConfig

        try:
            value = convert_field(name, text)
            TrainConfig(**{name: value})
        except ValueError as err:
            raise argparse.ArgumentTypeError(str(err)) from None
        return value

    convert.__name__ = name
    return convert


def _jobs(text: str) -> int:
    try:
        jobs = int(text)
    except ValueError:
        jobs = 0
    if jobs == 0:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a whole number of parallel runs, -1 for one per core")
    return jobs


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line (``prog: error: ...``) with exit status 2."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {' '.join(message.split())} (see {self.prog} --help)\n")


def _set_help() -> str:
    from .training import TrainConfig

    types = field_types()
    listed = ", ".join(f"{f.name} ({types[f.name]}, default {f.default!r})" for f in dataclasses.fields(TrainConfig)
                       if f.name not in OWN_OPTIONS)
    return ("other config fields as FIELD=VALUE, each value converted by the field's type (bool: "
            f"true/false, yes/no, 1/0; dict: a JSON object or null): {listed}").replace("%", "%%")


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--games", type=_field_option("games"), default=2000, help="real games per run")
    p.add_argument("--fidelity", choices=["paper", "corrected"], default="paper",
                   help="world-model wiring: the released code's, or with the action generators connected")
    p.add_argument("--set", nargs="+", type=parse_set, default=[], metavar="FIELD=VALUE", help=_set_help())
    p.add_argument("--out", type=out_folder, default=default_out(), help=OUT_HELP)


def _add_runs(p: argparse.ArgumentParser) -> None:
    """The options that name a sweep's runs (and how many run at once), shared by sweep and rerun."""
    p.add_argument("--conditions", nargs="+", choices=["baseline", "dreaming"], default=["baseline", "dreaming"],
                   help="training conditions")
    p.add_argument("--seeds", type=parse_seeds, default="0-9", help="seeds, a range like 0-9 or a list like 0,3,5")
    p.add_argument("--wait-ms", type=_field_option("wait_ms"), nargs="+", default=[10.0],
                   help="ms per network step, one or more")
    p.add_argument("--jobs", type=_jobs, default=-1, help="parallel local runs (-1: one per core)")
    p.add_argument("--dry-run", action="store_true",
                   help="list the runs to compute and the estimate of their cost, compute nothing")


def build_parser() -> argparse.ArgumentParser:
    """The ``neurodream`` command line (subcommands ``train``, ``sweep``, ``rerun``, ``seal`` and ``powered``)."""
    fmt = argparse.ArgumentDefaultsHelpFormatter
    parser = _Parser(prog="neurodream", description=__doc__.splitlines()[0], formatter_class=fmt)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    tr = sub.add_parser("train", help="one training run on the emulated chip", formatter_class=fmt)
    tr.add_argument("--condition", choices=["baseline", "dreaming"], default="baseline", help="training condition")
    tr.add_argument("--seed", type=_field_option("seed"), default=0, help="the run's random seed (>= 0)")
    tr.add_argument("--wait-ms", type=_field_option("wait_ms"), default=10.0, help="ms per network step")
    _add_common(tr)
    sw = sub.add_parser("sweep", help="many runs in parallel, one cached file per run", formatter_class=fmt)
    _add_runs(sw)
    sw.add_argument("--scheduler", default=None,
                    help="Dask scheduler address (tcp://host:8786) instead of local cores; start its workers pinned "
                         "(OPENBLAS_CORETYPE=Haswell dask worker ADDRESS): a worker running other OpenBLAS kernels "
                         "fails its runs")
    _add_common(sw)
    rr = sub.add_parser("rerun", formatter_class=fmt,
                        help="recompute the committed files of a sweep's runs with today's code and compare them")
    _add_runs(rr)
    rr.set_defaults(jobs=2)
    rr.add_argument("--code", nargs="+", default=None,
                    help="recompute only the files made by these code fingerprints (the 'code' field of a run file)")
    rr.add_argument("--scratch", default=None, help="folder of the new runs (default: rerun/ inside --out)")
    rr.add_argument("--report", default=None,
                    help="CSV file for the comparison, one row per run (its folder is checked for writing first)")
    rr.add_argument("--replace", action="store_true", help="move each new run file over the committed one")
    rr.add_argument("--from-check", default=None, metavar="REPORT",
                    help="the runs a --first-games report (CSV) found not reproducing, instead of the runs the "
                         "options name")
    rr.add_argument("--all", action="store_true",
                    help="every run file in --out, instead of the runs the options name (with --first-games)")
    rr.add_argument("--first-games", type=int, default=None, metavar="N",
                    help="a quick check instead: recompute only the first N games of each run, in memory, and "
                         "compare them (nothing written but --report)")
    _add_common(rr)
    se = sub.add_parser("seal", formatter_class=fmt,
                        help="add its digest to each run file made before digests were recorded (the loaders "
                             "refuse a run file without one); a file whose digest does not match is refused")
    se.add_argument("paths", nargs="*", type=Path, default=[], metavar="PATH", help="run files to seal")
    se.add_argument("--all", action="store_true",
                    help="every run file (a JSON file with config and table) in --out and its subfolders")
    se.add_argument("--out", type=out_folder, default=default_out(),
                    help="folder searched by --all (left out: the package's data folder)")
    po = sub.add_parser("powered", formatter_class=fmt,
                        help="the powered, pre-registered study (docs/preregistration.md): its missing runs, block "
                             "by block; resumable (the same command goes on where it stopped)")
    po.add_argument("--jobs", type=_jobs, default=2, help="runs at once (-1: one per core)")
    po.add_argument("--blocks", type=int, default=None, help="only the first N blocks of 20 seeds (default: all)")
    po.add_argument("--out", type=out_folder, default=None,
                    help="folder of the study's run files (left out: data/powered of the package)")
    po.add_argument("--dry-run", action="store_true", help="list the missing runs and their estimated cost, compute nothing")
    return parser


def main(argv=None) -> None:
    """Run the command line ``argv`` (default: ``sys.argv[1:]``); bad input exits with status 2."""
    parser = build_parser()
    args = parser.parse_args(argv)
    command = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices[args.command]
    if args.command == "seal":
        _seal(args, command)
        return
    if args.command == "powered":
        from . import powered

        try:
            powered.run(powered.RUNS_DIR if args.out is None else args.out, jobs=args.jobs, blocks=args.blocks,
                        dry_run=args.dry_run)
        except ValueError as err:
            command.error(str(err))
        return
    try:
        fields = {"fidelity": args.fidelity, **parse_fields(args.set)}
        if args.command in ("sweep", "rerun"):
            from .sweep import grid

            configs = grid(conditions=args.conditions, seeds=args.seeds, wait_ms=args.wait_ms,
                           games=args.games, **fields)
        else:
            from .training import TrainConfig

            configs = [TrainConfig(condition=args.condition, seed=args.seed, games=args.games,
                                   wait_ms=args.wait_ms, **fields)]
            _check_out(args.out)  # a sweep checks its folder itself, when runs are missing
    except (ValueError, argparse.ArgumentTypeError) as err:
        command.error(str(err))
    _note_if_no_learning(configs, command)
    if args.command == "rerun":
        _rerun(configs, args, command)
    elif args.command == "sweep":
        _sweep(configs, args, command)
    else:
        _train(configs[0], args, command)


def _note_if_no_learning(configs: list, command: argparse.ArgumentParser) -> None:
    """Say on stderr when runs asked for are too short for the policy to learn (a valid request)."""
    short = [c for c in configs if not c.learns]
    if short:
        c = short[0]
        print(f"{command.prog}: note: no policy learning in {len(short)} of {len(configs)} runs: policy "
              f"gradients start at game {c.learn_after_game + 1} (0-based; learn_after_game = "
              f"{c.learn_after_game}) and --games is {c.games}", file=sys.stderr)


def _where_the_runs_are(out: str) -> str:
    """A hint for an error about run files missing in ``out``: where the committed runs are, when
    ``out`` is not that folder and does not exist (a relative --out taken from another directory)."""
    from .sweep import DATA

    if Path(out).is_dir() or Path(out) == DATA or not DATA.is_dir():
        return ""
    return f"; {out} does not exist, the committed runs are in {DATA} (leave --out out for it)"


def _check_out(out: str) -> None:
    from .atomic_file import check_writable_folder

    try:
        check_writable_folder(out)
    except ValueError as err:
        raise ValueError(f"--out {err}") from None


def _sweep(configs: list, args: argparse.Namespace, command: argparse.ArgumentParser) -> None:
    from .sweep import load_configs, sweep

    try:
        sweep(configs, args.out, n_jobs=args.jobs, scheduler=args.scheduler, dry_run=args.dry_run)
    except ValueError as err:  # refused before any run started (e.g. --out not writable)
        command.error(str(err))
    if args.dry_run:
        return
    table = load_configs(configs, args.out)  # exactly the runs asked for
    last = table[table.game >= args.games - 50].groupby(["condition", "wait_ms", "seed"])["return"].mean()
    print("mean return of the last 50 games (mean +- SD over seeds):")
    print(last.groupby(["condition", "wait_ms"]).agg(["mean", "std", "count"]).to_string())


def _rerun(configs: list, args: argparse.Namespace, command: argparse.ArgumentParser) -> None:
    from .rerun import check_first_games, failed_checks, first_games_text, rerun, summary
    from .training import run_path

    if args.all and args.first_games is None:
        command.error("--all goes with --first-games (a quick check of every run file in --out)")
    if args.all and args.from_check:
        command.error("give --all or --from-check, not both")
    if args.from_check:
        try:
            paths = [Path(args.out) / f"{name}.json" for name in failed_checks(args.from_check)]
        except ValueError as err:
            command.error(str(err))
    elif args.all:
        paths = sorted(Path(args.out).glob("*.json"))
    else:
        paths = [run_path(c, args.out) for c in configs]
    missing = [p.name for p in paths if not p.exists()]
    if missing:
        command.error(f"{len(missing)} of the {len(paths)} runs asked for have no file in {args.out} "
                      f"(e.g. {missing[0]}){_where_the_runs_are(args.out)}: rerun recomputes committed runs, "
                      "sweep computes new ones")
    if args.all and not Path(args.out).is_dir():
        command.error(f"--out {args.out} is not a folder{_where_the_runs_are(args.out)}")
    if args.first_games is not None:
        if args.replace or args.scratch or args.dry_run:
            command.error("--first-games compares in memory: it takes no --replace, --scratch or --dry-run")
        try:
            table = check_first_games(paths, args.first_games, codes=args.code, n_jobs=args.jobs, report=args.report)
        except ValueError as err:
            command.error(str(err))
        print(table.to_string(index=False))
        print(f"{int(table.identical.sum())} of {len(table)} runs reproduce their "
              f"{first_games_text(table, args.first_games)} bit for bit")
        return
    try:
        table = rerun(paths, codes=args.code, scratch=args.scratch, n_jobs=args.jobs, replace=args.replace,
                      dry_run=args.dry_run, report=args.report)
    except ValueError as err:  # refused before any run started (a file that is not a run, two folders)
        command.error(str(err))
    if len(table):
        print(table.to_string(index=False))
        print(summary(table))


def _train(cfg, args: argparse.Namespace, command: argparse.ArgumentParser) -> None:
    """One run into ``--out``, under its lock (:mod:`neurodream.run_lock`: refused, exit status 1,
    while another process computes it; a run whose weights become NaN or infinite stops with one
    line and exit status 1, nothing saved). Never overwrites: a file at the run's name that is its
    finished result is said so (nothing computed); any other is kept as ``<name>.superseded``."""
    from .run_lock import RunLocked, hold, remove_orphan_temporaries
    from .sweep import set_aside, why_not_finished
    from .training import NonFiniteRun, checkpoint_path, run_path, train

    path = run_path(cfg, args.out)
    remove_orphan_temporaries(args.out)
    try:
        with hold(path):
            if path.exists():
                reason = why_not_finished(cfg, path)
                if reason is None:
                    print(f"{path} is this run's finished result already (nothing computed)")
                    return
                aside = set_aside(path)
                print(f"{reason}; kept as {aside.name}, the run is computed again", file=sys.stderr)
            # Ctrl-C, then the same command resumes from the checkpoint
            table = train(cfg, checkpoint=checkpoint_path(cfg, args.out), save_in=args.out)
    except (RunLocked, NonFiniteRun) as err:
        command.exit(1, f"{command.prog}: {err}\n")
    print(f"{path}: mean return of the last {min(50, len(table))} games "
          f"{table['return'].tail(50).mean():.3f}")


def _seal(args: argparse.Namespace, command: argparse.ArgumentParser) -> None:
    """Add a digest to the run files named (or, with ``--all``, to every run file under ``--out``)
    that have none, each checked first (:func:`_check_run`); one line per file refused (exit status
    1), and a count of those sealed."""
    from .run_digest import seal_file

    if args.all == bool(args.paths):
        command.error("give run files to seal, or --all (every run file in --out), not both")
    paths = _run_files(Path(args.out)) if args.all else args.paths
    sealed, refused = 0, []
    for path in paths:
        try:
            sealed += seal_file(path, check=lambda payload, path=path: _check_run(payload, path))
        except ValueError as err:
            refused.append(str(err))
    for line in refused:
        print(f"{command.prog}: refused: {line}", file=sys.stderr)
    print(f"{sealed} of {len(paths)} run files sealed, {len(paths) - sealed - len(refused)} had a digest that "
          f"verifies, {len(refused)} refused")
    if refused:
        sys.exit(1)


def _check_run(payload: dict, path: Path) -> None:
    """``ValueError`` naming ``path`` unless ``payload`` is a run file that
    :func:`~neurodream.training.load_run` would read, digest aside (:func:`~neurodream.training.run_table`)."""
    from .training import run_table

    if not isinstance(payload, dict) or "config" not in payload or "table" not in payload:
        raise ValueError(f"{path} is not a run file (no config and table)")
    run_table(payload, path)


def _run_files(folder: Path) -> list[Path]:
    """The run files in ``folder`` and its subfolders: JSON objects with ``config`` and ``table``."""
    import json

    found = []
    for path in sorted(folder.rglob("*.json")):
        try:
            payload = json.loads(path.read_text())
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            continue
        if isinstance(payload, dict) and "config" in payload and "table" in payload:
            found.append(path)
    return found


if __name__ == "__main__":
    main()
