/** The live event stream (`/v1/event/stream`), newest first, filtered by topic and text. */
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { request } from '../api';
import { useWho } from '../perms';
import { Select, Table, TextInput } from '../components';
import { stamp } from '../model';
import { setQuery, useLocation } from '../router';

interface StreamEvent {
  Topic: string;
  Type: string;
  Key: string;
  Namespace: string;
  Index: number;
  Payload?: unknown;
}

const TOPICS = ['Job', 'Allocation', 'Deployment', 'Evaluation', 'Node'];
/** The page keeps this many events; older ones drop off. */
const KEEP = 500;

/** Complete ndjson lines of `buffer`, and the incomplete rest. */
export function splitLines(buffer: string): { lines: string[]; rest: string } {
  const parts = buffer.split('\n');
  return { rest: parts.pop() ?? '', lines: parts.filter((l) => l.trim() !== '') };
}

/** Named topics, not `*`: the whole stream is for management tokens only. */
function streamPath(topics: string[]): string {
  const q = new URLSearchParams({ namespace: '*' });
  for (const t of topics) q.append('topic', `${t}:*`);
  return `/v1/event/stream?${q.toString()}`;
}

export function EventsPage(): JSX.Element {
  const { query } = useLocation();
  const topic = query.get('topic') ?? '';
  const text = (query.get('q') ?? '').toLowerCase();
  const [events, setEvents] = useState<(StreamEvent & { at: number })[]>([]);
  const [error, setError] = useState<string>();
  const [connected, setConnected] = useState(false);
  const who = useWho();

  useEffect(() => {
    setEvents([]);
    const abort = new AbortController();
    void (async () => {
      try {
        const r = await request(
          'GET',
          streamPath(topic ? [topic] : TOPICS.filter((t) => t !== 'Node' || who.Node !== 'deny')),
          undefined,
          abort.signal,
        );
        setConnected(true);
        const reader = r.body!.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          const { lines, rest } = splitLines(buffer + value);
          buffer = rest;
          const batch = lines
            .map((l) => JSON.parse(l) as { Index?: number; Events?: StreamEvent[] })
            .flatMap((b) => (b.Events ?? []).map((e) => ({ ...e, at: Date.now() })));
          if (batch.length) setEvents((old) => [...batch.reverse(), ...old].slice(0, KEEP));
        }
        setConnected(false);
      } catch (err) {
        setConnected(false);
        if (!abort.signal.aborted) setError(err instanceof Error ? err.message : String(err));
      }
    })();
    return () => abort.abort();
  }, [topic, who]);

  const shown = events.filter(
    (e) => !text || `${e.Type} ${e.Key} ${e.Namespace}`.toLowerCase().includes(text),
  );
  return (
    <>
      <h1>Events</h1>
      <form class="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <Select
          label="Topic"
          value={topic}
          options={TOPICS}
          onChange={(v) => setQuery({ topic: v })}
        />
        <TextInput
          label="Filter"
          value={query.get('q') ?? ''}
          onInput={(v) => setQuery({ q: v })}
        />
      </form>
      <p class="muted" role="status">
        {connected ? 'Live: new events appear at the top.' : 'Not connected.'}
      </p>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <Table
        label="Events"
        head={['Received', 'Index', 'Topic', 'Type', 'Key', 'Namespace']}
        rows={shown}
        empty="No events yet: they appear here as the state changes."
        row={(e) => (
          <tr key={`${e.Index}/${e.Topic}/${e.Type}/${e.Key}`}>
            <td>{stamp(e.at)}</td>
            <td>{e.Index}</td>
            <td>{e.Topic}</td>
            <td>{e.Type}</td>
            <td class="mono">{e.Key}</td>
            <td>{e.Namespace}</td>
          </tr>
        )}
      />
    </>
  );
}
