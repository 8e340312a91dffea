// kube-apiserver's audit flags (k8s.io/apiserver pkg/server/options/audit.go):
// their help, parsing with kube's checks and messages, and the AuditConfig they
// describe. config.ts lists them among the serve flags.

import type { AuditConfig } from './index.js';
import { DEFAULT_BATCH_MAX_SIZE, DEFAULT_BATCH_MAX_WAIT_MS, type WebhookMode } from './webhook.js';

export interface AuditFlags {
  policyFile?: string;
  logPath?: string;
  logMaxAge?: number;
  logMaxBackup?: number;
  logMaxSize?: number;
  logFormat?: 'json' | 'legacy';
  webhookConfigFile?: string;
  webhookMode?: WebhookMode;
  webhookBatchMaxSize?: number;
  webhookBatchMaxWaitMs?: number;
}

export const AUDIT_FLAG_HELP: Record<string, string> = {
  'audit-policy-file': 'Path to the file that defines the audit policy configuration.',
  'audit-log-path': "If set, all requests coming to the apiserver will be logged to this file.  '-' means standard out.",
  'audit-log-maxage': 'The maximum number of days to retain old audit log files based on the timestamp encoded in their filename.',
  'audit-log-maxbackup':
    "The maximum number of old audit log files to retain. Setting a value of 0 will mean there's no restriction on the number of files.",
  'audit-log-maxsize': 'The maximum size in megabytes of the audit log file before it gets rotated.',
  'audit-log-format':
    'Format of saved audits. "legacy" indicates 1-line text format for each event. "json" indicates structured json format. Known formats are legacy,json. (default "json")',
  'audit-webhook-config-file': 'Path to a kubeconfig formatted file that defines the audit webhook configuration.',
  'audit-webhook-mode':
    'Strategy for sending audit events. Blocking indicates sending events should block server responses. Batch causes the backend to buffer and write events asynchronously. Known modes are batch,blocking,blocking-strict. (default "batch")',
  'audit-webhook-batch-max-size': 'The maximum size of a batch. Only used in batch mode. (default 400)',
  'audit-webhook-batch-max-wait':
    "The amount of time to wait before force writing the batch that hadn't reached the max size. Only used in batch mode. (default 30s)",
};

const MODES: readonly WebhookMode[] = ['batch', 'blocking', 'blocking-strict'];

/** pflag's IntVar: a decimal integer, else its parse error. */
function int(name: string, value: string): number | string {
  if (!/^[+-]?\d+$/.test(value))
    return `invalid argument "${value}" for "--${name}" flag: strconv.ParseInt: parsing "${value}": invalid syntax`;
  return Number(value);
}

/** Applies one audit flag; returns kube's message when the value is refused. */
export function applyAuditFlag(out: AuditFlags, name: string, value: string, parseDuration: (s: string) => number): string | undefined {
  switch (name) {
    case 'audit-policy-file':
      out.policyFile = value;
      return;
    case 'audit-log-path':
      out.logPath = value;
      return;
    case 'audit-log-maxage':
    case 'audit-log-maxbackup':
    case 'audit-log-maxsize': {
      const n = int(name, value);
      if (typeof n === 'string') return n;
      if (n < 0) return `--${name} ${n} can't be a negative number`;
      if (name === 'audit-log-maxage') out.logMaxAge = n;
      else if (name === 'audit-log-maxbackup') out.logMaxBackup = n;
      else out.logMaxSize = n;
      return;
    }
    case 'audit-log-format':
      if (value !== 'json' && value !== 'legacy') return `invalid audit log format ${value}, allowed formats are "legacy,json"`;
      out.logFormat = value;
      return;
    case 'audit-webhook-config-file':
      out.webhookConfigFile = value;
      return;
    case 'audit-webhook-mode':
      if (!MODES.includes(value as WebhookMode)) return `invalid audit webhook mode ${value}, allowed modes are "${MODES.join(',')}"`;
      out.webhookMode = value as WebhookMode;
      return;
    case 'audit-webhook-batch-max-size': {
      const n = int(name, value);
      if (typeof n === 'string') return n;
      if (n <= 0) return `invalid audit batch webhook max batch size ${n}, must be a positive number`;
      out.webhookBatchMaxSize = n;
      return;
    }
    case 'audit-webhook-batch-max-wait':
      // kube checks the buffer and batch sizes, not the wait: 0 or less sends each batch at once.
      out.webhookBatchMaxWaitMs = Math.max(parseDuration(value), 0);
      return;
  }
  return undefined;
}

/** The AuditConfig the flags describe; undefined when they name no policy. */
export function auditConfigFromFlags(f: AuditFlags | undefined): AuditConfig | undefined {
  if (!f?.policyFile) return undefined;
  return {
    policyFile: f.policyFile,
    log: f.logPath
      ? { path: f.logPath, maxAgeDays: f.logMaxAge, maxBackups: f.logMaxBackup, maxSizeMB: f.logMaxSize, format: f.logFormat }
      : undefined,
    webhook: f.webhookConfigFile
      ? {
          configFile: f.webhookConfigFile,
          mode: f.webhookMode,
          batchMaxSize: f.webhookBatchMaxSize ?? DEFAULT_BATCH_MAX_SIZE,
          batchMaxWaitMs: f.webhookBatchMaxWaitMs ?? DEFAULT_BATCH_MAX_WAIT_MS,
        }
      : undefined,
  };
}
