/** Live data: blocking queries that re-ask as soon as the server's index moves. */
import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiError, get, withQuery } from './api';

export interface Watched<T> {
  data: T | undefined;
  error: ApiError | Error | undefined;
  loading: boolean;
}

const WAIT = '30s';
const RETRY_MS = 2000;

/**
 * The answer of GET `path`, kept current with blocking queries (`index` + `wait`): the page
 * changes when the state does, without reloads. `path` null watches nothing.
 */
export function useWatch<T>(path: string | null): Watched<T> {
  const [state, setState] = useState<Watched<T>>({
    data: undefined,
    error: undefined,
    loading: path !== null,
  });
  useEffect(() => {
    setState({ data: undefined, error: undefined, loading: path !== null });
    if (path === null) return;
    const abort = new AbortController();
    void (async () => {
      let index = 0;
      while (!abort.signal.aborted) {
        try {
          const url = index > 0 ? withQuery(path, { index, wait: WAIT }) : path;
          const answer = await get<T>(url, abort.signal);
          if (abort.signal.aborted) return;
          if (answer.index < index) {
            // The index went backwards (a new leader, a restored state): start over.
            index = 0;
            continue;
          }
          if (index === 0 || answer.index !== index)
            setState({ data: answer.data, error: undefined, loading: false });
          index = answer.index;
          if (answer.index === 0) await sleep(RETRY_MS, abort.signal);
        } catch (err) {
          if (abort.signal.aborted) return;
          setState((s) => ({ ...s, error: err as Error, loading: false }));
          await sleep(RETRY_MS, abort.signal);
        }
      }
    })();
    return () => abort.abort();
  }, [path]);
  return state;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    });
  });
}

export interface Action {
  run: () => void;
  busy: boolean;
  error: string | undefined;
  done: string | undefined;
}

/** A write started by a button: busy while it runs, its error or success message after. */
export function useAction(act: () => Promise<string | void>): Action {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [done, setDone] = useState<string>();
  const run = useCallback(() => {
    setBusy(true);
    setError(undefined);
    setDone(undefined);
    act().then(
      (msg) => {
        setBusy(false);
        setDone(msg || 'done');
      },
      (err: unknown) => {
        setBusy(false);
        setError(err instanceof Error ? err.message : String(err));
      },
    );
  }, [act]);
  return { run, busy, error, done };
}
