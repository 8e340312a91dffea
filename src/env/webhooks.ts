// Admission webhooks for tests (envtest's WebhookInstallOptions, and beyond it):
// the user's webhook server gets a serving certificate and a local port; the
// webhook configurations (kubebuilder's config/webhook/manifests.yaml, or
// objects) are installed with each `service` reference rewritten to
// https://<host>:<port><path> and the CA injected as caBundle, and are active
// when startEnv returns. In-process handlers register a JavaScript function as a
// webhook: the server calls it through the same AdmissionReview path.

import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createServingPki } from '../pki/index.js';
import { freePortSync } from '../process/index.js';
import type { RestClient } from './client.js';
import { type FixtureDoc, FixtureError, readFixtures } from './fixtures.js';

export interface WebhookInstallOptions {
  /** Files or directories of Mutating/ValidatingWebhookConfiguration manifests (kubebuilder's `config/webhook`). */
  paths?: string[];
  /** Webhook configuration objects, installed as the manifests are. */
  configurations?: Record<string, unknown>[];
  /** The host the user's webhook server listens on (default 127.0.0.1). */
  localServingHost?: string;
  /** Its port (default: a free one). */
  localServingPort?: number;
  /** Where tls.crt and tls.key are written (default: a directory in the environment's temp dir). */
  localServingCertDir?: string;
  /** envtest's ErrorIfPathMissing (default true). */
  errorIfPathMissing?: boolean;
}

/** An object as webhooks receive it; pass your own type to `validate<T>()`/`mutate<T>()`. */
export type ReviewedObject = Record<string, unknown> & { apiVersion?: string; kind?: string; metadata?: Record<string, unknown> };

export interface AdmissionRequest<T = ReviewedObject> {
  uid: string;
  kind: { group: string; version: string; kind: string };
  resource: { group: string; version: string; resource: string };
  subResource?: string;
  requestKind?: { group: string; version: string; kind: string };
  requestResource?: { group: string; version: string; resource: string };
  requestSubResource?: string;
  name?: string;
  namespace?: string;
  operation: 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';
  userInfo: { username?: string; uid?: string; groups?: string[]; extra?: Record<string, string[]> };
  object: T | null;
  oldObject: T | null;
  dryRun: boolean;
  options: Record<string, unknown> | null;
}

export interface AdmissionReview<T = ReviewedObject> {
  apiVersion: 'admission.k8s.io/v1';
  kind: 'AdmissionReview';
  request: AdmissionRequest<T>;
}

/** What an in-process handler answers; the uid is filled in, a `patch` array is encoded as a JSONPatch. */
export interface AdmissionResponse {
  allowed: boolean;
  status?: { code?: number; message?: string; reason?: string; [k: string]: unknown };
  patch?: Array<Record<string, unknown>> | string;
  patchType?: 'JSONPatch';
  warnings?: string[];
  auditAnnotations?: Record<string, string>;
}

export interface RuleWithOperations {
  /** CREATE, UPDATE, DELETE, CONNECT or `*`. */
  operations: string[];
  apiGroups: string[];
  apiVersions: string[];
  resources: string[];
  /** Cluster, Namespaced or `*` (the default). */
  scope?: string;
}

export interface InProcessWebhook<T = ReviewedObject> {
  /** The webhook's name (default `<uuid>.in-process.kapi-env.io`). */
  name?: string;
  rules: RuleWithOperations[];
  handler: (review: AdmissionReview<T>) => AdmissionResponse | Promise<AdmissionResponse>;
  failurePolicy?: 'Fail' | 'Ignore';
  sideEffects?: 'None' | 'NoneOnDryRun' | 'Some' | 'Unknown';
  timeoutSeconds?: number;
  matchPolicy?: 'Exact' | 'Equivalent';
  namespaceSelector?: Record<string, unknown>;
  objectSelector?: Record<string, unknown>;
  matchConditions?: Array<{ name: string; expression: string }>;
  /** Mutating webhooks only. */
  reinvocationPolicy?: 'Never' | 'IfNeeded';
}

export interface InProcessRegistration {
  name: string;
  /** The Mutating/ValidatingWebhookConfiguration holding it. */
  configurationName: string;
  /** Deletes the configuration and unregisters the handler. */
  remove(): Promise<void>;
}

export interface EnvWebhooks {
  /** Where the user's webhook server should listen, and the certificate it should serve. */
  host: string;
  port: number;
  certDir: string;
  /** `<certDir>/tls.crt` and `<certDir>/tls.key` (controller-runtime's webhook server defaults). */
  certFile: string;
  keyFile: string;
  certPem: string;
  keyPem: string;
  /** The CA injected as every installed webhook's caBundle. */
  caPem: string;
  /** Names of the configurations installed from `paths`/`configurations`. */
  installed: string[];
  /** Registers a validating in-process handler; active when the promise resolves. */
  validate<T = ReviewedObject>(w: InProcessWebhook<T>): Promise<InProcessRegistration>;
  /** Registers a mutating in-process handler; active when the promise resolves. */
  mutate<T = ReviewedObject>(w: InProcessWebhook<T>): Promise<InProcessRegistration>;
}

