/**
 * LISTEN on a channel of the store, on a connection of its own (a pooled connection cannot hold a
 * LISTEN). A lost connection is reported to `onError` and made again after a pause, for as long as
 * the listener is open; notifications sent meanwhile are lost, so users also poll (slowly).
 */
import pg from 'pg';
import { abortableSleep } from '../sleep.js';

export interface ListenOptions {
  url: string;
  channel: string;
  onNotify(payload: string): void;
  onError(err: unknown): void;
  /** Pause before connecting again (default 1 s). */
  retryMs?: number;
}

export interface Listener {
  close(): Promise<void>;
}

/** Resolves once the first LISTEN is in place, or failed (reported to `onError`; retrying). */
export async function listen(o: ListenOptions): Promise<Listener> {
  const closed = new AbortController();
  const onClose = new Promise<void>((resolve) =>
    closed.signal.addEventListener('abort', () => resolve(), { once: true }),
  );

  const session = async (onReady: () => void): Promise<void> => {
    const c = new pg.Client({ connectionString: o.url, application_name: 'runbook listen' });
    let lost: () => void = () => undefined;
    const gone = new Promise<void>((resolve) => (lost = resolve));
    c.on('error', (err) => {
      if (!closed.signal.aborted) o.onError(err);
      lost();
    });
    c.on('end', () => lost());
    c.on('notification', (n) => {
      if (n.channel === o.channel) o.onNotify(n.payload ?? '');
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${pg.escapeIdentifier(o.channel)}`);
      onReady();
      await Promise.race([gone, onClose]);
    } finally {
      await c.end().catch(() => undefined);
    }
  };

  let ready: () => void = () => undefined;
  const first = new Promise<void>((resolve) => (ready = resolve));
  const loop = (async () => {
    while (!closed.signal.aborted) {
      try {
        await session(ready);
      } catch (err) {
        if (!closed.signal.aborted) o.onError(err);
      }
      ready(); // a first attempt that failed: the caller goes on (and polls)
      await abortableSleep(o.retryMs ?? 1000, closed.signal);
    }
  })();
  await first;
  return {
    async close() {
      closed.abort();
      await loop;
    },
  };
}
