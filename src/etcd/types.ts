// What the etcd starters hand back, and their expected errors.

export class EtcdError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'EtcdError';
  }
}

export interface EtcdProcess {
  endpoint: string;
  pid?: number;
  /** Empty for a container (its data goes with it). */
  dataDir: string;
  containerId?: string;
  stop(): Promise<{ killed: boolean }>;
}