const GROUP_PATH = '/apis/admissionregistration.k8s.io/v1';
const KINDS: Record<string, string> = {
  MutatingWebhookConfiguration: 'mutatingwebhookconfigurations',
  ValidatingWebhookConfiguration: 'validatingwebhookconfigurations',
};
const IN_PROCESS_HOST = 'in-process.kapi-env.invalid';

/** Reads the webhook configurations of the paths given; other kinds are skipped with a warning. */
export async function readWebhookConfigurations(
  o: WebhookInstallOptions,
  warn: (line: string) => void = () => {},
): Promise<Record<string, unknown>[]> {
  const docs: FixtureDoc[] = o.paths?.length ? await readFixtures(o.paths, { errorIfPathMissing: o.errorIfPathMissing, warn }) : [];
  const out: Record<string, unknown>[] = [];
  for (const d of docs) {
    const kind = String(d.object.kind ?? '');
    if (KINDS[kind] && d.object.apiVersion === 'admissionregistration.k8s.io/v1') out.push(d.object);
    else warn(`${d.file}: document ${d.index}: ${kind || 'no kind'} is not a webhook configuration (skipped)`);
  }
  for (const c of o.configurations ?? []) {
    if (!KINDS[String(c.kind ?? '')])
      throw new FixtureError(`webhooks.configurations: ${String(c.kind ?? 'no kind')} is not a webhook configuration`);
    out.push(c);
  }
  return out;
}

/** envtest's updateClientConfig: a service reference becomes https://<host:port><path>; every webhook trusts the CA. */
export function rewriteClientConfigs(config: Record<string, unknown>, hostPort: string, caPem: string): Record<string, unknown> {
  const copy = structuredClone(config);
  const caBundle = Buffer.from(caPem).toString('base64');
  for (const w of Array.isArray(copy.webhooks) ? copy.webhooks : []) {
    const cc = (w.clientConfig ??= {}) as Record<string, unknown>;
    cc.caBundle = caBundle;
    const svc = cc.service as { path?: string } | undefined;
    if (svc) {
      const p = svc.path ?? '';
      cc.url = `https://${hostPort}${p && !p.startsWith('/') ? `/${p}` : p}`;
      delete cc.service;
    }
  }
  return copy;
}

