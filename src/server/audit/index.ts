// Audit logging (k8s.io/apiserver pkg/audit): the policy decides each request's
// level and omitted stages; the filters (filters/audit.ts) build the events;
// the backends (a log file, a webhook, in-memory sinks) take them. Without a
// policy and a backend there is no auditor, and the chain has no audit filter.

import { readFile } from 'node:fs/promises';
import type { UserInfo } from '../api/types.js';
import type { RequestInfo } from '../http/request-info.js';
import type { AuditSink } from './event.js';
import { LogBackend, type LogBackendOptions } from './log.js';
import { loadPolicy, type Policy, PolicyEvaluator, type RequestAuditConfig, type Stage } from './policy.js';
import { WebhookBackend, type WebhookBackendOptions } from './webhook.js';

export type { AuditEvent, AuditSink } from './event.js';
export { MemorySink } from './memory.js';
export type { Policy, RequestAuditConfig } from './policy.js';

export interface AuditConfig {
  /** --audit-policy-file. */
  policyFile?: string;
  /** A policy given in code (the document as YAML or JSON text, or as an object), used when no policyFile is. */
  policy?: string | Record<string, unknown>;
  /** --audit-log-path and its rotation and format flags. */
  log?: LogBackendOptions;
  /** --audit-webhook-config-file and its mode and batch flags. */
  webhook?: WebhookBackendOptions;
  /** More backends, e.g. the harness's in-memory recorder. */
  sinks?: AuditSink[];
}

/** What the handler chain's audit filters use. */
export interface Auditor {
  /** The policy's decision for a request; `user` is undefined when its authentication failed. */
  evaluate(info: RequestInfo, user: UserInfo | undefined): RequestAuditConfig;
  /** Hands an event (its JSON line) to every backend; resolves once the blocking ones have it (rejects when a strict one refused it). */
  process(line: string, stage: Stage): void | Promise<void>;
  close(): Promise<void>;
}

async function readPolicy(config: AuditConfig): Promise<Policy | undefined> {
  if (config.policyFile) {
    let text: string;
    try {
      text = await readFile(config.policyFile, 'utf8');
    } catch (e) {
      throw new Error(`loading audit policy file: failed to read file path "${config.policyFile}": ${(e as Error).message}`);
    }
    try {
      return loadPolicy(text);
    } catch (e) {
      throw new Error(`loading audit policy file: ${(e as Error).message}: from file ${config.policyFile}`);
    }
  }
  if (config.policy === undefined) return undefined;
  try {
    return loadPolicy(config.policy);
  } catch (e) {
    throw new Error(`loading audit policy: ${(e as Error).message}`);
  }
}

/** The auditor the configuration describes, or undefined (no policy, or no backend: nothing is audited). */
export async function setupAudit(config: AuditConfig | undefined): Promise<Auditor | undefined> {
  if (!config) return undefined;
  const policy = await readPolicy(config);
  const sinks: AuditSink[] = [...(config.sinks ?? [])];
  if (config.log?.path) sinks.push(new LogBackend(config.log));
  if (config.webhook?.configFile) sinks.push(await WebhookBackend.create(config.webhook));
  if (!policy || !sinks.length) {
    await Promise.all(sinks.map((s) => s.close?.()));
    return undefined;
  }
  const evaluator = new PolicyEvaluator(policy);
  return {
    evaluate: (info, user) => evaluator.evaluate(info, user),
    process(line, stage) {
      let blocking: Array<Promise<void>> | undefined;
      for (const s of sinks) {
        const p = s.process(line, stage);
        if (p) (blocking ??= []).push(p);
      }
      if (blocking) return Promise.all(blocking).then(() => undefined);
    },
    close: async () => {
      await Promise.all(sinks.map((s) => s.close?.()));
    },
  };
}
