"""The Terraform modules and the per-environment roots, checked offline: formatting (`terraform fmt`),
parsing, and every cross-reference that `terraform validate` would check between modules (the
generated CI runs `terraform validate` itself, where the AWS provider can be downloaded). Also
that they agree with the Kubernetes manifests: registry names, the service account, the GPU pool."""

import functools
import re
import subprocess
from pathlib import Path

import pytest
import yaml

try:
    import hcl2
except ImportError:
    pytest.fail("python-hcl2 is not installed: pip install -e '.[dev]'", pytrace=False)

PROJECT = Path(__file__).resolve().parents[2]
TERRAFORM = PROJECT / "infrastructure" / "terraform"
KUBERNETES = PROJECT / "infrastructure" / "kubernetes"
MODULES = sorted(path for path in (TERRAFORM / "modules").iterdir() if path.is_dir())
ROOTS = sorted(path for path in (TERRAFORM / "environments").iterdir() if path.is_dir())
SAME_IN_EVERY_ROOT = ("main.tf", "variables.tf", "outputs.tf", "versions.tf")
META_ARGUMENTS = {"source", "version", "providers", "depends_on", "count", "for_each"}
REFERENCE = re.compile(r"\b(var|local|module)\.([A-Za-z_][\w-]*)(?:\.([A-Za-z_][\w-]*))?")


def plain(value):
    """python-hcl2's output without its markers (`__is_block__`, `__comments__`) or the quotes it keeps
    around names and strings."""
    if isinstance(value, dict):
        return {plain(key): plain(item) for key, item in value.items() if not key.startswith("__")}
    if isinstance(value, list):
        return [plain(item) for item in value]
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


@functools.cache
def parse(path: Path) -> dict:
    with path.open() as file:
        return plain(hcl2.load(file))


def blocks(parsed: dict, kind: str) -> dict:
    """Named blocks of one kind (variable, output, module) merged into name -> body."""
    return {name: body for block in parsed.get(kind, []) for name, body in block.items()}


class Folder:
    """What one Terraform folder declares and references."""

    def __init__(self, path: Path):
        self.path = path
        files = [parse(tf) for tf in sorted(path.glob("*.tf"))]
        self.variables = {k: v for f in files for k, v in blocks(f, "variable").items()}
        self.outputs = {k: v for f in files for k, v in blocks(f, "output").items()}
        self.modules = {k: v for f in files for k, v in blocks(f, "module").items()}
        self.locals = {k: v for f in files for block in f.get("locals", []) for k, v in block.items()}
        self.references = {match for f in files for text in strings(f) for match in REFERENCE.findall(text)}

    def uses(self, kind: str) -> set[str]:
        return {name for found_kind, name, _ in self.references if found_kind == kind}


def strings(value) -> list[str]:
    """Every string in a parsed file, keys included (a key may hold an expression: "${var.x}")."""
    if isinstance(value, dict):
        return [text for key, item in value.items() for text in [key, *strings(item)]]
    if isinstance(value, list):
        return [text for item in value for text in strings(item)]
    return [value] if isinstance(value, str) else []


ALL = [*MODULES, *ROOTS]
IDS = [path.relative_to(TERRAFORM).as_posix() for path in ALL]


@pytest.fixture(scope="module")
def terraform(system_program) -> str:
    return system_program("terraform", "these tests run `terraform fmt` (no provider needed)")


