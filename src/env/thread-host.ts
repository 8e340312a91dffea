// The worker side of the environment's thread (thread.ts): startEnv runs here, on this
// thread's event loop, and the Env it returns is offered to the test's thread (rpc.ts).

import { parentPort } from 'node:worker_threads';
import { type EnvOptions, startEnv } from './index.js';
import { HostPeer } from './rpc.js';

const host = new HostPeer(parentPort!, (options: EnvOptions) => startEnv({ ...options, serverThread: 'inline' }));
// A caller blocked on a call learns at once that this thread is gone.
process.on('exit', () => host.gone());