/** Creates (or replaces) a configuration and waits until the watch cache admission reads from has it. */
async function install(client: RestClient, config: Record<string, unknown>): Promise<string> {
  const kind = String(config.kind);
  const resource = KINDS[kind];
  const name = String((config.metadata as { name?: string } | undefined)?.name ?? '');
  const base = `${GROUP_PATH}/${resource}`;
  const created = await client.call<Record<string, unknown>>('POST', base, config);
  let rv: string | undefined;
  if (created.status === 409) {
    const current = await client.call<{ metadata?: { resourceVersion?: string } }>('GET', `${base}/${name}`);
    const body = { ...config, metadata: { ...(config.metadata as object), resourceVersion: current.body.metadata?.resourceVersion } };
    const updated = await client.call<{ metadata?: { resourceVersion?: string } }>('PUT', `${base}/${name}`, body);
    if (updated.status >= 300) throw new FixtureError(`${kind} ${name}: ${JSON.stringify(updated.body)}`, 1);
    rv = updated.body.metadata?.resourceVersion;
  } else if (created.status >= 300) {
    throw new FixtureError(`${kind} ${name}: ${(created.body as { message?: string }).message ?? created.status}`, 1);
  } else {
    rv = (created.body as { metadata?: { resourceVersion?: string } }).metadata?.resourceVersion;
  }
  // Admission reads configurations as a resourceVersion=0 list (the watch cache): active once it lists this version.
  const deadline = Date.now() + 10_000;
  for (;;) {
    const list = await client.call<{ items?: Array<{ metadata?: { name?: string; resourceVersion?: string } }> }>(
      'GET',
      `${base}?resourceVersion=0`,
    );
    if (list.body.items?.some((i) => i.metadata?.name === name && i.metadata?.resourceVersion === rv)) return name;
    if (Date.now() > deadline) throw new FixtureError(`${kind} ${name}: not active after 10 s`, 1);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** Where the test's webhook server is to serve, with its certificate. */
export interface WebhookServing {
  host: string;
  port: number;
  certDir: string;
  certFile: string;
  keyFile: string;
  pki: { ca: { certPem: string }; serving: { certPem: string; keyPem: string } };
}

/**
 * The webhook server's address and certificate files (envtest's LocalServingHost, LocalServingPort,
 * LocalServingCertDir), made when first asked for: a start whose test serves no webhook makes no
 * certificate, picks no port and writes no file.
 */
export function webhookServing(o: WebhookInstallOptions, tempDir: string, running: () => boolean = () => true): () => WebhookServing {
  let made: WebhookServing | undefined;
  return () => {
    if (made) return made;
    // Its files go in the environment's temp dir, which a stopped environment has removed.
    if (!running()) throw new Error('env.webhooks: the environment is stopped; read its serving address and certificate before stop()');
    const host = o.localServingHost ?? '127.0.0.1';
    const port = o.localServingPort || freePortSync();
    const pki = createServingPki([host, 'localhost', '127.0.0.1', '::1']);
    const certDir = o.localServingCertDir ?? path.join(tempDir, 'webhook-certs');
    mkdirSync(certDir, { recursive: true });
    const certFile = path.join(certDir, 'tls.crt');
    const keyFile = path.join(certDir, 'tls.key');
    writeFileSync(certFile, pki.serving.certPem);
    writeFileSync(keyFile, pki.serving.keyPem, { mode: 0o600 });
    made = { host, port, certDir, certFile, keyFile, pki };
    return made;
  };
}

/** Installs the webhook configurations against the serving address; the in-process webhooks' registration. */
export async function setupWebhooks(
  client: () => RestClient,
  serving: () => WebhookServing,
  configs: Record<string, unknown>[],
  inProcess = true,
): Promise<{ webhooks: EnvWebhooks; release(): void }> {
  const installed: string[] = [];
  if (configs.length) {
    const { host, port, pki } = serving();
    const hostPort = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    const c = client();
    try {
      for (const cfg of configs) installed.push(await install(c, rewriteClientConfigs(cfg, hostPort, pki.ca.certPem)));
    } finally {
      await c.close();
    }
  }

  const { registerInProcessWebhook } = await import('../server/admission/webhook/client.js');
  const unregister = new Set<() => void>();
  const register = async <T>(w: InProcessWebhook<T>, mutating: boolean): Promise<InProcessRegistration> => {
    if (!inProcess) throw new Error('in-process webhooks need the API server in this process (not an existing cluster)');
    const id = randomUUID();
    const name = w.name ?? `${id}.in-process.kapi-env.io`;
    const url = `https://${IN_PROCESS_HOST}/${id}`;
    const off = registerInProcessWebhook(url, async (raw) => {
      const review = raw as AdmissionReview<T>;
      const r = await w.handler(review);
      const response: Record<string, unknown> = { ...r, uid: review.request.uid };
      if (Array.isArray(r.patch)) {
        response.patch = Buffer.from(JSON.stringify(r.patch)).toString('base64');
        response.patchType = 'JSONPatch';
      }
      return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response };
    });
    unregister.add(off);
    const kind = mutating ? 'MutatingWebhookConfiguration' : 'ValidatingWebhookConfiguration';
    const configurationName = `kapi-env-in-process-${id}`;
    const hook: Record<string, unknown> = {
      name,
      clientConfig: { url },
      rules: w.rules.map((r) => ({ scope: '*', ...r })),
      admissionReviewVersions: ['v1'],
      sideEffects: w.sideEffects ?? 'None',
      failurePolicy: w.failurePolicy ?? 'Fail',
      timeoutSeconds: w.timeoutSeconds ?? 10,
      ...(w.matchPolicy ? { matchPolicy: w.matchPolicy } : {}),
      ...(w.namespaceSelector ? { namespaceSelector: w.namespaceSelector } : {}),
      ...(w.objectSelector ? { objectSelector: w.objectSelector } : {}),
      ...(w.matchConditions ? { matchConditions: w.matchConditions } : {}),
      ...(mutating && w.reinvocationPolicy ? { reinvocationPolicy: w.reinvocationPolicy } : {}),
    };
    const rc = client();
    try {
      await install(rc, { apiVersion: 'admissionregistration.k8s.io/v1', kind, metadata: { name: configurationName }, webhooks: [hook] });
    } catch (e) {
      off();
      throw e;
    } finally {
      await rc.close();
    }
    return {
      name,
      configurationName,
      remove: async () => {
        const dc = client();
        try {
          await dc.call('DELETE', `${GROUP_PATH}/${KINDS[kind]}/${configurationName}`);
        } finally {
          await dc.close();
        }
        off();
        unregister.delete(off);
      },
    };
  };

  return {
    webhooks: {
      // The serving address and certificate are made on first read (webhookServing).
      get host() {
        return serving().host;
      },
      get port() {
        return serving().port;
      },
      get certDir() {
        return serving().certDir;
      },
      get certFile() {
        return serving().certFile;
      },
      get keyFile() {
        return serving().keyFile;
      },
      get certPem() {
        return serving().pki.serving.certPem;
      },
      get keyPem() {
        return serving().pki.serving.keyPem;
      },
      get caPem() {
        return serving().pki.ca.certPem;
      },
      installed,
      validate: (w) => register(w, false),
      mutate: (w) => register(w, true),
    },
    release: () => {
      for (const off of unregister) off();
      unregister.clear();
    },
  };
}