def test_the_terraform_files_are_formatted(terraform):
    result = subprocess.run(
        [terraform, "fmt", "-check", "-recursive", "-diff", str(TERRAFORM)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, (
        f"run `terraform fmt -recursive infrastructure/terraform`:\n{result.stdout}{result.stderr}"
    )


def test_every_terraform_file_and_backend_config_parses():
    files = [*TERRAFORM.rglob("*.tf"), *TERRAFORM.rglob("*.tfvars"), *TERRAFORM.rglob("*.hcl")]
    assert len(files) >= 20
    for path in files:
        assert parse(path) is not None, path


@pytest.mark.parametrize("folder", ALL, ids=IDS)
def test_every_reference_names_a_declared_variable_local_or_module(folder):
    found = Folder(folder)
    assert found.uses("var") - set(found.variables) == set(), "var.* that no variable block declares"
    assert found.uses("local") - set(found.locals) == set(), "local.* that no locals block declares"
    assert found.uses("module") - set(found.modules) == set(), "module.* that no module block declares"


@pytest.mark.parametrize("folder", ALL, ids=IDS)
def test_every_declared_variable_is_used_and_described(folder):
    found = Folder(folder)
    assert set(found.variables) - found.uses("var") == set(), "variables nothing reads"
    assert all(body.get("description") for body in [*found.variables.values(), *found.outputs.values()])


@pytest.mark.parametrize("root", ROOTS, ids=lambda path: path.name)
def test_module_calls_pass_what_each_module_declares_and_read_only_outputs_it_has(root):
    found = Folder(root)
    assert found.modules
    for name, call in found.modules.items():
        module = Folder((root / call["source"]).resolve())
        passed = set(call) - META_ARGUMENTS
        required = {variable for variable, body in module.variables.items() if "default" not in body}
        assert passed - set(module.variables) == set(), f"module {name}: arguments it does not declare"
        assert required - passed == set(), f"module {name}: required variables not passed"
    for kind, module_name, output in found.references:
        if kind == "module":
            module = Folder((root / found.modules[module_name]["source"]).resolve())
            assert output in module.outputs, f"module.{module_name}.{output} is not an output of that module"


@pytest.mark.parametrize("root", ROOTS, ids=lambda path: path.name)
def test_each_root_sets_every_variable_it_declares_and_no_other(root):
    declared = Folder(root).variables
    values = parse(root / "terraform.tfvars")
    required = {name for name, body in declared.items() if "default" not in body}
    assert set(values) - set(declared) == set(), "terraform.tfvars sets variables the root does not declare"
    assert required - set(values) == set(), "terraform.tfvars leaves required variables unset"


def test_the_roots_are_the_environments_of_environments_that_run_in_the_cloud():
    environments = {path.parent.name for path in (PROJECT / "environments").glob("*/config.yaml")}
    assert {root.name for root in ROOTS} == environments - {"local"}


@pytest.mark.parametrize("root", ROOTS, ids=lambda path: path.name)
def test_each_root_is_the_environment_its_folder_names_with_its_own_state(root):
    assert parse(root / "terraform.tfvars")["environment"] == root.name
    backend = parse(root / "backend.hcl")
    assert backend["key"] == f"{root.name}/terraform.tfstate" and backend["use_lockfile"] is True
    assert len({parse(r / "backend.hcl")["key"] for r in ROOTS}) == len(ROOTS)


@pytest.mark.parametrize("name", SAME_IN_EVERY_ROOT)
def test_the_roots_differ_only_in_their_values(name):
    texts = {root.name: (root / name).read_text() for root in ROOTS}
    assert len(set(texts.values())) == 1, f"{name} differs between {sorted(texts)}: change all of them together"


# --- Agreement with the Kubernetes manifests ----------------------------------------------------


def kustomization(overlay: str) -> dict:
    return yaml.safe_load((KUBERNETES / "overlays" / overlay / "kustomization.yaml").read_text())


@pytest.mark.parametrize("root", ROOTS, ids=lambda path: path.name)
def test_each_overlay_pulls_from_the_repositories_terraform_creates_in_its_environments_region(root):
    values = parse(root / "terraform.tfvars")
    registry = r"\d{12}\.dkr\.ecr\." + re.escape(values["region"]) + r"\.amazonaws\.com"
    name = f"{values['project']}-{root.name}"  # the registry module's repositories: <name> and <name>-web
    images = {image["name"]: image["newName"] for image in kustomization(root.name)["images"]}
    assert re.fullmatch(f"{registry}/{re.escape(name)}", images[values["project"]])
    assert re.fullmatch(f"{registry}/{re.escape(name)}-web", images[f"{values['project']}-web"])
    module = (TERRAFORM / "modules" / "container_registry" / "main.tf").read_text()
    assert "api = var.name" in module and 'web = "${var.name}-web"' in module


@pytest.mark.parametrize("root", ROOTS, ids=lambda path: path.name)
def test_terraform_gives_its_role_to_the_service_account_the_api_runs_as(root):
    values = parse(root / "terraform.tfvars")
    base = yaml.safe_load((KUBERNETES / "base" / "kustomization.yaml").read_text())
    account = yaml.safe_load((KUBERNETES / "base" / "serviceaccount.yaml").read_text())
    deployment = yaml.safe_load((KUBERNETES / "base" / "api-deployment.yaml").read_text())
    assert values["kubernetes_namespace"] == base["namespace"]
    assert values["kubernetes_service_account"] == account["metadata"]["name"]
    assert deployment["spec"]["template"]["spec"]["serviceAccountName"] == account["metadata"]["name"]


def test_the_gpu_component_selects_and_tolerates_what_terraform_gives_the_gpu_pool():
    cluster = Folder(TERRAFORM / "modules" / "cluster")
    label, taint = cluster.locals["gpu_label"], cluster.locals["gpu_taint"]
    patch = yaml.safe_load((KUBERNETES / "components" / "gpu" / "api-on-gpu.yaml").read_text())
    pod = patch["spec"]["template"]["spec"]
    assert pod["nodeSelector"] == label
    [toleration] = pod["tolerations"]
    assert toleration["key"] == taint["key"]
    assert toleration["effect"] == "".join(word.capitalize() for word in taint["effect"].split("_"))


def test_ci_validates_every_root_with_the_provider_and_every_overlay(assert_valid_per_schema):
    workflow = PROJECT / ".github" / "workflows" / "infrastructure.yml"
    assert_valid_per_schema("vendor.github-workflows", workflow)
    jobs = yaml.safe_load(workflow.read_text())["jobs"]
    assert sorted(jobs["terraform"]["strategy"]["matrix"]["environment"]) == [root.name for root in ROOTS]
    commands = [step.get("run", "") for step in jobs["terraform"]["steps"]]
    assert "terraform init -backend=false -input=false" in commands
    assert any(command.startswith("terraform validate") for command in commands)
    assert "kubernetes-validate --strict" in " ".join(step.get("run", "") for step in jobs["kubernetes"]["steps"])
