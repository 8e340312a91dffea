// Generated data (scripts/gen/: patch metadata, protobuf messages, field docs) ships as JSON files beside
// the modules that read them and is read on first use: imported, a few hundred KB of object literals
// would be compiled by every process that loads the server, used or not.

import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Reads `file` (`./x.json`, beside the module at `moduleUrl`) once, on the first call. In the CLI bundle
 * the module is part of a bundle in dist/cli-bundle/, so `bundlePath` (relative to it) names the compiled tree's copy.
 */
export function lazyJSON<T>(moduleUrl: string, file: string, bundlePath: string): () => T {
  let value: T | undefined;
  return () => {
    if (value === undefined) {
      const here = new URL(file, moduleUrl);
      const url = existsSync(here) ? here : new URL(bundlePath, moduleUrl);
      value = JSON.parse(readFileSync(fileURLToPath(url), 'utf8')) as T;
    }
    return value;
  };
}
