"""The scale-out Kubernetes manifests render with kustomize, pass Kubernetes' schemas, and agree
with each other and with the commands they run."""

import re
import subprocess

import pytest
import yaml
from torch.distributed.run import get_args_parser

from {{ cookiecutter.package_name }}.cli import build_parser

SLUG = "{{ cookiecutter.project_slug }}"


@pytest.fixture(scope="module")
def manifests(project_root, tmp_path_factory, system_program) -> dict[tuple[str, str], dict]:
    kubectl = system_program("kubectl", "it renders the manifests (`kubectl kustomize`)")
    folder = project_root / "infrastructure" / "kubernetes" / "scale_out"
    rendered = subprocess.run([kubectl, "kustomize", str(folder)], capture_output=True, text=True, check=True).stdout
    path = tmp_path_factory.mktemp("k8s") / "scale_out.yaml"
    path.write_text(rendered)
    return {"path": path, **{(doc["kind"], doc["metadata"]["name"]): doc for doc in yaml.safe_load_all(rendered)}}


def container(workload: dict) -> dict:
    [only] = workload["spec"]["template"]["spec"]["containers"]
    return only


def test_every_rendered_manifest_passes_the_kubernetes_schema_strictly(manifests, dev_tool):
    command = [dev_tool("kubernetes-validate"), "--strict", "--quiet", str(manifests["path"])]
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(manifests) - 1 == 9


def test_training_pods_find_the_rendezvous_through_the_headless_service(manifests):
    job, service = manifests[("Job", f"{SLUG}-train")], manifests[("Service", f"{SLUG}-train")]
    spec, pod = job["spec"], job["spec"]["template"]["spec"]
    assert spec["completionMode"] == "Indexed" and spec["completions"] == spec["parallelism"] == 2
    assert service["spec"]["clusterIP"] == "None" and service["spec"]["publishNotReadyAddresses"] is True
    assert pod["subdomain"] == service["metadata"]["name"]
    assert service["spec"]["selector"] == {"batch.kubernetes.io/job-name": job["metadata"]["name"]}
    train = container(job)
    assert "--node-rank=$(NODE_RANK)" in train["args"]  # Kubernetes expands it from the env below
    args = get_args_parser().parse_args([arg.replace("$(NODE_RANK)", "1") for arg in train["args"]])  # torchrun
    assert args.nnodes == "2" and args.node_rank == 1
    assert args.master_addr == f"{job['metadata']['name']}-0.{service['metadata']['name']}"
    assert int(args.master_port) == service["spec"]["ports"][0]["port"] == train["ports"][0]["containerPort"]
    [rank] = [env for env in train["env"] if env["name"] == "NODE_RANK"]
    assert "job-completion-index" in rank["valueFrom"]["fieldRef"]["fieldPath"]
    assert (
        args.module
        and build_parser().parse_args([args.training_script, *args.training_script_args][1:]).command == "train"
    )


def test_the_ray_cluster_and_the_batch_driver_meet_at_the_head_with_one_token(manifests):
    head = manifests[("Service", f"{SLUG}-ray-head")]
    address = f"{head['metadata']['name']}:{head['spec']['ports'][0]['port']}"
    worker = container(manifests[("Deployment", f"{SLUG}-ray-worker")])
    assert f"--address={address}" in worker["args"]
    driver = container(manifests[("Job", f"{SLUG}-batch-predict")])
    args = build_parser().parse_args(driver["args"])
    assert (args.command, args.engine, args.ray_address) == ("batch-predict", "ray", address)
    head_pods = manifests[("Deployment", f"{SLUG}-ray-head")]["spec"]["template"]["metadata"]["labels"]
    assert head["spec"]["selector"].items() <= head_pods.items()
    for ray_container in (container(manifests[("Deployment", f"{SLUG}-ray-head")]), worker, driver):
        secrets = {
            env["name"]: env["valueFrom"]["secretKeyRef"]["name"] for env in ray_container["env"] if "valueFrom" in env
        }
        assert secrets == {"RAY_AUTH_TOKEN": f"{SLUG}-ray-auth"}


def test_every_volume_claim_a_workload_mounts_is_defined_and_every_pod_runs_as_non_root(manifests):
    claims = {key[1] for key in manifests if key[0] == "PersistentVolumeClaim"}
    for key, doc in manifests.items():
        if key == "path" or doc["kind"] not in ("Job", "Deployment"):
            continue
        pod = doc["spec"]["template"]["spec"]
        used = {v["persistentVolumeClaim"]["claimName"] for v in pod.get("volumes", []) if "persistentVolumeClaim" in v}
        assert used <= claims, key
        assert pod["securityContext"]["runAsNonRoot"] is True, key
        assert container(doc)["securityContext"]["allowPrivilegeEscalation"] is False, key
        assert re.fullmatch(rf"ghcr\.io/.+/{SLUG}:(batch|cuda)", container(doc)["image"]), key
