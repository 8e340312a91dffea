import sys
from kubernetes import client, config
config.load_kube_config(config_file=sys.argv[1])
v1 = client.CoreV1Api()
svc = client.V1Service(
    metadata=client.V1ObjectMeta(name="py-svc"),
    spec=client.V1ServiceSpec(selector={"app": "py"}, ports=[client.V1ServicePort(port=80, target_port=8080)]),
)
created = v1.create_namespaced_service("default", svc)
print("created", created.spec.cluster_ip, created.spec.ports[0].protocol, created.spec.ports[0].target_port)
read = v1.read_namespaced_service("py-svc", "default")
read.spec.type = "NodePort"
replaced = v1.replace_namespaced_service("py-svc", "default", read)
print("replaced", replaced.spec.type, replaced.spec.ports[0].node_port, replaced.spec.external_traffic_policy)
v1.delete_namespaced_service("py-svc", "default")
try:
    v1.read_namespaced_service("py-svc", "default")
except client.exceptions.ApiException as e:
    print(e.status, e.reason)
k = v1.read_namespaced_service("kubernetes", "default")
print(k.metadata.name, k.spec.cluster_ip, k.spec.ports[0].port)
