"""The load scenarios of `performance/load_testing/scenarios.yaml`: stages of users over time.

Pure data and arithmetic, so it is tested without Locust; the locustfile's shape class asks
`users_at` every second what the load should be. A scenario is a list of stages, each holding
`users` for `seconds`, reached at `spawn_rate` users per second; `time_scale` shrinks every
stage (a CI run of the spike in seconds, say) without changing its shape.
"""

from dataclasses import dataclass
from pathlib import Path

import yaml

from . import PerformanceError


@dataclass(frozen=True)
class Stage:
    seconds: float
    users: int
    spawn_rate: float


def load_scenarios(path: Path) -> dict[str, list[Stage]]:
    """Every scenario of a scenarios file, checked: positive durations, users and spawn rates."""
    data = yaml.safe_load(Path(path).read_text()) or {}
    scenarios = {}
    for name, scenario in data.items():
        try:
            stages = [Stage(float(s["seconds"]), int(s["users"]), float(s["spawn_rate"])) for s in scenario["stages"]]
        except (KeyError, TypeError, ValueError) as error:
            message = f"{path}: scenario {name!r} needs stages of seconds, users, spawn_rate ({error})"
            raise PerformanceError(message) from None
        if not stages or any(s.seconds <= 0 or s.users < 1 or s.spawn_rate <= 0 for s in stages):
            raise PerformanceError(f"{path}: scenario {name!r} needs stages with positive seconds, users, spawn_rate")
        scenarios[name] = stages
    return scenarios


def scenario(path: Path, name: str) -> list[Stage]:
    scenarios = load_scenarios(path)
    if name not in scenarios:
        raise PerformanceError(f"unknown load scenario {name!r}; {path} defines {', '.join(sorted(scenarios))}")
    return scenarios[name]


def users_at(stages: list[Stage], elapsed: float, time_scale: float = 1.0) -> tuple[int, float] | None:
    """(users, spawn_rate) for the moment `elapsed` seconds into the run, or None once it is over."""
    end = 0.0
    for stage in stages:
        end += stage.seconds * time_scale
        if elapsed < end:
            return stage.users, stage.spawn_rate
    return None


def duration(stages: list[Stage], time_scale: float = 1.0) -> float:
    return sum(stage.seconds for stage in stages) * time_scale
