import sys
from kubernetes import client, config
config.load_kube_config(config_file=sys.argv[1])
rbac = client.RbacAuthorizationV1Api()
rule = client.V1PolicyRule(api_groups=[""], resources=["pods"], verbs=["get"])
created = rbac.create_namespaced_role("default", client.V1Role(metadata=client.V1ObjectMeta(name="py-role"), rules=[rule]))
print("created", created.metadata.name)
read = rbac.read_namespaced_role("py-role", "default")
print([{"api_groups": r.api_groups, "resources": r.resources, "verbs": r.verbs} for r in read.rules])
read.rules[0].verbs = ["get", "list", "watch"]
replaced = rbac.replace_namespaced_role("py-role", "default", read)
print("replaced", replaced.rules[0].verbs)
rbac.delete_namespaced_role("py-role", "default")
print("deleted")
try:
    rbac.read_namespaced_role("py-role", "default")
except client.exceptions.ApiException as e:
    print(e.status, e.reason)
