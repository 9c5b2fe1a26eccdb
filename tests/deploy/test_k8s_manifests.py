"""The Kubernetes manifests under deploy/k8s: rendered, validated against schemas, and checked
for what the project requires of them.

Offline: the core objects are validated with kubernetes-validate (its schemas ship in the wheel)
for each Kubernetes version in K8S_VERSIONS, in strict mode (an unknown field is an error); the
operators' objects (Strimzi, Prometheus Operator, redis-operator) against the CRD schemas copied
into deploy/k8s/crds/ (deploy/k8s/crds/README.md says from where), with `jsonschema`.

The overlays are rendered by the small renderer below, which does only what the overlays use
(resources, namespace, images, replicas, JSON 6902 patches of add/replace/test) and refuses any
other kustomization field. Where a `kubectl` (with its built-in kustomize) is on the PATH, one
test also renders every overlay with it and requires the same objects; without it that one test
is skipped and says so.
"""

from __future__ import annotations

import ast
import copy
import functools
import hashlib
import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml
from antre_contracts.survey import SURVEY_ANSWERS
from antre_contracts.topics import DEAD_LETTERS, QUEUE_EVENTS
from display.config import Settings as DisplaySettings
from kubernetes_validate.utils import SchemaNotFoundError
from notifier.config import Settings as NotifierSettings
from survey.config import Settings as SurveySettings
from ticketing.config import Settings as TicketingSettings

REPO = Path(__file__).resolve().parents[2]
K8S = REPO / "deploy" / "k8s"
CRDS = K8S / "crds"
BASE = K8S / "base"
OVERLAYS = sorted(p.parent for p in (K8S / "overlays").glob("*/kustomization.yaml"))
BUILDS = [BASE, *OVERLAYS]

# The three newest Kubernetes minor versions whose schemas kubernetes-validate 1.37.0 ships.
K8S_VERSIONS = ("1.35", "1.36", "1.37")

SERVICES = {
    "ticketing": ("TICKETING_", TicketingSettings, 8001),
    "display": ("DISPLAY_", DisplaySettings, 8002),
    "notifier": ("NOTIFIER_", NotifierSettings, 8003),
    "survey": ("SURVEY_", SurveySettings, 8004),
}
# Per service: its Redis and the fsync rule the layout chose for it.
REDIS_FSYNC = {
    "ticketing": "always",
    "display": "everysec",
    "notifier": "everysec",
    "survey": "always",
}
SECRET_NAME = re.compile(r"KEY|SECRET|PASSWORD|TOKEN")
Obj = dict[str, Any]


# --- loading and rendering ------------------------------------------------------------------


class StrictLoader(yaml.SafeLoader):
    """A SafeLoader that refuses a key given twice in one mapping (plain PyYAML keeps the last,
    silently, where the API server or kustomize might keep another)."""


def _no_duplicates(loader: StrictLoader, node: yaml.MappingNode, deep: bool = False) -> Obj:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _no_duplicates)


def load_yaml(text: str) -> list[Any]:
    return [doc for doc in yaml.load_all(text, Loader=StrictLoader) if doc is not None]


def load_file(path: Path) -> list[Any]:
    return load_yaml(path.read_text(encoding="utf-8"))


KUSTOMIZATION_FIELDS = {"apiVersion", "kind", "resources", "namespace", "images", "replicas"}
KUSTOMIZATION_FIELDS |= {"patches"}
PATCH_OPS = {"add", "replace", "test"}


