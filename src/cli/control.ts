// The control socket of a running `up` (`<state-dir>/control.sock`): `kapi-env
// reset`, `snapshot` and `restore <id>` ask the process that holds the store.
// One JSON line each way.

import { rm } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import type { ResetHelpers } from '../env/reset.js';
import { CliError, printer } from './output.js';
import { statePaths } from './state.js';

interface ControlRequest {
  op: 'reset' | 'snapshot' | 'restore';
  id?: string;
}

interface ControlReply {
  ok: boolean;
  id?: string;
  ms?: number;
  error?: string;
}

export function controlSocketPath(stateDir: string): string {
  return path.join(statePaths(stateDir).dir, 'control.sock');
}

/** Answers control requests for `env` until closed. */
export async function serveControl(stateDir: string, env: ResetHelpers): Promise<{ close(): Promise<void> }> {
  const file = controlSocketPath(stateDir);
  await rm(file, { force: true });
  const server = net.createServer((socket) => {
    let buf = '';
    socket.setEncoding('utf8');
    socket.on('error', () => undefined);
    socket.on('data', (d: string) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      const line = buf.slice(0, nl);
      buf = '';
      void answer(env, line).then((reply) => socket.end(`${JSON.stringify(reply)}\n`));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(file, () => resolve());
  });
  server.unref();
  return {
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(file, { force: true });
    },
  };
}

async function answer(env: ResetHelpers, line: string): Promise<ControlReply> {
  const started = performance.now();
  try {
    const req = JSON.parse(line) as ControlRequest;
    let id: string | undefined;
    if (req.op === 'reset') await env.reset();
    else if (req.op === 'snapshot') id = await env.snapshot();
    else if (req.op === 'restore') await env.restore(String(req.id));
    else return { ok: false, error: `unknown request ${JSON.stringify(req.op)}` };
    return { ok: true, id, ms: Math.round((performance.now() - started) * 10) / 10 };
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
}

function ask(stateDir: string, req: ControlRequest): Promise<ControlReply> {
  const file = controlSocketPath(stateDir);
  return new Promise((resolve, reject) => {
    const socket = net.connect(file);
    let buf = '';
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(`${JSON.stringify(req)}\n`));
    socket.on('data', (d: string) => {
      buf += d;
    });
    socket.on('end', () => {
      try {
        resolve(JSON.parse(buf) as ControlReply);
      } catch {
        reject(new CliError(`no answer from the environment at ${stateDir}`));
      }
    });
    socket.on('error', () =>
      reject(
        new CliError(`no running environment at ${path.resolve(stateDir)}`, 'start one with `kapi-env up --detach` (or pass --state-dir)'),
      ),
    );
  });
}

export interface ControlFlags {
  stateDir: string;
  json?: boolean;
}

/** `kapi-env reset | snapshot | restore <id>`. */
export async function runControl(op: ControlRequest['op'], flags: ControlFlags, id?: string): Promise<number> {
  const out = printer({ json: flags.json });
  const reply = await ask(flags.stateDir, { op, id });
  if (!reply.ok) throw new CliError(reply.error ?? `${op} failed`);
  if (flags.json) out.line(JSON.stringify({ id: reply.id, ms: reply.ms }));
  else if (op === 'snapshot') out.line(String(reply.id));
  else out.line(`${op === 'reset' ? 'reset' : `restored ${id}`} in ${reply.ms} ms`);
  return 0;
}
