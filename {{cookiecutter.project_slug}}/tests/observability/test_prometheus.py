"""The operational half: Prometheus config and rules checked and unit-tested by the real promtool,
the SLO rules generated from their source, a dashboard whose every query parses and names only
exported metrics, Grafana provisioning and the Compose stack."""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from {{ cookiecutter.package_name }}.observability import ObservabilityError
from {{ cookiecutter.package_name }}.observability.slo import read_slos, render

PACKAGE = "{{ cookiecutter.package_name }}"
# Names Prometheus makes itself, not the app.
PROMETHEUS_OWN = {"up", "scrape_duration_seconds", "scrape_samples_scraped"}
PROMQL_WORDS = {
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "bool",
    "and",
    "or",
    "unless",
    "offset",
    "inf",
    "nan",
    "le",
    "atan2",
}


@pytest.fixture(scope="session")
def observability(project_root) -> Path:
    return project_root / "observability"


@pytest.fixture(scope="session")
def promtool(system_program) -> str:
    return system_program("promtool", "apt-get install prometheus (Debian, Ubuntu), or get it from prometheus.io")


def run(*command) -> subprocess.CompletedProcess:
    return subprocess.run([str(c) for c in command], capture_output=True, text=True, timeout=120)


def rules_of(folder: Path) -> list[dict]:
    return [
        rule
        for path in sorted(folder.glob("*.yml"))
        for group in yaml.safe_load(path.read_text())["groups"]
        for rule in group["rules"]
    ]


def dashboard_queries(observability: Path) -> list[str]:
    dashboard = json.loads((observability / "grafana" / "dashboards" / "api.json").read_text())
    return [target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])]