def render(directory: Path) -> list[Obj]:
    """What `kustomize build directory` gives for the subset of Kustomize these use."""
    (kustomization,) = load_file(directory / "kustomization.yaml")
    unknown = set(kustomization) - KUSTOMIZATION_FIELDS
    assert not unknown, f"{directory}: the renderer does not do {sorted(unknown)}"
    assert kustomization["kind"] == "Kustomization"
    objects: list[Obj] = []
    for entry in kustomization.get("resources", []):
        path = directory / entry
        objects.extend(render(path) if path.is_dir() else load_file(path))
    for patch in kustomization.get("patches", []):
        assert set(patch) == {"path", "target"}, f"{directory}: only JSON 6902 patch files"
        ops = load_file(directory / patch["path"])[0]
        targets = [o for o in objects if _matches(o, patch["target"])]
        assert len(targets) == 1, f"{directory}: patch {patch['path']} matches {len(targets)}"
        for op in ops:
            apply_json6902(targets[0], op)
    if "namespace" in kustomization:
        for obj in objects:
            obj["metadata"]["namespace"] = kustomization["namespace"]
    for rule in kustomization.get("replicas", []):
        hits = [o for o in objects if o["kind"] == "Deployment" and _name(o) == rule["name"]]
        assert hits, f"{directory}: replicas for unknown {rule['name']}"
        for obj in hits:
            obj["spec"]["replicas"] = rule["count"]
    for rule in kustomization.get("images", []):
        assert set(rule) <= {"name", "newName", "newTag"}, rule
        for container in _containers(objects):
            if _image_name(container["image"]) == rule["name"]:
                name = rule.get("newName", rule["name"])
                tag = rule.get("newTag")
                if tag is None and ":" in container["image"].rsplit("/", 1)[-1]:
                    tag = container["image"].rsplit(":", 1)[1]
                container["image"] = f"{name}:{tag}" if tag else name
    return objects


def _name(obj: Obj) -> str:
    return str(obj["metadata"]["name"])


def _matches(obj: Obj, target: Obj) -> bool:
    group, _, version = obj["apiVersion"].rpartition("/")
    wanted = {"group": group, "version": version, "kind": obj["kind"], "name": _name(obj)}
    assert set(target) <= set(wanted), target
    return all(wanted[k] == v for k, v in target.items())


def _image_name(image: str) -> str:
    head, _, last = image.rpartition("/")
    last = last.split("@", 1)[0].split(":", 1)[0]
    return f"{head}/{last}" if head else last


def _containers(objects: list[Obj]) -> Iterator[Obj]:
    for obj in objects:
        if obj["kind"] == "Deployment":
            spec = obj["spec"]["template"]["spec"]
            yield from spec.get("initContainers", [])
            yield from spec["containers"]


def apply_json6902(doc: Obj, op: Obj) -> None:
    """RFC 6902 add, replace and test (the operations the overlays use), in place."""
    assert op["op"] in PATCH_OPS, f"the renderer does not do JSON 6902 {op['op']!r}"
    *parents, last = [p.replace("~1", "/").replace("~0", "~") for p in op["path"][1:].split("/")]
    node: Any = doc
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if op["op"] == "test":
        current = node[int(last)] if isinstance(node, list) else node[last]
        if current != op["value"]:
            raise ValueError(f"JSON 6902 test failed at {op['path']}: {current!r}")
    elif isinstance(node, list):
        index = len(node) if last == "-" else int(last)
        if op["op"] == "add":
            node.insert(index, copy.deepcopy(op["value"]))
        else:
            node[index] = copy.deepcopy(op["value"])
    else:
        if op["op"] == "replace" and last not in node:
            raise ValueError(f"JSON 6902 replace of a missing {op['path']}")
        node[last] = copy.deepcopy(op["value"])


def _key(obj: Obj) -> tuple[str, str, str, str]:
    meta = obj["metadata"]
    return (obj["apiVersion"], obj["kind"], meta.get("namespace", ""), meta["name"])


@functools.cache
def rendered(build: Path) -> list[Obj]:
    """Rendered once per run, on first use: a broken manifest fails tests, not collection."""
    return render(build)


def build_id(build: Path) -> str:
    return str(build.relative_to(K8S))


def of_kind(objects: list[Obj], kind: str) -> list[Obj]:
    return [o for o in objects if o["kind"] == kind]


# --- schemas --------------------------------------------------------------------------------


