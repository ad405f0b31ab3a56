"""Run the core and audit benchmarks, then each registered module's (``benchmarks/<module name>.py``).

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