def metric_names(expression: str) -> set[str]:
    """The series names a PromQL expression reads: identifiers that are not functions, keywords,
    label names (inside braces or after by/without/on/ignoring) or durations."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expression)
    text = re.sub(r"\{[^}]*\}", "", text)
    text = re.sub(r"\[[^\]]*\]", "", text)
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    names = {
        match.group()
        for match in re.finditer(r"(?<![\w.])[A-Za-z_:][A-Za-z0-9_:]*", text)
        if not text[match.end() :].lstrip().startswith("(")  # a function
    }
    return {name for name in names if name.lower() not in PROMQL_WORDS}


def test_the_prometheus_config_and_every_rule_file_pass_promtool(observability, promtool):
    config = run(promtool, "check", "config", observability / "prometheus" / "prometheus.yml")
    assert config.returncode == 0, config.stdout + config.stderr
    rules = run(promtool, "check", "rules", *sorted((observability / "prometheus" / "rules").glob("*.yml")))
    assert rules.returncode == 0, rules.stdout + rules.stderr


def test_the_rule_unit_tests_pass(observability, promtool):
    tests = sorted((observability / "prometheus" / "tests").glob("*.test.yml"))
    assert len(tests) == 2
    result = run(promtool, "test", "rules", *tests)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_rule_test_that_expects_the_wrong_alert_fails(observability, promtool, tmp_path):
    """The unit tests can fail: the same tests with one expectation turned around do."""
    shutil.copytree(observability / "prometheus", tmp_path / "prometheus")
    test = tmp_path / "prometheus" / "tests" / "api.test.yml"
    test.write_text(
        test.read_text().replace(
            "      - eval_time: 3m\n        alertname: ApiDown\n        exp_alerts: []",
            "      - eval_time: 5m\n        alertname: ApiDown\n        exp_alerts: []",
            1,
        )
    )
    assert run(promtool, "test", "rules", test).returncode != 0


def test_every_alert_the_issue_names_has_a_rule(observability):
    alerts = {rule["alert"] for rule in rules_of(observability / "prometheus" / "rules") if "alert" in rule}
    assert {
        "LatencyP99High",
        "AvailabilityBudgetBurnFast",
        "ApiNoTraffic",
        "DataDriftDetected",
        "ModelNotReady",
    } <= alerts
    assert all(
        rule["labels"]["severity"] in ("page", "ticket")
        for rule in rules_of(observability / "prometheus" / "rules")
        if "alert" in rule
    )


def test_the_slo_rules_are_what_the_slo_file_generates(observability, project_root, package_env):
    slos = observability / "sli_slo" / "slos.yaml"
    assert (observability / "prometheus" / "rules" / "slo.rules.yml").read_text() == render(read_slos(slos), PACKAGE)
    check = subprocess.run(
        [sys.executable, "-m", PACKAGE, "slo-rules", "--check"],
        cwd=project_root,
        env=package_env,
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stderr


def test_slo_rules_check_fails_on_a_stale_file_and_the_command_rewrites_it(observability, tmp_path, capsys):
    from {{ cookiecutter.package_name }}.cli import main

    slos = tmp_path / "slos.yaml"
    slos.write_text((observability / "sli_slo" / "slos.yaml").read_text().replace("target: 0.995", "target: 0.999"))
    out = tmp_path / "slo.rules.yml"
    shutil.copy(observability / "prometheus" / "rules" / "slo.rules.yml", out)
    with pytest.raises(SystemExit) as exit_info:
        main(["slo-rules", "--slos", str(slos), "--out", str(out), "--check"])
    assert exit_info.value.code == 1
    main(["slo-rules", "--slos", str(slos), "--out", str(out)])
    assert "> 0.0144" in out.read_text()  # 14.4 x a 0.1% budget


def test_a_latency_threshold_that_is_not_a_bucket_boundary_is_refused(observability, tmp_path):
    slos = tmp_path / "slos.yaml"
    slos.write_text(
        (observability / "sli_slo" / "slos.yaml")
        .read_text()
        .replace("threshold_seconds: 0.5", "threshold_seconds: 0.3")
    )
    with pytest.raises(ObservabilityError, match="must be a bucket boundary"):
        read_slos(slos)


def test_every_metric_the_rules_and_the_dashboard_use_is_one_the_app_exports(observability, exercised, scrape):
    rules = rules_of(observability / "prometheus" / "rules")
    recorded = {rule["record"] for rule in rules if "record" in rule}
    used = {name for rule in rules for name in metric_names(rule["expr"])}
    used |= {name for query in dashboard_queries(observability) for name in metric_names(query)}
    exported = {s.name for s in scrape.samples(exercised.metrics)}
    assert used and not used - exported - recorded - PROMETHEUS_OWN, sorted(used - exported - recorded - PROMETHEUS_OWN)


def test_the_name_extraction_sees_what_it_must(observability):
    names = metric_names(
        'sum by (le, route) (rate(http_request_duration_seconds_bucket{job="api",le="0.5"}[5m])) / on() group_left up'
    )
    assert names == {"http_request_duration_seconds_bucket", "up"}


def test_every_dashboard_query_is_valid_promql(observability, promtool, tmp_path):
    queries = dashboard_queries(observability)
    rules = {
        "groups": [
            {
                "name": "dashboard",
                "rules": [
                    {"record": f"dashboard:query{i}", "expr": q.replace("$__rate_interval", "5m")}
                    for i, q in enumerate(queries)
                ],
            }
        ]
    }
    (tmp_path / "dashboard.yml").write_text(yaml.safe_dump(rules))
    result = run(promtool, "check", "rules", tmp_path / "dashboard.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(queries) >= 15


def test_grafana_provisions_the_datasource_the_dashboard_uses_and_loads_the_mounted_dashboards(observability):
    compose = yaml.safe_load((observability / "docker-compose.yml").read_text())
    datasource = yaml.safe_load(
        (observability / "grafana" / "provisioning" / "datasources" / "prometheus.yml").read_text()
    )
    provider = yaml.safe_load(
        (observability / "grafana" / "provisioning" / "dashboards" / "dashboards.yml").read_text()
    )
    dashboard = json.loads((observability / "grafana" / "dashboards" / "api.json").read_text())
    [source] = datasource["datasources"]
    used = {target["datasource"]["uid"] for panel in dashboard["panels"] for target in panel.get("targets", [])}
    assert used == {source["uid"]}
    assert source["url"] == "http://prometheus:9090" and "prometheus" in compose["services"]
    mounts = {m["target"]: m["source"] for m in compose["services"]["grafana"]["volumes"] if isinstance(m, dict)}
    [dashboards] = provider["providers"]
    assert mounts[dashboards["options"]["path"]] == "./grafana/dashboards"
    assert mounts["/etc/grafana/provisioning"] == "./grafana/provisioning"


def test_the_compose_stack_is_valid_per_the_compose_spec(observability, assert_valid_per_schema):
    assert_valid_per_schema("vendor.compose-spec", observability / "docker-compose.yml")


def test_prometheus_scrapes_the_api_service_under_the_job_the_rules_select(observability):
    compose = yaml.safe_load((observability / "docker-compose.yml").read_text())
    config = yaml.safe_load((observability / "prometheus" / "prometheus.yml").read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    [target] = jobs["api"]["static_configs"][0]["targets"]
    service, port = target.split(":")
    assert service in compose["services"] and compose["services"][service]["ports"][0].endswith(f":{port}")
    selected = set(re.findall(r'job="([^"]+)"', (observability / "prometheus" / "rules" / "api.rules.yml").read_text()))
    assert selected == {"api"} == {read_slos(observability / "sli_slo" / "slos.yaml")["job"]}
    mounts = {m["target"]: m["source"] for m in compose["services"]["prometheus"]["volumes"] if isinstance(m, dict)}
    assert mounts["/etc/prometheus"] == "./prometheus"
    assert compose["services"]["api"]["environment"]["LOG_FORMAT"] == "json"
