/**
 * A task's logs: stdout or stderr, followed live (the plain chunked stream of
 * `/v1/client/fs/logs`), filtered by a text, downloadable as a file.
 */
import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { request, seg, withQuery } from '../api';
import { Select, TextInput } from '../components';
import { filterLines } from '../model';
import { setQuery, useLocation } from '../router';

/** The most a page keeps of a log (the tail), so a chatty task does not eat the tab's memory. */
const KEEP_CHARS = 2_000_000;
const TAIL_BYTES = 64 * 1024;

export function Logs({ allocId, tasks }: { allocId: string; tasks: string[] }): JSX.Element {
  const { query } = useLocation();
  const task = query.get('task') ?? tasks[0] ?? '';
  const type = query.get('type') === 'stderr' ? 'stderr' : 'stdout';
  const follow = query.get('follow') !== 'false';
  const [needle, setNeedle] = useState('');
  const [text, setText] = useState('');
  const [error, setError] = useState<string>();
  const pre = useRef<HTMLPreElement>(null);

  useEffect(() => {
    setText('');
    setError(undefined);
    if (!task) return;
    const abort = new AbortController();
    const path = withQuery(`/v1/client/fs/logs/${seg(allocId)}`, {
      task,
      type,
      plain: 'true',
      origin: 'end',
      offset: TAIL_BYTES,
      follow: follow ? 'true' : undefined,
    });
    void (async () => {
      try {
        const r = await request('GET', path, undefined, abort.signal);
        const reader = r.body!.pipeThrough(new TextDecoderStream()).getReader();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          setText((t) => (t + value).slice(-KEEP_CHARS));
        }
      } catch (err) {
        if (!abort.signal.aborted) setError(err instanceof Error ? err.message : String(err));
      }
    })();
    return () => abort.abort();
  }, [allocId, task, type, follow]);

  // Keep the newest lines in view while following.
  useEffect(() => {
    if (follow && pre.current) pre.current.scrollTop = pre.current.scrollHeight;
  }, [text, follow]);

  const download = (): void => {
    const url = URL.createObjectURL(new Blob([text], { type: 'text/plain' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = `${allocId.slice(0, 8)}-${task}.${type}.log`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };

  const shown = filterLines(text, needle);
  return (
    <div class="logs">
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <Select
          label="Task"
          any="–"
          value={task}
          options={tasks}
          onChange={(v) => setQuery({ task: v })}
        />
        <div class="field" role="group" aria-label="Stream">
          <span>Stream</span>
          <span class="seg-buttons">
            {(['stdout', 'stderr'] as const).map((t) => (
              <button
                key={t}
                type="button"
                aria-pressed={type === t}
                onClick={() => setQuery({ type: t === 'stdout' ? undefined : t })}
              >
                {t}
              </button>
            ))}
          </span>
        </div>
        <label class="field check">
          <input
            type="checkbox"
            checked={follow}
            onChange={(e) => setQuery({ follow: e.currentTarget.checked ? undefined : 'false' })}
          />
          <span>Follow</span>
        </label>
        <TextInput label="Filter lines" value={needle} onInput={setNeedle} />
        <button type="button" onClick={download} disabled={!text}>
          Download
        </button>
      </form>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <pre class="code log" ref={pre} tabIndex={0} aria-label={`${task} ${type}`} aria-live="off">
        {shown}
      </pre>
    </div>
  );
}
