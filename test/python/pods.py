import sys
from kubernetes import client, config
config.load_kube_config(config_file=sys.argv[1])
core = client.CoreV1Api()
body = client.V1Pod(
    metadata=client.V1ObjectMeta(name="py-pod", labels={"app": "py"}),
    spec=client.V1PodSpec(containers=[client.V1Container(name="c", image="nginx:1.27", ports=[client.V1ContainerPort(container_port=80)])]),
)
p = core.create_namespaced_pod("default", body)
print("created", p.spec.restart_policy, p.spec.containers[0].image_pull_policy, p.spec.containers[0].ports[0].protocol, p.status.phase, p.status.qos_class)
p = core.read_namespaced_pod("py-pod", "default")
p.spec.containers[0].image = "nginx:1.28"
p = core.replace_namespaced_pod("py-pod", "default", p)
print("replaced", p.spec.containers[0].image)
pods = core.list_namespaced_pod("default", field_selector="status.phase=Pending", label_selector="app=py")
print("listed", ",".join(x.metadata.name for x in pods.items))
print("log", repr(core.read_namespaced_pod_log("py-pod", "default")))
deleted = core.delete_namespaced_pod("py-pod", "default")
print("deleted", deleted.kind, deleted.metadata.name)
try:
    core.read_namespaced_pod("py-pod", "default")
except client.exceptions.ApiException as e:
    print("gone", e.status)
