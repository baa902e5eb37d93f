import { describe, expect, it } from 'vitest';
import { IdentifierHasher } from './application-identifiers.ts';
import { changeWatchlist, checkChangeSet, entriesOf, hashEntries, maskIdentifier, newWatchlist, parseWatchlistCsv, proposeEntries, WatchlistIndex, type WatchlistChangeSet } from './watchlists.ts';
import type { MingjianError } from '../kernel/errors.ts';

const hasher = new IdentifierHasher(Buffer.alloc(32, 1));
const NOW = '2025-06-01T00:00:00.000Z';

describe('watchlists', () => {
  it('stores hashes only, matches normalised values, and honours expiry', () => {
    let list = newWatchlist('fraud-devices', 'device', 'devices confirmed in fraud');
    const entries = hashEntries(list, [
      { value: 'DEV-ABC', reason: 'ring ring-1234', source: 'case c1' },
      { value: 'dev-old', reason: 'old', source: 'import', expiresAt: '2025-05-01T00:00:00Z' },
    ], hasher, 'alice', NOW);
    list = changeWatchlist(list, entries).list;
    expect(JSON.stringify(list)).not.toMatch(/abc/i);
    expect(list.entries[0]!.key).toMatch(/^[0-9a-f]{16}$/);
    let now = Date.parse(NOW);
    const index = new WatchlistIndex([list], hasher, () => now);
    expect(index.has('fraud-devices', ' dev-abc ')).toBe(true); // trimmed and lower-cased like the graph
    expect(index.has('fraud-devices', 'DEV-OLD')).toBe(false); // expired
    expect(index.has('fraud-devices', 'other')).toBe(false);
    expect(index.has('no-such-list', 'DEV-ABC')).toBe(false);
    expect(index.has('fraud-devices', null)).toBe(false);
    expect(index.lookup('fraud-devices', 'DEV-ABC')).toMatchObject({ reason: 'ring ring-1234', addedBy: 'alice', source: 'case c1' });
    now = Date.parse('2025-04-01T00:00:00Z');
    expect(index.has('fraud-devices', 'dev-old')).toBe(true); // before its expiry
  });

  it('phones match across spellings; kinds do not collide', () => {
    const phones = changeWatchlist(newWatchlist('bad-phones', 'phone'), hashEntries(newWatchlist('x', 'phone'), [{ value: '+86 138 0013 8000', reason: 'r', source: 's' }], hasher, 'bob', NOW)).list;
    const cards = changeWatchlist(newWatchlist('bad-cards', 'bankCard'), hashEntries(newWatchlist('y', 'bankCard'), [{ value: '13800138000', reason: 'r', source: 's' }], hasher, 'bob', NOW)).list;
    const index = new WatchlistIndex([phones, cards], hasher, () => 0);
    expect(index.has('bad-phones', '13800138000')).toBe(true);
    expect(phones.entries[0]!.key).not.toBe(cards.entries[0]!.key);
  });

  it('counts additions, replacements and removals for the audit trail', () => {
    const list = newWatchlist('l', 'email');
    const [a, b] = hashEntries(list, [{ value: 'a@x.cn', reason: 'r', source: 's' }, { value: 'b@x.cn', reason: 'r', source: 's' }], hasher, 'u', NOW);
    const first = changeWatchlist(list, [a!, b!]);
    expect(first.change).toEqual({ list: 'l', added: 2, updated: 0, removed: 0 });
    const second = changeWatchlist(first.list, [{ ...a!, reason: 'renewed' }], [b!.key, 'f'.repeat(16)]);
    expect(second.change).toEqual({ list: 'l', added: 0, updated: 1, removed: 1 });
    expect(second.list.entries).toHaveLength(1);
  });

  it('rejects bad names, kinds and entries with the field named', () => {
    expect(() => newWatchlist('Bad Name', 'device')).toThrow(/invalid watchlist name/);
    expect(() => newWatchlist('ok', 'shoe-size')).toThrow(/unknown identifier kind/);
    try {
      hashEntries(newWatchlist('ok', 'phone'), [{ value: '---', reason: '', source: 's', expiresAt: 'soon' }], hasher, 'u', NOW);
      throw new Error('expected failure');
    } catch (e) {
      expect((e as MingjianError).details?.map((d) => d.path)).toEqual(['entries[0].value', 'entries[0].reason', 'entries[0].expiresAt']);
    }
  });

  it('imports CSV in bulk, reporting each bad row by line and field', () => {
    const list = newWatchlist('cards', 'bankCard');
    const ok = parseWatchlistCsv('value,reason,source,expiresAt\n6222 0000 1111 2222,mule card,bank notice,2026-01-01\n6222000011112222,dup,bank notice,\n6333000011112222,"collection card, ring 7",case c9,\n', list, hasher, 'carol', NOW);
    expect(ok.entries).toHaveLength(2);
    expect(ok.duplicates).toBe(1);
    expect(ok.entries.find((e) => e.source === 'case c9')!.reason).toBe('collection card, ring 7');
    try {
      parseWatchlistCsv('value,reason,source\n6222000011112222,r,s\n,missing value,s\n6333,,s\n', list, hasher, 'carol', NOW);
      throw new Error('expected failure');
    } catch (e) {
      expect((e as MingjianError).details).toEqual([
        { line: 3, path: 'value', message: 'empty or not a bankCard' },
        { line: 4, path: 'reason', message: 'a reason is required' },
      ]);
    }
    expect(() => parseWatchlistCsv('a,b\n1,2\n', list, hasher, 'c', NOW)).toThrow(/header row/);
  });

  it('masks previews so a change set never holds the value', () => {
    expect(maskIdentifier('6222000011112222')).toBe('62************22');
    expect(maskIdentifier(' 13812345678 ')).toBe('13*******78');
    expect(maskIdentifier('dev-9')).toBe('d***9');
    expect(maskIdentifier('1.2')).toBe('***');
    expect(maskIdentifier('')).toBe('');
  });

  it('checks change sets by shape and against the live lists', () => {
    const list = newWatchlist('mule-cards', 'bankCard');
    const entries = hashEntries(list, [{ value: '6222000011112222', reason: 'mule', source: 'bank', expiresAt: '2030-01-01T00:00:00Z' }], hasher, 'ivy', NOW);
    const add: WatchlistChangeSet = { id: 'wlc_0001', list: 'mule-cards', operation: 'add', reason: 'bank list', source: 'api', proposedBy: 'ivy', proposedAt: NOW, add: proposeEntries(entries, ['62************22']), remove: [] };
    const live = new Map([['mule-cards', list]]);
    expect(checkChangeSet(add, live)).toEqual([]);
    expect(checkChangeSet(add, new Map())).toEqual([{ path: 'list', message: 'watchlist mule-cards not found' }]);
    expect(checkChangeSet({ ...add, add: [{ ...add.add[0]!, key: '6222000011112222x' }] }, live)).toEqual([expect.objectContaining({ path: 'add[0].key' })]);
    expect(checkChangeSet({ ...add, remove: [entries[0]!.key] }, live)).toEqual([expect.objectContaining({ path: 'add' })]);
    expect(checkChangeSet({ ...add, operation: 'create', add: [], create: { kind: 'bankCard', description: '' } }, live)).toEqual([{ path: 'list', message: 'watchlist mule-cards already exists' }]);
    expect(checkChangeSet({ ...add, reason: ' ' }, live)).toEqual([{ path: 'reason', message: 'reason is required' }]);
    expect(checkChangeSet('nope', live)).toEqual([{ path: '(root)', message: 'expected a watchlist change set' }]);
    // Applied entries are added by the proposer, at the time of application, with the proposed expiry.
    expect(entriesOf(add, '2025-06-02T00:00:00.000Z')).toEqual([{ key: entries[0]!.key, reason: 'mule', source: 'bank', addedBy: 'ivy', addedAt: '2025-06-02T00:00:00.000Z', expiresAt: '2030-01-01T00:00:00.000Z' }]);
  });
});
