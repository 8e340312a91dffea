// Calling a webhook (k8s.io/apiserver/pkg/util/webhook ClientManager + the REST
// client's POST): `clientConfig.url`, or a `service` reference resolved to one of
// the Service's ready endpoints (TLS server name `<name>.<namespace>.svc`, as kube
// verifies it), HTTPS through undici with the caBundle as the only trusted CA,
// `?timeout=<n>s` on the URL and the deadline enforced. Failures read as Go's
// net/http errors do: `Post "<url>": <reason>`.

import type { Agent } from 'undici';
import type { ClientConfig, ServiceReference } from './accessor.js';

/** Where a service reference points: an address, and the name the serving certificate must carry. */
export interface ResolvedService {
  host: string;
  port: number;
}

export type ServiceResolver = (ref: ServiceReference) => Promise<ResolvedService>;

/**
 * Webhooks answered by a function in this process (the test harness's in-process handlers), by URL:
 * the AdmissionReview is encoded and decoded as for a remote webhook, only the network is skipped.
 */
export type InProcessHandler = (review: unknown) => unknown | Promise<unknown>;
const inProcess = new Map<string, InProcessHandler>();

export function registerInProcessWebhook(url: string, handler: InProcessHandler): () => void {
  inProcess.set(url, handler);
  return () => {
    if (inProcess.get(url) === handler) inProcess.delete(url);
  };
}

/** A transport-level failure (kube's ErrCallingWebhook reason). */
export class CallError extends Error {}

const agents = new Map<string, Agent>();
let undici: Promise<typeof import('undici')> | undefined;

async function agentFor(ca: string | undefined, servername: string | undefined): Promise<Agent> {
  const key = `${servername ?? ''}\n${ca ?? ''}`;
  let agent = agents.get(key);
  if (!agent) {
    const { Agent } = await (undici ??= import('undici'));
    agent = new Agent({ connect: { ...(ca ? { ca } : {}), ...(servername ? { servername } : {}) }, connections: 16 });
    // Bounded: one agent per distinct CA and server name; the oldest goes (its connections closed) past 64.
    if (agents.size >= 64) {
      const [oldestKey, oldest] = agents.entries().next().value!;
      agents.delete(oldestKey);
      void oldest.close().catch(() => undefined);
    }
    agents.set(key, agent);
  }
  return agent;
}

/** A transport failure as Go's net/http words it (`dial tcp ...: connect: connection refused`). */
export function goReason(e: unknown, host: string, port: number, timedOut: boolean): string {
  if (timedOut) return 'context deadline exceeded';
  const err = e as { code?: string; cause?: { code?: string; message?: string }; message?: string };
  const code = err.cause?.code ?? err.code ?? '';
  const addr = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  switch (code) {
    case 'ECONNREFUSED':
      return `dial tcp ${addr}: connect: connection refused`;
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return 'EOF';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `dial tcp: lookup ${host}: no such host`;
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
      return 'tls: failed to verify certificate: x509: certificate signed by unknown authority';
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return `tls: failed to verify certificate: x509: certificate is not valid for ${host}`;
    case 'CERT_HAS_EXPIRED':
      return 'tls: failed to verify certificate: x509: certificate has expired or is not yet valid';
    default:
      return err.cause?.message ?? err.message ?? String(e);
  }
}

/**
 * POSTs the review and returns the decoded response body. Transport failures, non-2xx answers and
 * undecodable bodies throw CallError with kube's reason text.
 */
export async function callWebhook(cc: ClientConfig, review: unknown, timeoutSeconds: number, resolve: ServiceResolver): Promise<unknown> {
  let url: URL;
  let connectHost: string;
  let connectPort: number;
  let servername: string | undefined;
  if (cc.url) {
    url = new URL(cc.url);
    connectHost = url.hostname.replace(/^\[|\]$/g, '');
    connectPort = Number(url.port || 443);
  } else if (cc.service) {
    const s = cc.service;
    servername = `${s.name}.${s.namespace}.svc`;
    url = new URL(`https://${servername}:${s.port}${s.path ?? ''}`);
    const target = await resolve(s).catch((e: unknown) => {
      throw new CallError(e instanceof Error ? e.message : String(e));
    });
    connectHost = target.host;
    connectPort = target.port;
  } else {
    throw new CallError('ClientConfig must contain either a URL or a Service reference');
  }
  url.searchParams.set('timeout', `${timeoutSeconds}s`);
  const shown = `Post "${url.toString()}"`;
  const body = JSON.stringify(review);

  const handler = cc.url ? inProcess.get(cc.url) : undefined;
  if (handler) {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new CallError(`${shown}: context deadline exceeded`)), timeoutSeconds * 1000);
    });
    try {
      const out = await Promise.race([Promise.resolve().then(() => handler(JSON.parse(body))), deadline]);
      return JSON.parse(JSON.stringify(out ?? null));
    } catch (e) {
      if (e instanceof CallError) throw e;
      throw new CallError(`${shown}: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      clearTimeout(timer);
    }
  }

  const { request } = await (undici ??= import('undici'));
  const dispatcher = await agentFor(cc.caBundle, servername);
  const target = new URL(url.toString());
  target.hostname = connectHost.includes(':') ? `[${connectHost}]` : connectHost;
  target.port = String(connectPort);
  const signal = AbortSignal.timeout(timeoutSeconds * 1000);
  let text: string;
  let status: number;
  try {
    const res = await request(target, {
      method: 'POST',
      dispatcher,
      signal,
      headers: { 'content-type': 'application/json', accept: 'application/json, */*', host: url.host },
      body,
    });
    status = res.statusCode;
    text = await res.body.text();
  } catch (e) {
    throw new CallError(`${shown}: ${goReason(e, connectHost, connectPort, signal.aborted)}`);
  }
  if (status < 200 || status > 206) {
    const trimmed = text.trim();
    throw new CallError(
      trimmed
        ? `an error on the server ("${trimmed.slice(0, 1024)}") has prevented the request from succeeding`
        : `the server responded with the status code ${status} but did not return more information`,
    );
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new CallError(`${e instanceof Error ? e.message : String(e)}`);
  }
}
