// One webhook of a Mutating/ValidatingWebhookConfiguration, as the dispatchers
// use it (k8s.io/apiserver/pkg/admission/plugin/webhook/accessors.go): selectors
// parsed and matchConditions compiled once per stored version of the configuration.
// Configurations are taken in name order, their webhooks in list order, as kube's
// configuration managers sort them.

import { type LabelSelector, labelSelectorAsSelector } from '../../api/selectors/labels.js';
import { isPlainObject, type KubeObject } from '../../api/types.js';
import { type CompiledExpression, compileExpression } from '../cel/expressions.js';

export interface RuleWithOperations {
  operations: string[];
  apiGroups: string[];
  apiVersions: string[];
  resources: string[];
  scope: string;
}

export interface ServiceReference {
  namespace: string;
  name: string;
  path?: string;
  port: number;
}

export interface ClientConfig {
  url?: string;
  service?: ServiceReference;
  /** PEM bytes of the CA bundle (decoded from base64). */
  caBundle?: string;
}

export interface WebhookAccessor {
  /** Unique per webhook: `<configuration>/<webhook>/<index>` (kube's accessor UID). */
  uid: string;
  configurationName: string;
  name: string;
  mutating: boolean;
  rules: RuleWithOperations[];
  matchPolicy: 'Exact' | 'Equivalent';
  namespaceSelector: LabelSelector | Error;
  objectSelector: LabelSelector | Error;
  matchConditions: Array<CompiledExpression & { name: string }>;
  failurePolicy: 'Fail' | 'Ignore';
  sideEffects?: string;
  timeoutSeconds: number;
  admissionReviewVersions: string[];
  clientConfig: ClientConfig;
  reinvocationPolicy: 'Never' | 'IfNeeded';
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

function selector(v: unknown): LabelSelector | Error {
  try {
    // An absent selector matches everything here (the API defaults it to {}).
    return labelSelectorAsSelector(v ?? {});
  } catch (e) {
    return e instanceof Error ? e : new Error(String(e));
  }
}

function clientConfigOf(v: unknown): ClientConfig {
  const c = isPlainObject(v) ? v : {};
  const out: ClientConfig = {};
  if (typeof c.url === 'string') out.url = c.url;
  if (isPlainObject(c.service)) {
    const s = c.service;
    out.service = {
      namespace: String(s.namespace ?? ''),
      name: String(s.name ?? ''),
      ...(typeof s.path === 'string' ? { path: s.path } : {}),
      port: typeof s.port === 'number' ? s.port : 443,
    };
  }
  if (typeof c.caBundle === 'string' && c.caBundle) out.caBundle = Buffer.from(c.caBundle, 'base64').toString('utf8');
  return out;
}

function accessorOf(config: KubeObject, hook: Record<string, unknown>, index: number, mutating: boolean): WebhookAccessor {
  const configurationName = config.metadata?.name ?? '';
  const name = String(hook.name ?? '');
  const rules = (Array.isArray(hook.rules) ? hook.rules : []).filter(isPlainObject).map((r) => ({
    operations: strings(r.operations),
    apiGroups: strings(r.apiGroups),
    apiVersions: strings(r.apiVersions),
    resources: strings(r.resources),
    scope: typeof r.scope === 'string' ? r.scope : '*',
  }));
  const timeout = typeof hook.timeoutSeconds === 'number' ? hook.timeoutSeconds : 10;
  return {
    uid: `${configurationName}/${name}/${index}`,
    configurationName,
    name,
    mutating,
    rules,
    matchPolicy: hook.matchPolicy === 'Exact' ? 'Exact' : 'Equivalent',
    namespaceSelector: selector(hook.namespaceSelector),
    objectSelector: selector(hook.objectSelector),
    matchConditions: (Array.isArray(hook.matchConditions) ? hook.matchConditions : [])
      .filter(isPlainObject)
      .map((m) => ({ name: String(m.name ?? ''), ...compileExpression(String(m.expression ?? '')) })),
    failurePolicy: hook.failurePolicy === 'Ignore' ? 'Ignore' : 'Fail',
    ...(typeof hook.sideEffects === 'string' ? { sideEffects: hook.sideEffects } : {}),
    timeoutSeconds: timeout,
    admissionReviewVersions: strings(hook.admissionReviewVersions),
    clientConfig: clientConfigOf(hook.clientConfig),
    reinvocationPolicy: hook.reinvocationPolicy === 'IfNeeded' ? 'IfNeeded' : 'Never',
  };
}

/** Accessors per stored configuration version, so selectors and CEL are compiled once. */
export class WebhookAccessors {
  private readonly cache = new Map<string, { rv: string; hooks: WebhookAccessor[] }>();

  constructor(private readonly mutating: boolean) {}

  /** The webhooks of the configurations given, configurations in name order. */
  of(configs: KubeObject[]): WebhookAccessor[] {
    const sorted = [...configs].sort((a, b) => ((a.metadata?.name ?? '') < (b.metadata?.name ?? '') ? -1 : 1));
    const seen = new Set<string>();
    const out: WebhookAccessor[] = [];
    for (const c of sorted) {
      const key = c.metadata?.uid ?? c.metadata?.name ?? '';
      const rv = c.metadata?.resourceVersion ?? '';
      seen.add(key);
      let entry = this.cache.get(key);
      if (!entry || entry.rv !== rv) {
        const hooks = (Array.isArray(c.webhooks) ? c.webhooks : []).filter(isPlainObject);
        entry = { rv, hooks: hooks.map((h, i) => accessorOf(c, h, i, this.mutating)) };
        this.cache.set(key, entry);
      }
      out.push(...entry.hooks);
    }
    for (const key of this.cache.keys()) if (!seen.has(key)) this.cache.delete(key);
    return out;
  }
}
