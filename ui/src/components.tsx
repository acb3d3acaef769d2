/** The small pieces every page is built of. */
import type { ComponentChildren, JSX } from 'preact';
import { useState } from 'preact/hooks';
import { useAction } from './hooks';
import type { Watched } from './hooks';
import { ALLOC_STATES, type AllocState } from './model';
import { href } from './router';

export function Link(props: {
  to: string;
  children: ComponentChildren;
  class?: string;
}): JSX.Element {
  return (
    <a href={href(props.to)} class={props.class}>
      {props.children}
    </a>
  );
}

export function Badge({ status }: { status: string }): JSX.Element {
  return <span class={`badge s-${status.replace(/[^a-z-]/gi, '')}`}>{status}</span>;
}

/** A bar of allocation states, each part as wide as its count, with a text alternative. */
export function AllocBar({ counts }: { counts: Record<AllocState, number> }): JSX.Element {
  const total = ALLOC_STATES.reduce((n, s) => n + counts[s], 0);
  const label = ALLOC_STATES.filter((s) => counts[s] > 0)
    .map((s) => `${counts[s]} ${s}`)
    .join(', ');
  return (
    <span class="allocbar" role="img" aria-label={label || 'no allocations'} title={label}>
      {total === 0 ? (
        <span class="allocbar-empty" />
      ) : (
        ALLOC_STATES.filter((s) => counts[s] > 0).map((s) => (
          <span key={s} class={`seg s-${s}`} style={{ flexGrow: counts[s] }} />
        ))
      )}
    </span>
  );
}

/** A watched answer: its data through `children`, or loading / error text. */
export function Loaded<T>(props: {
  w: Watched<T>;
  children: (data: T) => ComponentChildren;
}): JSX.Element {
  const { w } = props;
  if (w.data !== undefined)
    return (
      <>
        {w.error && <p class="error">Live updates interrupted: {w.error.message}</p>}
        {props.children(w.data)}
      </>
    );
  if (w.error)
    return (
      <p class="error" role="alert">
        {w.error.message}
      </p>
    );
  return <p class="muted">Loading…</p>;
}

export function Section(props: {
  title: string;
  children: ComponentChildren;
  id?: string;
}): JSX.Element {
  return (
    <section class="card" id={props.id} aria-label={props.title}>
      <h2>{props.title}</h2>
      {props.children}
    </section>
  );
}

export function KV({ rows }: { rows: [string, ComponentChildren][] }): JSX.Element {
  return (
    <dl class="kv">
      {rows.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{v === '' || v === undefined || v === null ? '–' : v}</dd>
        </div>
      ))}
    </dl>
  );
}

/**
 * A write button: runs `act`, shows it busy, then its outcome. With `confirm`, a second click
 * is needed (no modal dialog: the button turns into "Confirm …").
 */
export function ActButton(props: {
  label: string;
  act: () => Promise<string | void>;
  confirm?: boolean;
  danger?: boolean;
}): JSX.Element {
  const a = useAction(props.act);
  const [arming, setArming] = useState(false);
  const click = (): void => {
    if (props.confirm && !arming) {
      setArming(true);
      return;
    }
    setArming(false);
    a.run();
  };
  return (
    <span class="act">
      <button
        type="button"
        class={props.danger ? 'danger' : ''}
        disabled={a.busy}
        onClick={click}
        onBlur={() => setArming(false)}
      >
        {a.busy ? `${props.label}…` : arming ? `Confirm: ${props.label}` : props.label}
      </button>
      {a.error && (
        <span class="error" role="alert">
          {a.error}
        </span>
      )}
      {a.done && !a.error && (
        <span class="ok" role="status">
          {a.done}
        </span>
      )}
    </span>
  );
}

/** A table whose rows come from `rows`, with a text when there are none. */
export function Table<T>(props: {
  head: string[];
  rows: T[];
  row: (item: T) => JSX.Element;
  empty: string;
  label: string;
}): JSX.Element {
  if (props.rows.length === 0) return <p class="muted">{props.empty}</p>;
  return (
    <div class="scroll">
      <table aria-label={props.label}>
        <thead>
          <tr>
            {props.head.map((h) => (
              <th key={h} scope="col">
                {h}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{props.rows.map(props.row)}</tbody>
      </table>
    </div>
  );
}

export function Tabs(props: {
  tabs: string[];
  current: string;
  hrefOf: (tab: string) => string;
}): JSX.Element {
  return (
    <nav class="tabs" aria-label="Sections">
      {props.tabs.map((t) => (
        <a
          key={t}
          href={href(props.hrefOf(t))}
          aria-current={t === props.current ? 'page' : undefined}
        >
          {t}
        </a>
      ))}
    </nav>
  );
}

/** A labelled select over `options` ('' = any). */
export function Select(props: {
  label: string;
  value: string;
  options: string[];
  onChange: (v: string) => void;
  any?: string;
}): JSX.Element {
  return (
    <label class="field">
      <span>{props.label}</span>
      <select
        aria-label={props.label}
        value={props.value}
        onChange={(e) => props.onChange(e.currentTarget.value)}
      >
        <option value="">{props.any ?? 'any'}</option>
        {props.options.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
    </label>
  );
}

export function TextInput(props: {
  label: string;
  value: string;
  onInput: (v: string) => void;
  placeholder?: string;
}): JSX.Element {
  return (
    <label class="field">
      <span>{props.label}</span>
      <input
        type="text"
        aria-label={props.label}
        value={props.value}
        placeholder={props.placeholder}
        onInput={(e) => props.onInput(e.currentTarget.value)}
      />
    </label>
  );
}

export function Pre({ text, label }: { text: string; label: string }): JSX.Element {
  return (
    <pre class="code" tabIndex={0} aria-label={label}>
      {text}
    </pre>
  );
}
