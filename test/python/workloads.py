import sys
from kubernetes import client, config
config.load_kube_config(config_file=sys.argv[1])
apps = client.AppsV1Api()
labels = {"app": "py"}
body = client.V1Deployment(
    metadata=client.V1ObjectMeta(name="py"),
    spec=client.V1DeploymentSpec(
        selector=client.V1LabelSelector(match_labels=labels),
        template=client.V1PodTemplateSpec(
            metadata=client.V1ObjectMeta(labels=labels),
            spec=client.V1PodSpec(containers=[client.V1Container(name="c", image="nginx:1.27")]),
        ),
    ),
)
d = apps.create_namespaced_deployment("default", body)
print("created", d.spec.replicas, d.spec.strategy.type, d.spec.strategy.rolling_update.max_surge)
d = apps.read_namespaced_deployment("py", "default")
print("read", ",".join(f"{k}={v}" for k, v in d.spec.selector.match_labels.items()))
d.spec.replicas = 3
d = apps.replace_namespaced_deployment("py", "default", d)
print("replaced", d.spec.replicas, d.metadata.generation)
s = apps.read_namespaced_deployment_scale("py", "default")
print("scale", s.spec.replicas, s.status.selector)
apps.delete_namespaced_deployment("py", "default")
try:
    apps.read_namespaced_deployment("py", "default")
except client.exceptions.ApiException as e:
    print("deleted", e.status)
