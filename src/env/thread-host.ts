// The worker side of startEnv({ serverThread: 'worker' }) (thread.ts): the
// environment runs here, on this thread's event loop, and answers the test's
// thread over messages.

import { parentPort, workerData } from 'node:worker_threads';
import { type EnvOptions, startEnv } from './index.js';
import type { ThreadMessage, ThreadRequest } from './thread.js';

const port = parentPort!;
const { options, forwardLog } = workerData as { options: EnvOptions; forwardLog: boolean };
const post = (m: ThreadMessage): void => port.postMessage(m);

try {
  const env = await startEnv({
    ...options,
    serverThread: 'inline',
    onProgress: (phase, message) => post({ kind: 'progress', phase, message }),
    onWarning: (line) => post({ kind: 'warning', line }),
    ...(forwardLog ? { log: (line: string) => post({ kind: 'log', line }) } : {}),
  });
  post({
    kind: 'ready',
    env: {
      kubeconfigPath: env.kubeconfigPath,
      kubeconfig: env.kubeconfig,
      server: env.server,
      ca: env.ca,
      clientCert: env.clientCert,
      clientKey: env.clientKey,
      clientCa: env.clientCa && { certPem: env.clientCa.certPem, keyPem: env.clientCa.keyPem },
      storage: env.storage,
      etcdEndpoint: env.etcdEndpoint,
      pids: env.pids,
      elapsedMs: env.elapsedMs,
      // Its data (host, port, certificates); functions stay here.
      webhooks: Object.fromEntries(Object.entries(env.webhooks).filter(([, v]) => typeof v !== 'function')),
    },
  });
  port.on('message', (m: ThreadRequest) => {
    const run = async (): Promise<unknown> => {
      if (m.op === 'reset') return env.reset();
      if (m.op === 'snapshot') return env.snapshot();
      if (m.op === 'restore') return env.restore(String(m.arg));
      return env.stop();
    };
    run().then(
      (result) => {
        post({ kind: 'reply', id: m.id, result });
        if (m.op === 'stop') port.close();
      },
      (e: Error) => post({ kind: 'reply', id: m.id, error: e.message }),
    );
  });
} catch (e) {
  const err = e as Error & { exitCode?: number };
  post({ kind: 'failed', name: err.name, message: err.message, exitCode: err.exitCode });
  port.close();
}
