// Static tokens (--token-auth-file), kube's tokenfile authenticator: a CSV file,
// one token a line: token,user,uid[,"group1,group2"], read as Go's encoding/csv
// reads it (quoted fields, leading spaces trimmed, any number of fields).

import type { UserInfo } from '../api/types.js';
import type { TokenAuthenticator, TokenResult } from './index.js';

export class TokenFileError extends Error {}

/** Go's csv.Reader with FieldsPerRecord = -1 and TrimLeadingSpace: the records, blank lines skipped. */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    let line = lines[i];
    if (line.trim() === '' && !line.includes('"')) continue;
    const fields: string[] = [];
    let pos = 0;
    for (;;) {
      while (pos < line.length && (line[pos] === ' ' || line[pos] === '\t')) pos++;
      if (line[pos] === '"') {
        // A quoted field: "" is a quote; it may run over several lines.
        let value = '';
        pos++;
        for (;;) {
          const q = line.indexOf('"', pos);
          if (q < 0) {
            value += `${line.slice(pos)}\n`;
            if (++i >= lines.length)
              throw new TokenFileError(
                `record on line ${lineNo}; parse error on line ${i + 1}, column 0: extraneous or missing " in quoted-field`,
              );
            line = lines[i];
            pos = 0;
            continue;
          }
          value += line.slice(pos, q);
          if (line[q + 1] === '"') {
            value += '"';
            pos = q + 2;
            continue;
          }
          pos = q + 1;
          break;
        }
        if (pos < line.length && line[pos] !== ',')
          throw new TokenFileError(`parse error on line ${i + 1}, column ${pos + 1}: extraneous or missing " in quoted-field`);
        fields.push(value);
      } else {
        const comma = line.indexOf(',', pos);
        const value = comma < 0 ? line.slice(pos) : line.slice(pos, comma);
        const bare = value.indexOf('"');
        if (bare >= 0) throw new TokenFileError(`parse error on line ${lineNo}, column ${pos + bare + 1}: bare " in non-quoted-field`);
        fields.push(value);
        pos = comma < 0 ? line.length : comma;
      }
      if (pos >= line.length) break;
      pos++; // the comma
      if (pos >= line.length) {
        fields.push('');
        break;
      }
    }
    records.push(fields);
  }
  return records;
}

/** kube's tokenfile.NewCSV: token -> user; a later line with the same token wins, an empty token is skipped. */
export function parseTokenFile(text: string, path: string): Map<string, UserInfo> {
  const tokens = new Map<string, UserInfo>();
  for (const record of parseCsv(text)) {
    if (record.length < 3)
      throw new TokenFileError(`token file '${path}' must have at least 3 columns (token, user name, user uid), found ${record.length}`);
    if (record[0] === '') continue;
    const user: UserInfo = { username: record[1], uid: record[2], groups: record.length >= 4 ? record[3].split(',') : [] };
    tokens.set(record[0], user);
  }
  return tokens;
}

export class TokenFileAuthenticator implements TokenAuthenticator {
  constructor(private readonly tokens: Map<string, UserInfo>) {}

  async authenticateToken(token: string): Promise<TokenResult> {
    const user = this.tokens.get(token);
    return user ? { kind: 'user', user: structuredClone(user) } : { kind: 'none' };
  }
}
