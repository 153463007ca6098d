"""The Kubernetes manifests: every overlay renders with `kubectl kustomize`, every object passes
strict schema validation, and what they deploy agrees with the rest of the project (environments,
images, API contract, settings names)."""

import dataclasses
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from {{ cookiecutter.package_name }} import extensions
from {{ cookiecutter.package_name }}.settings import ServeSettings

PROJECT = Path(__file__).resolve().parents[2]
KUBERNETES = PROJECT / "infrastructure" / "kubernetes"
OVERLAYS = sorted(path.name for path in (KUBERNETES / "overlays").iterdir() if path.is_dir())
ENVIRONMENTS = sorted(path.parent.name for path in (PROJECT / "environments").glob("*/config.yaml"))
HOSTED = [name for name in ENVIRONMENTS if name != "local"]
PACKAGE = "{{ cookiecutter.package_name }}"
SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|PRIVATE|CREDENTIAL|USERNAME|(^|_)KEY$|ACCESS_KEY")
CONTRACT = PROJECT / "api_contracts" / "openapi" / "v1" / "openapi.json"


def read_env_file(path: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if line.strip() and not line.startswith("#"))
    return {key: value for key, value in pairs}


def validator() -> str:
    found = shutil.which("kubernetes-validate") or shutil.which(
        "kubernetes-validate", path=str(Path(sys.executable).parent)
    )
    if found is None:
        pytest.fail("kubernetes-validate is not installed: pip install -e '.[dev]'", pytrace=False)
    return found


@pytest.fixture(scope="module")
def kubectl(system_program) -> str:
    return system_program("kubectl", "these tests render the overlays with `kubectl kustomize`")


