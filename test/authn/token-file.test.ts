// --token-auth-file: kube's CSV (token,user,uid[,"group1,group2"]) read as Go's encoding/csv reads it.

import { describe, expect, it } from 'vitest';
import { parseCsv, parseTokenFile, TokenFileAuthenticator, TokenFileError } from '../../src/server/authn/token-file.js';

describe('token file', () => {
  it('reads token, user, uid and the quoted group list', () => {
    const tokens = parseTokenFile('abc,alice,1001,"dev,ops"\n  def, bob ,1002\n', 'tokens.csv');
    expect(tokens.get('abc')).toEqual({ username: 'alice', uid: '1001', groups: ['dev', 'ops'] });
    // TrimLeadingSpace: leading blanks go, trailing ones stay.
    expect(tokens.get('def')).toEqual({ username: 'bob ', uid: '1002', groups: [] });
  });

  it('skips blank lines and empty tokens; a later line wins', () => {
    const tokens = parseTokenFile('\n,nobody,0\nt,first,1\n\nt,second,2\n', 'f');
    expect([...tokens.keys()]).toEqual(['t']);
    expect(tokens.get('t')?.username).toBe('second');
  });

  it('refuses a line with fewer than three columns, in kube words', () => {
    expect(() => parseTokenFile('tok,user\n', '/etc/tokens.csv')).toThrow(
      "token file '/etc/tokens.csv' must have at least 3 columns (token, user name, user uid), found 2",
    );
  });

  it('reads quotes as encoding/csv: doubled quotes, bare quotes refused', () => {
    expect(parseCsv('a,"b ""c""",d')).toEqual([['a', 'b "c"', 'd']]);
    expect(parseCsv('a,b,\n')).toEqual([['a', 'b', '']]);
    expect(() => parseCsv('a,b"c,d')).toThrow(TokenFileError);
    expect(() => parseCsv('a,b"c,d')).toThrow('bare " in non-quoted-field');
  });

  it('authenticates a listed token and passes any other over', async () => {
    const a = new TokenFileAuthenticator(parseTokenFile('secret,carol,42,admins\n', 'f'));
    expect(await a.authenticateToken('secret')).toEqual({ kind: 'user', user: { username: 'carol', uid: '42', groups: ['admins'] } });
    expect(await a.authenticateToken('other')).toEqual({ kind: 'none' });
  });
});
