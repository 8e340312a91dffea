// The controllers `--controllers` selects, by kube-controller-manager's names
// (canonical `namespace-controller`, or the alias `namespace`), and the selection
// itself as kube parses it: `*` every controller, `foo` enables, `-foo` disables.
// Here `all` is `*`'s synonym, and nothing runs unless asked for (envtest parity).

export const CONTROLLERS = {
  'namespace-controller': 'namespace',
  'garbage-collector-controller': 'garbagecollector',
  'service-account-controller': 'serviceaccount',
  'root-ca-certificate-publisher-controller': 'root-ca-cert-publisher',
  'deployment-controller': 'deployment',
  'replicaset-controller': 'replicaset',
  'job-controller': 'job',
  'cronjob-controller': 'cronjob',
  'persistentvolumeclaim-protection-controller': 'pvc-protection',
  'daemonset-controller': 'daemonset',
  'statefulset-controller': 'statefulset',
  'endpointslice-controller': 'endpointslice',
  'endpoints-controller': 'endpoint',
  'resourcequota-controller': 'resourcequota',
} as const;

export type ControllerName = keyof typeof CONTROLLERS;

const ALIASES = new Map<string, ControllerName>(
  Object.entries(CONTROLLERS).map(([canonical, alias]) => [alias, canonical as ControllerName]),
);

function canonical(name: string): ControllerName | undefined {
  if (name in CONTROLLERS) return name as ControllerName;
  return ALIASES.get(name);
}

/**
 * The enabled controllers a `--controllers` list names; an unknown name is an error with
 * kube's wording (`"foo" is not in the list of known controllers`), returned as a string.
 */
export function parseControllers(items: string[]): ControllerName[] | string {
  const all = Object.keys(CONTROLLERS) as ControllerName[];
  const errors: string[] = [];
  const on = new Set<ControllerName>();
  const off = new Set<ControllerName>();
  let star = false;
  for (const raw of items) {
    const item = raw.trim();
    if (!item) continue;
    if (item === '*' || item === 'all') {
      star = true;
      continue;
    }
    const bare = item.startsWith('-') ? item.slice(1) : item;
    const name = canonical(bare);
    if (!name) {
      errors.push(`"${bare}" is not in the list of known controllers`);
      continue;
    }
    (item.startsWith('-') ? off : on).add(name);
  }
  if (errors.length) return errors.length === 1 ? errors[0] : `[${errors.join(', ')}]`;
  return all.filter((n) => !off.has(n) && (star || on.has(n)));
}
