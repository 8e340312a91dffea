// The admission chain kube-apiserver's AdmissionOptions.ApplyTo builds: the
// enabled plugins in AllOrderedPlugins' order, each given the served resources
// (watch cache reads, status writes), the authorizer and its configuration from
// --admission-control-config-file.

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { AdmissionChain } from './admission/index.js';
import type { WebhookCallObserver } from './admission/plugins/deps.js';
import { addAdmissionPlugins, enabledPluginNames } from './admission/plugins/index.js';
import { yaml } from './http/yaml.js';
// The webhook and policy plugins register their factories (MutatingAdmissionWebhook,
// ValidatingAdmissionPolicy, ValidatingAdmissionWebhook) when loaded.
import './admission/policy/index.js';
import './admission/webhook/index.js';
import { type Authorizer, authorize } from './authz/index.js';
import { admissionObjectAccess } from './controllers/admission-access.js';
import type { ResourceRouter } from './endpoints/router.js';

export interface AdmissionConfig {
  /** --enable-admission-plugins */
  enable?: string[];
  /** --disable-admission-plugins */
  disable?: string[];
  /** --admission-control-config-file: an AdmissionConfiguration (apiserver.config.k8s.io/v1). */
  configFile?: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * ReadAdmissionConfiguration and ConfigFor: each plugin's `configuration`, or the file its `path` names
 * (relative to the configuration file). Failures read as kube-apiserver reports them at start.
 */
export async function readAdmissionConfiguration(file: string | undefined): Promise<Map<string, unknown>> {
  const out = new Map<string, unknown>();
  if (!file) return out;
  const fail = (why: string): never => {
    throw new Error(`failed to read plugin config: ${why}`);
  };
  const read = async (f: string): Promise<unknown> => {
    let text: string;
    try {
      text = await readFile(f, 'utf8');
    } catch (e) {
      return fail(`unable to read admission control configuration from "${f}" [${(e as Error).message}]`);
    }
    try {
      return yaml().parse(text);
    } catch (e) {
      return fail(`couldn't decode "${f}": ${(e as Error).message}`);
    }
  };
  const doc = await read(file);
  if (!isObject(doc) || doc.kind !== 'AdmissionConfiguration')
    return fail(`unexpected type: ${isObject(doc) ? String(doc.kind) : typeof doc}`);
  const base = path.dirname(file);
  for (const p of Array.isArray(doc.plugins) ? doc.plugins : []) {
    if (!isObject(p) || typeof p.name !== 'string') continue;
    if (typeof p.path === 'string' && p.path) out.set(p.name, await read(path.resolve(base, p.path)));
    else if (p.configuration !== undefined) out.set(p.name, p.configuration);
  }
  return out;
}

export async function setupAdmission(
  chain: AdmissionChain,
  router: ResourceRouter,
  authorizers: Authorizer[],
  config: AdmissionConfig = {},
  /** Told each admission webhook call, when metrics are recorded. */
  observeWebhook?: WebhookCallObserver,
): Promise<string[]> {
  const names = enabledPluginNames(config.enable, config.disable);
  const pluginConfig = await readAdmissionConfiguration(config.configFile);
  const missing = addAdmissionPlugins(
    chain,
    names,
    {
      objects: admissionObjectAccess(router),
      observeWebhook,
      authorizer: {
        allowed: async (user, a) =>
          (
            await authorize(authorizers, {
              user,
              verb: a.verb,
              isResourceRequest: a.path === undefined,
              path: a.path ?? '',
              apiGroup: a.apiGroup,
              apiVersion: '*',
              namespace: a.namespace ?? '',
              resource: a.resource,
              subresource: a.subresource ?? '',
              name: a.name ?? '',
            })
          ).decision === 'allow',
      },
    },
    pluginConfig,
  );
  // A plugin asked for by name that has no implementation here is said once, not silently ignored.
  const asked = missing.filter((n) => config.enable?.includes(n));
  if (asked.length) console.error(`kapi-env: admission plugins not implemented, enabled without effect: ${asked.join(', ')}`);
  return missing;
}
