// kube's Webhook authorizer (k8s.io/apiserver plugin/pkg/authorizer/webhook): each
// request becomes a SubjectAccessReview POSTed to the server a kubeconfig file
// describes (--authorization-webhook-config-file; its current context's cluster
// and user: server, CA, client certificate or token), and the answer's status
// decides: allowed, denied, or neither (no opinion: the next authorizer decides).
// Answers are cached per review for --authorization-webhook-cache-authorized-ttl
// (default 5m) or -unauthorized-ttl (default 30s). A webhook that cannot be reached
// or answers an error has no opinion, with the error as the evaluation error.

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Agent } from 'undici';
import type { AuthorizationAttributes, RulesResolution } from '../api/authorization.js';
import { yaml } from '../http/yaml.js';
import type { Authorizer, Decision } from './index.js';

export interface WebhookOptions {
  configFile: string;
  /** --authorization-webhook-version: v1 (default) or v1beta1. */
  version?: 'v1' | 'v1beta1';
  authorizedTTLMs?: number;
  unauthorizedTTLMs?: number;
}

export interface Target {
  server: string;
  agent: Agent;
  token?: string;
}

type Rec = Record<string, unknown>;
const rec = (v: unknown): Rec => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Rec) : {});
const named = (list: unknown, name: string): Rec | undefined => {
  const items = Array.isArray(list) ? list.map(rec) : [];
  return items.find((i) => i.name === name) ?? items[0];
};

/** The kubeconfig's current context: its cluster (server, CA) and user (client certificate, token); files relative to it. */
export async function loadTarget(file: string): Promise<Target> {
  const cfg = rec(yaml().parse(await readFile(file, 'utf8')));
  const ctx = rec(named(cfg.contexts, String(cfg['current-context'] ?? ''))?.context);
  const cluster = rec(named(cfg.clusters, String(ctx.cluster ?? ''))?.cluster);
  const user = rec(named(cfg.users, String(ctx.user ?? ''))?.user);
  const dir = path.dirname(file);
  const material = async (dataKey: string, fileKey: string, from: Rec): Promise<string | undefined> => {
    if (typeof from[dataKey] === 'string') return Buffer.from(from[dataKey] as string, 'base64').toString('utf8');
    if (typeof from[fileKey] === 'string') return readFile(path.resolve(dir, from[fileKey] as string), 'utf8');
    return undefined;
  };
  const server = String(cluster.server ?? '');
  if (!server) throw new Error(`${file}: the webhook kubeconfig names no cluster server`);
  const [ca, cert, key] = await Promise.all([
    material('certificate-authority-data', 'certificate-authority', cluster),
    material('client-certificate-data', 'client-certificate', user),
    material('client-key-data', 'client-key', user),
  ]);
  const token = typeof user.token === 'string' ? user.token : undefined;
  // undici is loaded with the first webhook configuration, not with every server start.
  const { Agent } = await import('undici');
  const agent = new Agent({ connect: { ca, cert, key, rejectUnauthorized: cluster['insecure-skip-tls-verify'] !== true } });
  return { server, agent, token };
}

/** The SubjectAccessReview spec for a request, as kube's webhook authorizer fills it. */
function reviewSpec(attrs: AuthorizationAttributes): Rec {
  const spec: Rec = {};
  if (attrs.isResourceRequest) {
    spec.resourceAttributes = {
      namespace: attrs.namespace || undefined,
      verb: attrs.verb || undefined,
      group: attrs.apiGroup || undefined,
      version: attrs.apiVersion || undefined,
      resource: attrs.resource || undefined,
      subresource: attrs.subresource || undefined,
      name: attrs.name || undefined,
    };
  } else {
    spec.nonResourceAttributes = { path: attrs.path || undefined, verb: attrs.verb || undefined };
  }
  spec.user = attrs.user.username || undefined;
  if (attrs.user.uid) spec.uid = attrs.user.uid;
  if (attrs.user.groups.length) spec.groups = attrs.user.groups;
  if (attrs.user.extra && Object.keys(attrs.user.extra).length) spec.extra = attrs.user.extra;
  return spec;
}

export class WebhookAuthorizer implements Authorizer {
  private target?: Promise<Target>;
  private readonly cache = new Map<string, { decision: Decision; expires: number }>();

  constructor(private readonly opts: WebhookOptions) {}

  /** Reads the kubeconfig (the server calls it at startup so that a bad file fails there). */
  load(): Promise<Target> {
    this.target ??= loadTarget(this.opts.configFile);
    return this.target;
  }

  async authorize(attrs: AuthorizationAttributes): Promise<Decision> {
    const spec = reviewSpec(attrs);
    const key = JSON.stringify(spec);
    const now = Date.now();
    const hit = this.cache.get(key);
    if (hit && hit.expires > now) return hit.decision;
    const version = this.opts.version ?? 'v1';
    const body = {
      apiVersion: `authorization.k8s.io/${version}`,
      kind: 'SubjectAccessReview',
      metadata: { creationTimestamp: null },
      spec,
      status: { allowed: false },
    };
    let status: Rec;
    try {
      const t = await this.load();
      const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
      if (t.token) headers.authorization = `Bearer ${t.token}`;
      const { request } = await import('undici');
      const res = await request(t.server, { method: 'POST', dispatcher: t.agent, headers, body: JSON.stringify(body) });
      const text = await res.body.text();
      if (res.statusCode < 200 || res.statusCode >= 300) throw new Error(`the webhook answered ${res.statusCode}: ${text.slice(0, 200)}`);
      status = rec(rec(JSON.parse(text)).status);
    } catch (e) {
      // Not cached: the next request asks again.
      return { decision: 'noOpinion', reason: '', evaluationError: e instanceof Error ? e.message : String(e) };
    }
    const reason = typeof status.reason === 'string' ? status.reason : '';
    const decision: Decision =
      status.allowed === true
        ? { decision: 'allow', reason }
        : status.denied === true
          ? { decision: 'deny', reason }
          : { decision: 'noOpinion', reason };
    if (typeof status.evaluationError === 'string' && status.evaluationError) decision.evaluationError = status.evaluationError;
    const ttl = decision.decision === 'allow' ? (this.opts.authorizedTTLMs ?? 300_000) : (this.opts.unauthorizedTTLMs ?? 30_000);
    if (ttl > 0) this.cache.set(key, { decision, expires: now + ttl });
    if (this.cache.size > 10_000) this.cache.delete(this.cache.keys().next().value as string);
    return decision;
  }

  rulesFor(): RulesResolution {
    return {
      resourceRules: [],
      nonResourceRules: [],
      incomplete: true,
      evaluationError: 'webhook authorizer does not support user rule resolution',
    };
  }

  close(): Promise<void> {
    return this.target ? this.target.then((t) => t.agent.close()).catch(() => undefined) : Promise.resolve();
  }
}
