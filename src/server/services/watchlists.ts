// How decisions answer `inWatchlist('list', value)`. The anti-fraud capability (issue 6) provides the governed,
// hashed watchlists and plugs its lookup in through createServices; until a list exists it reads as empty, with one
// warning per list name so a flow that depends on a missing list is visible in the logs.

export interface WatchlistLookup {
  /** Constant time; called synchronously while a flow evaluates. */
  has(list: string, value: unknown): boolean;
}

export function emptyWatchlists(warn: (msg: string) => void): WatchlistLookup {
  const warned = new Set<string>();
  return {
    has(list) {
      if (!warned.has(list)) {
        warned.add(list);
        warn(`watchlist '${list}' is not loaded: it reads as empty until the anti-fraud watchlists provide it`);
      }
      return false;
    },
  };
}
