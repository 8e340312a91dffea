// A local TCP round-robin load balancer in front of several API servers, as an
// HA control plane puts one (haproxy, a cloud LB) before its kube-apiservers:
// each connection goes to the next backend, TLS passes through untouched (every
// server presents the same serving certificate), and a backend that refuses the
// connection (stopped) is skipped for the next one.

import { connect, createServer, type Socket } from 'node:net';

export interface Backend {
  host: string;
  port: number;
}

export interface Balancer {
  host: string;
  port: number;
  /** Stops routing new connections to a backend (a stopped server); open ones end with it. */
  remove(port: number): void;
  close(): Promise<void>;
}

export async function startBalancer(backends: Backend[], listen: { host: string; port: number }): Promise<Balancer> {
  const live = [...backends];
  const sockets = new Set<Socket>();
  let next = 0;

  const pipeTo = (client: Socket, attempt: number): void => {
    if (!live.length || attempt >= live.length) {
      client.destroy();
      return;
    }
    const b = live[next++ % live.length];
    const upstream = connect({ host: b.host, port: b.port });
    sockets.add(upstream);
    let connected = false;
    upstream.once('connect', () => {
      connected = true;
      client.pipe(upstream);
      upstream.pipe(client);
    });
    upstream.once('error', () => {
      // Refused before connecting: the next backend gets the client; after, the client's connection ends.
      if (!connected && !client.destroyed) pipeTo(client, attempt + 1);
      else client.destroy();
    });
    upstream.once('close', () => {
      sockets.delete(upstream);
      if (connected) client.destroy();
    });
    client.once('close', () => upstream.destroy());
  };

  const server = createServer((client) => {
    sockets.add(client);
    client.once('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    // Nothing is read before the upstream connects (no data listener until pipe): the TLS ClientHello waits.
    pipeTo(client, 0);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : listen.port;
  return {
    host: listen.host,
    port,
    remove(p) {
      const i = live.findIndex((b) => b.port === p);
      if (i >= 0) live.splice(i, 1);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}
