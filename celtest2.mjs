import { Environment } from '@marcbachmann/cel-js';
const env = new Environment({ unlistedVariablesAreDyn: true, enableOptionalTypes: true, homogeneousAggregateLiterals: false });
try { env.registerFunction('string.matches(string): bool', (s, re) => { console.log('custom matches'); return true; }); console.log('re-register ok'); } catch (e) { console.log('re-register failed', e.message); }
const tests = [
 ['has(self.m[0].path)', {self: {m: [{path: 1n}]}}],
 ['has(self.m[0].path)', {self: {m: [{}]}}],
 ['has(self.a.b)', {self: {a: {}}}],
 ['"ABC".matches("(?i)abc")', {}],
 ['self.x.size()', {self: {x: [1n]}}],
];
for (const [e, ctx] of tests) { try { console.log(e, '=>', env.evaluate(e, ctx)); } catch (err) { console.log(e, 'ERR', err.message.split('\n')[0]); } }
