"""Spreadsheet import at clinic size: 500 patients and 2,000 past sessions in a foreign layout.

Writes a semicolon-separated CSV with day-first dates and another system's headers (one row per
session, the patient's columns repeated, plus patients never treated), then times
`mesotui import-csv --dry-run` and the import itself, each a whole process, as a user runs them.
Target: the import under 10 s. Usage: python benchmarks/import_csv.py [--patients 500]
[--sessions 2000] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

FIRST = ["Amelia", "Sofia", "Omar", "Kenji", "Zoë", "Priya", "Mateo", "Ines", "Kwame", "Olga"]
LAST = ["Fletcher", "Ångström-Núñez", "Okafor", "Tanaka", "Sørensen", "Moreau", "Haddad"]
HEADER = "Patient No;Surname;First name;Date of birth;Gender;Mobile;Treatment date;Anaesthesia;" \
         "Volume (mL);Batch\n"


def write(path: Path, patients: int, sessions: int, seed: int = 18) -> None:
    rng = random.Random(seed)
    today = date(2026, 1, 15)
    lines = [HEADER]
    per = [sessions // patients + (1 if n < sessions % patients else 0) for n in range(patients)]
    rng.shuffle(per)
    for n in range(patients):
        born = date(1950, 1, 1) + timedelta(days=rng.randrange(365 * 50))
        person = (f"{1000 + n};{rng.choice(LAST)};{rng.choice(FIRST)} {n};"
                  f"{born:%d/%m/%Y};{rng.choice('FM')};+44 7700 9{n:05d}")
        day = today - timedelta(days=rng.randrange(400, 900))
        if not per[n]:
            lines.append(person + ";;;;\n")
        for _ in range(per[n]):
            lines.append(f"{person};{day:%d/%m/%Y};{rng.choice(['topical', 'local', 'none'])};"
                         f"1,0;DU25-{rng.randrange(1000):04d}\n")
            day += timedelta(days=rng.choice([56, 61, 62, 120]))
            day = min(day, today)
    path.write_text("".join(lines), encoding="utf-8")


def timed(args: list[str]) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "mesotui", *args], capture_output=True,
                          text=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"mesotui {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return elapsed, done.stdout.splitlines()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=500)
    parser.add_argument("--sessions", type=int, default=2000)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="mesotui-import-bench-"))
    sheet, db = folder / "patients.csv", folder / "clinic.json"
    write(sheet, args.patients, args.sessions)
    common = ["--db", str(db), "--today", "2026-01-15", "import-csv", str(sheet)]
    dry, dry_line = timed([*common, "--dry-run"])
    real, real_line = timed(common)
    check, _ = timed(["--db", str(db), "check"])
    figures = {"patients": args.patients, "sessions": args.sessions, "dry_run_s": round(dry, 2),
               "import_s": round(real, 2), "check_s": round(check, 2), "target_s": 10,
               "met": real < 10 and dry < 10}
    print(f"{args.patients} patients, {args.sessions} sessions, foreign layout ({sheet.name})")
    print(f"  dry run  {dry:6.2f} s   {dry_line}")
    print(f"  import   {real:6.2f} s   {real_line}")
    print(f"  check    {check:6.2f} s   (the record file is sound afterwards)")
    print(f"  target: import under 10 s: {'met' if figures['met'] else 'NOT met'}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
