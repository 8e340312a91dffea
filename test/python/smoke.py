import sys
from kubernetes import client, config, watch
config.load_kube_config(config_file=sys.argv[1])
v1 = client.CoreV1Api()
print(sorted(n.metadata.name for n in v1.list_namespace().items))
v1.create_namespaced_config_map("default", client.V1ConfigMap(metadata=client.V1ObjectMeta(name="py1"), data={"a": "b"}))
print(v1.read_namespaced_config_map("py1", "default").data)
w = watch.Watch()
for ev in w.stream(v1.list_namespaced_config_map, "default", timeout_seconds=1):
    print(ev["type"], ev["object"].metadata.name)
try:
    v1.read_namespaced_config_map("nope", "default")
except client.exceptions.ApiException as e:
    print(e.status, e.reason)
res = client.ApisApi().get_api_versions()
print([g.name for g in res.groups])
print(client.CustomObjectsApi().list_cluster_custom_object("apiextensions.k8s.io", "v1", "customresourcedefinitions")["kind"])