@pytest.fixture(scope="module")
def rendered(kubectl) -> dict[str, str]:
    """Each overlay (and the base) as `kubectl kustomize` renders it: the YAML a cluster would get."""
    out = {}
    for name, folder in [("base", KUBERNETES / "base"), *((o, KUBERNETES / "overlays" / o) for o in OVERLAYS)]:
        result = subprocess.run([kubectl, "kustomize", str(folder)], capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, f"kubectl kustomize {folder.relative_to(PROJECT)}:\n{result.stderr}"
        out[name] = result.stdout
    return out


def objects(rendered: dict[str, str], overlay: str) -> list[dict]:
    return [doc for doc in yaml.safe_load_all(rendered[overlay]) if doc]


def one(rendered, overlay: str, kind: str, name: str) -> dict:
    [found] = [o for o in objects(rendered, overlay) if o["kind"] == kind and o["metadata"]["name"] == name]
    return found


def config_of(rendered, overlay: str) -> dict[str, str]:
    [config] = [
        o
        for o in objects(rendered, overlay)
        if o["kind"] == "ConfigMap" and o["metadata"]["name"].startswith("api-config")
    ]
    return config["data"]


def api_container(rendered, overlay: str) -> dict:
    return one(rendered, overlay, "Deployment", "api")["spec"]["template"]["spec"]["containers"][0]


def dockerfile_user(path: Path) -> int:
    return int(re.search(r"^USER (\d+)", path.read_text(), re.MULTILINE)[1])


# --- Rendering and validation --------------------------------------------------------------------


def test_there_is_one_overlay_per_environment_and_one_for_gpus():
    assert sorted([*ENVIRONMENTS, "gpu"]) == OVERLAYS


@pytest.fixture(scope="module")
def validation(rendered, tmp_path_factory) -> dict[str, list[str]]:
    """`kubernetes-validate --strict` over every rendered overlay, the secret template and a manifest
    with a misspelt field, in one run (the tool takes seconds to start): its report, per file."""
    folder = tmp_path_factory.mktemp("manifests")
    files = {name: folder / f"{name}.yaml" for name in rendered}
    for name, text in rendered.items():
        files[name].write_text(text)
    typo = yaml.safe_load((KUBERNETES / "base" / "api-deployment.yaml").read_text())
    typo["spec"]["replica"] = typo["spec"].pop("replicas")
    files["typo"] = folder / "typo.yaml"
    files["typo"].write_text(yaml.safe_dump(typo))
    files["secret"] = KUBERNETES / "base" / "secret.template.yaml"
    result = subprocess.run([validator(), "--strict", *map(str, files.values())], capture_output=True, text=True)
    lines = result.stdout.splitlines()
    return {name: [line for line in lines if f" {path} " in f"{line} "] for name, path in files.items()}


@pytest.mark.parametrize("overlay", ["base", *OVERLAYS])
def test_every_object_of_every_overlay_passes_strict_schema_validation(rendered, validation, overlay):
    report = validation[overlay]
    problems = [line for line in report if not line.startswith("INFO")]  # ERROR, and WARN: no schema for a kind
    assert problems == []
    assert len(report) == len(objects(rendered, overlay)), "an object was not validated"


def test_strict_validation_catches_a_misspelt_field(validation):
    [line] = validation["typo"]
    assert line.startswith("ERROR") and "'replica' was unexpected" in line


def test_the_secret_template_validates_and_holds_no_value(validation):
    [line] = validation["secret"]
    assert line.startswith("INFO") and "secret/api-secrets" in line
    secret = yaml.safe_load((KUBERNETES / "base" / "secret.template.yaml").read_text())
    assert secret["stringData"] and set(secret["stringData"].values()) == {""}
    assert "secret.template.yaml" not in (KUBERNETES / "base" / "kustomization.yaml").read_text()


# --- What runs, and how -------------------------------------------------------------------------


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_container_runs_as_non_root_with_a_read_only_root_no_capabilities_and_bounded_resources(
    rendered, overlay
):
    namespace = one(rendered, overlay, "Namespace", "{{ cookiecutter.project_slug }}")
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    for deployment in (o for o in objects(rendered, overlay) if o["kind"] == "Deployment"):
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
        for container in pod["containers"]:
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True and context["allowPrivilegeEscalation"] is False
            assert context["capabilities"]["drop"] == ["ALL"]
            assert {"cpu", "memory"} <= set(container["resources"]["requests"]) & set(container["resources"]["limits"])
            assert any(mount["mountPath"] == "/tmp" for mount in container["volumeMounts"])


def test_the_pods_run_as_the_users_their_images_declare(rendered):
    api = one(rendered, "production", "Deployment", "api")["spec"]["template"]["spec"]["securityContext"]
    web = one(rendered, "production", "Deployment", "web")["spec"]["template"]["spec"]["securityContext"]
    assert (
        api["runAsUser"]
        == dockerfile_user(PROJECT / "docker" / "Dockerfile.cpu")
        == dockerfile_user(PROJECT / "docker" / "Dockerfile.cuda")
    )
    assert web["runAsUser"] == dockerfile_user(PROJECT / "frontend" / "Dockerfile")


def test_readiness_asks_ready_liveness_asks_health_and_both_are_routes_of_the_api(rendered):
    contract = json.loads(CONTRACT.read_text())["paths"]
    api = api_container(rendered, "production")
    assert api["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert api["livenessProbe"]["httpGet"]["path"] == "/health"
    assert api["startupProbe"]["httpGet"]["path"] == "/health"
    assert {"/ready", "/health"} <= set(contract)
    assert api["ports"][0]["containerPort"] == 8000


def test_the_autoscaler_scales_the_api_on_cpu_and_on_its_request_rate(rendered):
    hpa = one(rendered, "production", "HorizontalPodAutoscaler", "api")
    assert hpa["spec"]["scaleTargetRef"]["name"] == "api"
    metrics = {m["type"]: m for m in hpa["spec"]["metrics"]}
    assert metrics["Resource"]["resource"]["name"] == "cpu"
    assert metrics["Pods"]["pods"]["metric"]["name"] == "http_requests_per_second"
    assert 1 <= hpa["spec"]["minReplicas"] < hpa["spec"]["maxReplicas"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_services_and_disruption_budgets_select_the_pods_of_their_deployment(rendered, overlay):
    for component in ("api", "web"):
        labels = one(rendered, overlay, "Deployment", component)["spec"]["template"]["metadata"]["labels"]
        service = one(rendered, overlay, "Service", component)["spec"]["selector"]
        budget = one(rendered, overlay, "PodDisruptionBudget", component)["spec"]["selector"]["matchLabels"]
        assert service.items() <= labels.items() and budget.items() <= labels.items()
        assert service["app.kubernetes.io/component"] == component


def test_the_ingress_sends_every_route_of_the_contract_to_the_api_and_the_rest_to_the_page(rendered):
    contract = json.loads(CONTRACT.read_text())["paths"]
    [rule] = one(rendered, "production", "Ingress", "{{ cookiecutter.project_slug }}")["spec"]["rules"]
    routes = [(p["path"], p["pathType"], p["backend"]["service"]["name"]) for p in rule["http"]["paths"]]

    def backend(path: str) -> str:
        matches = [
            (len(r), s)
            for r, kind, s in routes
            if path == r or (kind == "Prefix" and path.startswith(r.rstrip("/") + "/"))
        ]
        return max(matches)[1]

    for path in [*contract, "/openapi.json", "/docs"]:
        assert backend(path) == "api", path
    assert backend("/") == "web" and backend("/assets/index.js") == "web"


@pytest.mark.parametrize("overlay", HOSTED)
def test_hosted_environments_have_their_own_host_with_tls(rendered, overlay):
    ingress = one(rendered, overlay, "Ingress", "{{ cookiecutter.project_slug }}")["spec"]
    [rule] = ingress["rules"]
    [tls] = ingress["tls"]
    assert tls["hosts"] == [rule["host"]]
    hosts = {one(rendered, o, "Ingress", "{{ cookiecutter.project_slug }}")["spec"]["rules"][0]["host"] for o in HOSTED}
    assert len(hosts) == len(HOSTED)


# --- Agreement with environments/ ------------------------------------------------------------------


def known_names() -> set[str]:
    """Every variable the project reads: the serve settings' (core and extensions), those the
    environments' .env examples name, and those the images set (ENV in the Dockerfiles)."""
    settings_env = {
        field.metadata["env"]
        for cls in (ServeSettings, *extensions.settings_classes())
        for field in dataclasses.fields(cls)
        if field.metadata.get("env")
    }
    examples = {key for name in ENVIRONMENTS for key in read_env_file(PROJECT / "environments" / name / ".env.example")}
    image_env = set(
        re.findall(r"^\s*(?:ENV\s+)?([A-Z_]+)=", (PROJECT / "docker" / "Dockerfile.cpu").read_text(), re.MULTILINE)
    )
    return settings_env | examples | image_env


@pytest.mark.parametrize("overlay", ENVIRONMENTS)
def test_each_overlay_configures_its_environment_by_the_names_the_project_reads(rendered, overlay):
    config = config_of(rendered, overlay)
    example = read_env_file(PROJECT / "environments" / overlay / ".env.example")
    assert set(config) <= known_names(), f"unknown names: {set(config) - known_names()}"
    assert config["APP_ENV"] == example["APP_ENV"] == overlay
    assert not [key for key in config if SECRET_NAME.search(key)], "credentials belong in the Secret"
    if "MLFLOW_TRACKING_URI" in config:
        assert config["MLFLOW_TRACKING_URI"] == example["MLFLOW_TRACKING_URI"]


def test_the_local_overlay_serves_the_checkpoint_local_training_writes_from_a_read_only_mount(rendered):
    assert (
        config_of(rendered, "local")["MODEL_PATH"]
        == read_env_file(PROJECT / "environments" / "local" / ".env.example")["MODEL_PATH"]
    )
    workdir = re.findall(r"^WORKDIR (\S+)", (PROJECT / "docker" / "Dockerfile.cpu").read_text(), re.MULTILINE)[-1]
    [mount] = [m for m in api_container(rendered, "local")["volumeMounts"] if m["name"] == "models"]
    assert (mount["mountPath"], mount["readOnly"]) == (f"{workdir}/models", True)
    claim = one(rendered, "local", "PersistentVolumeClaim", "models")
    volume = one(rendered, "local", "PersistentVolume", claim["spec"]["volumeName"])
    assert volume["spec"]["accessModes"] == claim["spec"]["accessModes"] == ["ReadOnlyMany"]


@pytest.mark.parametrize("overlay", HOSTED)
def test_hosted_overlays_serve_the_registry_version_their_environment_promotes(rendered, overlay):
    assert config_of(rendered, overlay)["MODEL_PATH"] == f"models:/{PACKAGE}@{overlay}"
    assert "mlops" in extensions.INSTALLED, "models:/ references need the mlops extension"


def test_the_secret_template_holds_exactly_the_credentials_the_env_examples_leave_empty():
    secret = yaml.safe_load((KUBERNETES / "base" / "secret.template.yaml").read_text())
    credentials = {
        key
        for name in HOSTED
        for key, value in read_env_file(PROJECT / "environments" / name / ".env.example").items()
        if SECRET_NAME.search(key) and value == ""
    }
    assert set(secret["stringData"]) == credentials


def test_the_api_reads_its_config_and_the_optional_secret_of_the_template(rendered):
    secret = yaml.safe_load((KUBERNETES / "base" / "secret.template.yaml").read_text())
    sources = api_container(rendered, "production")["envFrom"]
    assert sources[0]["configMapRef"]["name"].startswith("api-config-")
    assert sources[1]["secretRef"] == {"name": secret["metadata"]["name"], "optional": True}
    assert secret["metadata"]["namespace"] == one(rendered, "production", "Deployment", "api")["metadata"]["namespace"]


def test_the_gpu_overlay_asks_for_one_gpu_on_gpu_nodes_with_the_cuda_image(rendered):
    api = api_container(rendered, "gpu")
    pod = one(rendered, "gpu", "Deployment", "api")["spec"]["template"]["spec"]
    assert api["resources"]["limits"]["nvidia.com/gpu"] == 1
    assert api["image"].endswith("-cuda")
    assert config_of(rendered, "gpu")["DEVICE"] == "cuda"
    assert pod["nodeSelector"] and pod["tolerations"][0]["key"] == "nvidia.com/gpu"
    assert "nvidia.com/gpu" not in api_container(rendered, "production")["resources"]["limits"]
    assert {k: v for k, v in config_of(rendered, "gpu").items() if k != "DEVICE"} == {
        k: v for k, v in config_of(rendered, "production").items() if k != "DEVICE"
    }
