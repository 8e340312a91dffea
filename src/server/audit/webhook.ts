// The webhook backend (--audit-webhook-config-file: a kubeconfig naming the
// server, its CA and the client's credentials): events POSTed as an
// audit.k8s.io/v1 EventList. Batch mode (the default, k8s.io/apiserver
// plugin/pkg/audit/buffered) gathers events until --audit-webhook-batch-max-size
// are waiting or --audit-webhook-batch-max-wait has passed since the first;
// blocking modes send each event before the request goes on (blocking-strict
// fails the request when the RequestReceived event cannot be sent). Whatever is
// buffered is sent on shutdown.

import { loadTarget, type Target } from '../authz/webhook.js';
import type { AuditSink } from './event.js';
import type { Stage } from './policy.js';

export type WebhookMode = 'batch' | 'blocking' | 'blocking-strict';

export interface WebhookBackendOptions {
  configFile: string;
  mode?: WebhookMode;
  /** --audit-webhook-batch-max-size (default 400). */
  batchMaxSize?: number;
  /** --audit-webhook-batch-max-wait in ms (default 30 s). */
  batchMaxWaitMs?: number;
}

export const DEFAULT_BATCH_MAX_SIZE = 400;
export const DEFAULT_BATCH_MAX_WAIT_MS = 30_000;

export function eventListBody(lines: string[]): string {
  return `{"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{},"items":[${lines.join(',')}]}`;
}

export class WebhookBackend implements AuditSink {
  private batch: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly mode: WebhookMode;
  private readonly maxSize: number;
  private readonly maxWaitMs: number;
  private failing = false;

  private constructor(
    private readonly target: Target,
    opts: WebhookBackendOptions,
  ) {
    this.mode = opts.mode ?? 'batch';
    this.maxSize = opts.batchMaxSize ?? DEFAULT_BATCH_MAX_SIZE;
    this.maxWaitMs = opts.batchMaxWaitMs ?? DEFAULT_BATCH_MAX_WAIT_MS;
  }

  static async create(opts: WebhookBackendOptions): Promise<WebhookBackend> {
    return new WebhookBackend(await loadTarget(opts.configFile), opts);
  }

  process(line: string, stage: Stage): void | Promise<void> {
    if (this.mode !== 'batch') {
      const sent = this.send([line]);
      // blocking-strict: a RequestReceived event that cannot be stored fails the request (the filter answers 500).
      return this.mode === 'blocking-strict' && stage === 'RequestReceived' ? sent.then(this.strict) : sent.then(() => undefined);
    }
    this.batch.push(line);
    if (this.batch.length >= this.maxSize) this.sendBatch();
    else this.timer ??= setTimeout(() => this.sendBatch(), this.maxWaitMs);
  }

  private readonly strict = (ok: boolean): void => {
    if (!ok) throw new Error('failed to store audit event');
  };

  private sendBatch(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const lines = this.batch;
    this.batch = [];
    if (!lines.length) return;
    const p = this.send(lines).then(() => undefined);
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  /** One POST of an EventList; true when the backend answered 2xx. Failures are logged once per outage. */
  private async send(lines: string[]): Promise<boolean> {
    const { request } = await import('undici');
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    if (this.target.token) headers.authorization = `Bearer ${this.target.token}`;
    try {
      const res = await request(this.target.server, { method: 'POST', dispatcher: this.target.agent, headers, body: eventListBody(lines) });
      await res.body.dump();
      if (res.statusCode >= 300) throw new Error(`the server answered ${res.statusCode}`);
      this.failing = false;
      return true;
    } catch (e) {
      if (!this.failing) console.error(`kapi-env: audit webhook: sending ${lines.length} events failed:`, (e as Error).message);
      this.failing = true;
      return false;
    }
  }

  async close(): Promise<void> {
    this.sendBatch();
    await Promise.all(this.inFlight);
    await this.target.agent.close();
  }
}
