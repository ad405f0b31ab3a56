"""Run the core and audit benchmarks, then each registered module's (``benchmarks/<module name>.py``).

The MARAC module times its pages at 10,000 and 100,000 cases, from databases cached in
benchmarks/results/cache/ (see benchmarks/marac.py). With ``BENCH_DATABASE_URL`` the audit
figures are taken on PostgreSQL instead of SQLite, and the MARAC figures on both.

    python -m benchmarks.run

A module adds its figures by shipping ``benchmarks/<name>.py`` with a ``main()``;
this runner finds it through the module registry, so neither it nor core lists modules.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys


def main() -> int:
    from casework.core import modules
    from config import get_config

    from . import audit, core

    for package in get_config("testing").CASEWORK_MODULES:
        importlib.import_module(package)  # importing a module registers it
    status = core.main([])
    print("\n== Audit chain ==")
    status |= audit.main([])
    for module in modules.modules():
        name = f"benchmarks.{module.name}"
        if importlib.util.find_spec(name) is None:
            print(f"\n{module.label}: no benchmark yet")
            continue
        print(f"\n== {module.label} ==")
        status |= importlib.import_module(name).main([])
    return status


if __name__ == "__main__":
    sys.exit(main())