def _strict(schema: Any) -> Any:
    """A CRD schema in which an object that lists its properties refuses any other, as
    `kubectl apply` (field validation Strict) does: the API server would otherwise drop an
    unknown field silently (pruning), and a misspelt field would vanish."""
    if isinstance(schema, list):
        return [_strict(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: _strict(v) for k, v in schema.items()}
    if (
        "properties" in schema
        and "additionalProperties" not in schema
        and not schema.get("x-kubernetes-preserve-unknown-fields")
    ):
        out["additionalProperties"] = False
    return out


def load_crd_validators() -> dict[tuple[str, str], jsonschema.protocols.Validator]:
    validators: dict[tuple[str, str], jsonschema.protocols.Validator] = {}
    for path in sorted(CRDS.glob("*.yaml")):
        for crd in load_file(path):
            assert crd["kind"] == "CustomResourceDefinition", path
            spec = crd["spec"]
            for version in spec["versions"]:
                if not version.get("served"):
                    continue
                schema = _strict(version["schema"]["openAPIV3Schema"])
                # metadata is the API server's ObjectMeta, not the CRD's to describe.
                schema["properties"]["metadata"] = {"type": "object"}
                api_version = f"{spec['group']}/{version['name']}"
                jsonschema.Draft7Validator.check_schema(schema)
                validators[(api_version, spec["names"]["kind"])] = jsonschema.Draft7Validator(
                    schema
                )
    return validators


CRD_VALIDATORS: dict[tuple[str, str], jsonschema.protocols.Validator] = {}


def crd_validators() -> dict[tuple[str, str], jsonschema.protocols.Validator]:
    if not CRD_VALIDATORS:
        CRD_VALIDATORS.update(load_crd_validators())
    return CRD_VALIDATORS


def validate_core(obj: Obj, version: str) -> None:
    """kubernetes-validate, strict; a kind it has no schema for fails (no silent pass)."""
    validated = kubernetes_validate.validate(obj, f"{version}.0", strict=True)
    assert validated == version, f"validated against {validated}, not {version}"


def validate_custom(obj: Obj) -> None:
    validator = crd_validators()[(obj["apiVersion"], obj["kind"])]
    errors = sorted(validator.iter_errors(obj), key=lambda e: list(e.path))
    if errors:
        raise jsonschema.ValidationError(
            "; ".join(f"{'.'.join(map(str, e.path))}: {e.message}" for e in errors)
        )


def is_custom(obj: Obj) -> bool:
    return (obj["apiVersion"], obj["kind"]) in crd_validators()


# --- validation -----------------------------------------------------------------------------


@pytest.mark.parametrize("build", BUILDS, ids=build_id)
def test_every_build_renders_objects_with_unique_names(build: Path) -> None:
    objects = rendered(build)
    assert len(objects) >= 20
    keys = [_key(o) for o in objects]
    assert len(keys) == len(set(keys)), "two objects share apiVersion, kind and name"
    assert not of_kind(objects, "Secret"), "Secrets are made in the cluster, never kept here"


def test_the_overlays_are_there() -> None:
    assert {p.name for p in OVERLAYS} == {"staging", "production"}


@pytest.mark.parametrize("version", K8S_VERSIONS)
@pytest.mark.parametrize("build", BUILDS, ids=build_id)
def test_core_objects_validate_strictly(build: Path, version: str) -> None:
    core = [o for o in rendered(build) if not is_custom(o)]
    assert {o["kind"] for o in core} >= {
        "Deployment",
        "Service",
        "PodDisruptionBudget",
        "HorizontalPodAutoscaler",
        "ConfigMap",
    }
    for obj in core:
        try:
            validate_core(obj, version)
        except SchemaNotFoundError as exc:
            pytest.fail(f"{_key(obj)}: no schema and no CRD: {exc.message}")
        except kubernetes_validate.ValidationError as exc:
            path = ".".join(map(str, exc.path))
            pytest.fail(f"{_key(obj)} on Kubernetes {version}: {path}: {exc.message}")


@pytest.mark.parametrize("build", BUILDS, ids=build_id)
def test_operator_objects_validate_against_their_crds(build: Path) -> None:
    custom = [o for o in rendered(build) if is_custom(o)]
    kinds = {o["kind"] for o in custom}
    assert kinds == {"Kafka", "KafkaNodePool", "KafkaTopic", "ServiceMonitor", "Redis"}
    for obj in custom:
        try:
            validate_custom(obj)
        except jsonschema.ValidationError as exc:
            pytest.fail(f"{_key(obj)}: {exc.message}")


def test_the_crd_copies_are_the_ones_the_readme_names() -> None:
    """deploy/k8s/crds/README.md lists each file with its SHA-256: a changed copy is seen."""
    readme = (CRDS / "README.md").read_text(encoding="utf-8")
    files = sorted(CRDS.glob("*.yaml"))
    assert len(files) == 5
    for path in files:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        assert f"{digest}  {path.name}" in readme, f"{path.name}: digest not in the README"


# --- the validators do work: broken copies are refused -------------------------------------


def _deployment(name: str = "display") -> Obj:
    (obj,) = [o for o in rendered(BASE) if o["kind"] == "Deployment" and _name(o) == name]
    return copy.deepcopy(obj)


def _custom(kind: str) -> Obj:
    return copy.deepcopy(next(o for o in rendered(BASE) if o["kind"] == kind))


@pytest.mark.parametrize("version", K8S_VERSIONS)
def test_a_broken_deployment_is_refused(version: str) -> None:
    misspelt = _deployment()
    container = misspelt["spec"]["template"]["spec"]["containers"][0]
    container["readinessProbe"]["httpGet"]["paht"] = container["readinessProbe"]["httpGet"].pop(
        "path"
    )
    with pytest.raises(kubernetes_validate.ValidationError):
        validate_core(misspelt, version)
    mistyped = _deployment()
    mistyped["spec"]["replicas"] = "two"
    with pytest.raises(kubernetes_validate.ValidationError):
        validate_core(mistyped, version)
    validate_core(_deployment(), version)  # the unbroken one passes


def test_broken_operator_objects_are_refused() -> None:
    topic = _custom("KafkaTopic")
    topic["spec"]["replicas"] = "3"
    with pytest.raises(jsonschema.ValidationError):
        validate_custom(topic)
    topic = _custom("KafkaTopic")
    topic["spec"]["replica"] = topic["spec"].pop("replicas")  # misspelt: pruned, so refused
    with pytest.raises(jsonschema.ValidationError):
        validate_custom(topic)
    pool = _custom("KafkaNodePool")
    del pool["spec"]["roles"]
    with pytest.raises(jsonschema.ValidationError):
        validate_custom(pool)
    redis = _custom("Redis")
    del redis["spec"]["kubernetesConfig"]["image"]
    with pytest.raises(jsonschema.ValidationError):
        validate_custom(redis)
    monitor = _custom("ServiceMonitor")
    monitor["spec"]["endpoints"][0]["interval"] = "15 seconds"
    with pytest.raises(jsonschema.ValidationError):
        validate_custom(monitor)
    for kind in ("KafkaTopic", "KafkaNodePool", "Redis", "ServiceMonitor", "Kafka"):
        validate_custom(_custom(kind))  # the unbroken ones pass


def test_a_key_given_twice_is_refused() -> None:
    with pytest.raises(yaml.constructor.ConstructorError):
        load_yaml("metadata:\n  labels:\n    a: x\n    a: y\n")


def test_the_renderer_refuses_what_it_does_not_do(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
        "commonLabels: {a: b}\nresources: []\n"
    )
    with pytest.raises(AssertionError, match="commonLabels"):
        render(tmp_path)
    doc = {"env": [{"name": "A"}]}
    with pytest.raises(ValueError, match="test failed"):
        apply_json6902(doc, {"op": "test", "path": "/env/0/name", "value": "B"})


def _kubectl_render(directory: Path) -> list[Obj]:
    kubectl = shutil.which("kubectl")
    assert kubectl
    out = subprocess.run(
        [kubectl, "kustomize", str(directory)],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    return load_yaml(out)


@pytest.mark.skipif(not shutil.which("kubectl"), reason="no kubectl (built-in kustomize)")
@pytest.mark.parametrize("build", BUILDS, ids=build_id)
def test_the_renderer_agrees_with_kustomize(build: Path) -> None:
    ours = {_key(o): o for o in rendered(build)}
    theirs = {_key(o): o for o in _kubectl_render(build)}
    assert sorted(ours) == sorted(theirs)
    for key, obj in ours.items():
        assert json.dumps(obj, sort_keys=True) == json.dumps(theirs[key], sort_keys=True), key


# --- what the project requires of the manifests ---------------------------------------------


def _pod_spec(deployment: Obj) -> Obj:
    return deployment["spec"]["template"]["spec"]


def _env(deployment: Obj) -> dict[str, Obj]:
    (container,) = _pod_spec(deployment)["containers"]
    return {e["name"]: e for e in container.get("env", [])}  # the last of a name wins


def _selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def probes_problems(deployment: Obj) -> list[str]:
    problems = []
    for container in _pod_spec(deployment)["containers"]:
        ports = {p["name"]: p["containerPort"] for p in container.get("ports", [])}
        for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
            get = container.get(probe, {}).get("httpGet", {})
            if get.get("path") != path:
                problems.append(f"{container['name']}: {probe} not on {path}")
            elif get.get("port") not in ports and get.get("port") not in ports.values():
                problems.append(f"{container['name']}: {probe} on no port of the container")
        resources = container.get("resources", {})
        for kind in ("requests", "limits"):
            for resource in ("cpu", "memory"):
                if resource not in resources.get(kind, {}):
                    problems.append(f"{container['name']}: no {kind}.{resource}")
    return problems


def test_the_requirement_checks_can_fail() -> None:
    broken = _deployment()
    container = _pod_spec(broken)["containers"][0]
    del container["readinessProbe"]
    container["livenessProbe"]["httpGet"]["path"] = "/readyz"
    del container["resources"]["limits"]
    assert len(probes_problems(broken)) == 4
    leaky = _deployment("notifier")
    _pod_spec(leaky)["containers"][0]["env"].append({"name": "NOTIFIER_DLR_SECRET", "value": "x"})
    assert literal_secrets(leaky) == ["NOTIFIER_DLR_SECRET"]


@pytest.mark.parametrize("build", BUILDS, ids=build_id)
def test_every_deployment_has_probes_resources_and_runs_locked_down(build: Path) -> None:
    deployments = of_kind(rendered(build), "Deployment")
    assert {_name(d) for d in deployments} == set(SERVICES)
    for deployment in deployments:
        assert probes_problems(deployment) == [], _name(deployment)
        pod = _pod_spec(deployment)
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["runAsUser"] != 0
        for container in pod["containers"]:
            security = container["securityContext"]
            assert security["allowPrivilegeEscalation"] is False
            assert security["readOnlyRootFilesystem"] is True
            assert security["capabilities"]["drop"] == ["ALL"]
        assert deployment["spec"]["replicas"] >= 2, "each service runs at least two replicas"


@pytest.mark.parametrize("build", BUILDS, ids=build_id)
def test_every_deployment_has_a_pdb_a_service_and_a_servicemonitor(build: Path) -> None:
    objects = rendered(build)
    services = of_kind(objects, "Service")
    for deployment in of_kind(objects, "Deployment"):
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert _selects(deployment["spec"]["selector"]["matchLabels"], labels)
        pdbs = [
            p
            for p in of_kind(objects, "PodDisruptionBudget")
            if _selects(p["spec"]["selector"]["matchLabels"], labels)
        ]
        assert len(pdbs) == 1, f"{_name(deployment)}: {len(pdbs)} PDBs select its pods"
        assert pdbs[0]["spec"].get("maxUnavailable") == 1
        (service,) = [s for s in services if _selects(s["spec"]["selector"], labels)]
        _, _, port = SERVICES[_name(deployment)]
        assert [p["port"] for p in service["spec"]["ports"]] == [port]
        monitors = [
            m
            for m in of_kind(objects, "ServiceMonitor")
            if _selects(m["spec"]["selector"]["matchLabels"], service["metadata"]["labels"])
        ]
        assert len(monitors) == 1, _name(deployment)
        (endpoint,) = monitors[0]["spec"]["endpoints"]
        assert endpoint["path"] == "/metrics"
        assert endpoint["port"] in {p["name"] for p in service["spec"]["ports"]}


def literal_secrets(deployment: Obj) -> list[str]:
    return [
        e["name"]
        for c in _pod_spec(deployment)["containers"]
        for e in c.get("env", [])
        if SECRET_NAME.search(e["name"]) and ("value" in e or "secretKeyRef" not in e["valueFrom"])
    ]


@pytest.mark.parametrize("build", BUILDS, ids=build_id)
def test_secrets_come_from_secret_objects_only(build: Path) -> None:
    readme = (K8S / "README.md").read_text(encoding="utf-8")
    for deployment in of_kind(rendered(build), "Deployment"):
        assert literal_secrets(deployment) == [], _name(deployment)
        for container in _pod_spec(deployment)["containers"]:
            assert "envFrom" not in container
            for entry in container["env"]:
                ref = entry.get("valueFrom", {}).get("secretKeyRef")
                if ref:  # the README says how to make each Secret and key it uses
                    assert f"secret generic {ref['name']}" in readme, ref
                    assert f"--from-literal={ref['key']}=" in readme, ref
    for redis in of_kind(rendered(build), "Redis"):
        ref = redis["spec"]["kubernetesConfig"]["redisSecret"]
        assert f"secret generic {ref['name']}" in readme
    assert "configmap antre-catalog" in readme


@pytest.mark.parametrize("build", BUILDS, ids=build_id)
def test_every_variable_is_a_setting_of_its_service(build: Path) -> None:
    """A misspelt variable would be ignored by pydantic-settings: catch it here."""
    for deployment in of_kind(rendered(build), "Deployment"):
        prefix, settings, port = SERVICES[_name(deployment)]
        env = _env(deployment)
        for name in env:
            if name.startswith(prefix):
                assert name[len(prefix) :].lower() in settings.model_fields, name
            else:
                assert name in {"REDIS_PASSWORD", "FORWARDED_ALLOW_IPS"}, name
        assert env[f"{prefix}ENVIRONMENT"]["value"] == "production"
        assert env[f"{prefix}HOST"]["value"] == "0.0.0.0"
        assert env[f"{prefix}PORT"]["value"] == str(port)
        assert env[f"{prefix}CATALOG_PATH"]["value"] == "/etc/antre/catalog.toml"
        # Static membership: never one id shared by every replica of a Deployment.
        assert f"{prefix}GROUP_INSTANCE_ID" not in env


@pytest.mark.parametrize("build", BUILDS, ids=build_id)
def test_each_service_has_its_own_redis(build: Path) -> None:
    objects = rendered(build)
    redises = {_name(r): r for r in of_kind(objects, "Redis")}
    configs = {_name(c): c for c in of_kind(objects, "ConfigMap")}
    hosts = set()
    for deployment in of_kind(objects, "Deployment"):
        service = _name(deployment)
        prefix, _, _ = SERVICES[service]
        url = _env(deployment)[f"{prefix}REDIS_URL"]["value"]
        match = re.fullmatch(r"redis://:\$\(REDIS_PASSWORD\)@([a-z-]+):6379/0", url)
        assert match, url
        host = match[1]
        hosts.add(host)
        redis = redises[host]
        password = _env(deployment)["REDIS_PASSWORD"]["valueFrom"]["secretKeyRef"]
        assert password == redis["spec"]["kubernetesConfig"]["redisSecret"]
        config = configs[redis["spec"]["redisConfig"]["additionalRedisConfig"]]
        lines = config["data"]["redis-additional.conf"].splitlines()
        assert "appendonly yes" in lines
        assert f"appendfsync {REDIS_FSYNC[service]}" in lines
        assert "storage" in redis["spec"], "a Redis with AOF needs a volume"
    assert len(hosts) == len(SERVICES) == len(redises)


def _local_default_topics() -> dict[str, int]:
    """deploy/local/kafka_ready.py's DEFAULT_TOPICS ("name:partitions"), read without running it."""
    tree = ast.parse((REPO / "deploy" / "local" / "kafka_ready.py").read_text(encoding="utf-8"))
    (value,) = [
        node.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "DEFAULT_TOPICS" for t in node.targets)
    ]
    specs = ast.literal_eval(value)
    return {name: int(count) for name, _, count in (spec.rpartition(":") for spec in specs)}


@pytest.mark.parametrize("build", BUILDS, ids=build_id)
def test_kafka_topics_are_replicated_and_match_the_local_ones(build: Path) -> None:
    objects = rendered(build)
    (kafka,) = of_kind(objects, "Kafka")
    cluster = _name(kafka)
    topics = of_kind(objects, "KafkaTopic")
    for topic in topics:
        assert topic["metadata"]["labels"]["strimzi.io/cluster"] == cluster
        assert topic["spec"]["replicas"] == 3
        assert topic["spec"]["config"]["min.insync.replicas"] == 2
    partitions = {t["spec"]["topicName"]: t["spec"]["partitions"] for t in topics}
    assert set(partitions) == {QUEUE_EVENTS, DEAD_LETTERS, SURVEY_ANSWERS}
    assert partitions == _local_default_topics()
    kept = {t["spec"]["topicName"] for t in topics if t["spec"]["config"]["retention.ms"] == -1}
    assert kept == {SURVEY_ANSWERS}  # the survey's audit record is kept forever
    pools = of_kind(objects, "KafkaNodePool")
    assert all(p["metadata"]["labels"]["strimzi.io/cluster"] == cluster for p in pools)
    brokers = sum(p["spec"]["replicas"] for p in pools if "broker" in p["spec"]["roles"])
    controllers = sum(p["spec"]["replicas"] for p in pools if "controller" in p["spec"]["roles"])
    assert brokers >= 3 and controllers >= 3
    assert kafka["spec"]["kafka"]["config"]["min.insync.replicas"] == 2
    assert kafka["spec"]["kafka"]["config"]["auto.create.topics.enable"] is False
    for deployment in of_kind(objects, "Deployment"):
        prefix, _, _ = SERVICES[_name(deployment)]
        bootstrap = _env(deployment)[f"{prefix}KAFKA_BOOTSTRAP"]["value"]
        assert bootstrap == f"{cluster}-kafka-bootstrap:9092"


@pytest.mark.parametrize("build", BUILDS, ids=build_id)
def test_the_display_autoscales_gently_and_the_others_do_not(build: Path) -> None:
    objects = rendered(build)
    (hpa,) = of_kind(objects, "HorizontalPodAutoscaler")
    target = hpa["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", "display")
    assert hpa["spec"]["minReplicas"] >= 2
    assert hpa["spec"]["metrics"][0]["resource"]["name"] == "cpu"
    down = hpa["spec"]["behavior"]["scaleDown"]
    assert down["stabilizationWindowSeconds"] >= 300
    assert all(p["type"] == "Pods" and p["value"] == 1 for p in down["policies"])
    notifier = next(d for d in of_kind(objects, "Deployment") if _name(d) == "notifier")
    queue_partitions = _local_default_topics()[QUEUE_EVENTS]
    assert notifier["spec"]["replicas"] <= queue_partitions


def test_the_overlays_change_what_they_say() -> None:
    by_name = {build.name: build for build in OVERLAYS}
    production = rendered(by_name["production"])
    assert {o["metadata"]["namespace"] for o in production} == {"antre"}
    ticketing, notifier = (
        next(d for d in of_kind(production, "Deployment") if _name(d) == n)
        for n in ("ticketing", "notifier")
    )
    assert ticketing["spec"]["replicas"] == 3
    assert _pod_spec(ticketing)["containers"][0]["image"].endswith("/antre-ticketing:0.1.0")
    assert _env(notifier)["NOTIFIER_PROVIDER"]["value"] == "kannel"
    assert "secretKeyRef" in _env(notifier)["NOTIFIER_KANNEL_PASSWORD"]["valueFrom"]
    staging = rendered(by_name["staging"])
    assert {o["metadata"]["namespace"] for o in staging} == {"antre-staging"}
    notifier = next(d for d in of_kind(staging, "Deployment") if _name(d) == "notifier")
    assert _env(notifier)["NOTIFIER_PROVIDER"]["value"] == "log"
