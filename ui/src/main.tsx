/** The web UI's entry: the session, the navigation and the page for the current location. */
import { render, type JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError } from './api';
import { Link } from './components';
import { WhoContext, type WhoAmI } from './perms';
import { interceptLinks, match, useLocation } from './router';
import { clearCredentials, loadCredentials } from './session';
import { loadWho } from './who';
import { AllocationPage } from './pages/allocation';
import { AuditPage } from './pages/audit';
import { EventsPage } from './pages/events';
import { JobPage } from './pages/job';
import { JobsPage } from './pages/jobs';
import { NodePage, NodesPage } from './pages/nodes';
import { PlanPage, PlansPage } from './pages/plans';
import { RunPage } from './pages/run';
import { SignInPage } from './pages/signin';
import { TopologyPage } from './pages/topology';
import './style.css';

type Page = (params: Record<string, string>) => JSX.Element;
const ROUTES: [string, Page][] = [
  ['/', () => <JobsPage />],
  ['/jobs', () => <JobsPage />],
  ['/jobs/:id', (p) => <JobPage id={p.id!} />],
  ['/allocations/:id', (p) => <AllocationPage id={p.id!} />],
  ['/nodes', () => <NodesPage />],
  ['/nodes/:id', (p) => <NodePage id={p.id!} />],
  ['/topology', () => <TopologyPage />],
  ['/plans', () => <PlansPage />],
  ['/plans/:hash', (p) => <PlanPage hash={p.hash!} />],
  ['/run', () => <RunPage />],
  ['/audit', () => <AuditPage />],
  ['/events', () => <EventsPage />],
];

const NAV: [string, string][] = [
  ['/jobs', 'Jobs'],
  ['/nodes', 'Nodes'],
  ['/topology', 'Topology'],
  ['/plans', 'Plans'],
  ['/run', 'Run job'],
  ['/audit', 'Audit'],
  ['/events', 'Events'],
];

function App(): JSX.Element {
  const loc = useLocation();
  const [who, setWho] = useState<WhoAmI | 'signin' | undefined>();
  const [problem, setProblem] = useState<string>();
  const refresh = (): void => {
    loadWho().then(
      // A session signs in first: with a token when ACLs are on, else with a name for the audit.
      (w) => {
        const c = loadCredentials();
        setWho((w.ACLEnabled ? c.token : c.actor) ? w : 'signin');
      },
      (err: unknown) => {
        if (err instanceof ApiError && (err.status === 401 || err.status === 403)) setWho('signin');
        else setProblem(err instanceof Error ? err.message : String(err));
      },
    );
  };
  useEffect(refresh, []);

  if (problem)
    return (
      <p class="error" role="alert">
        The server did not answer: {problem}
      </p>
    );
  if (who === undefined) return <p class="muted">Loading…</p>;
  if (who === 'signin' || loc.path === '/signin') return <SignInPage onSignedIn={refresh} />;

  const signOut = (): void => {
    clearCredentials();
    setWho('signin');
  };
  const page = ROUTES.map(([pattern, render]) => {
    const params = match(pattern, loc.path);
    return params ? render(params) : undefined;
  }).find(Boolean);
  const section = '/' + (loc.path.split('/')[1] ?? '');
  return (
    <WhoContext.Provider value={who}>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <Link to="/jobs" class="brand">
          drover
        </Link>
        <nav aria-label="Main">
          {NAV.map(([to, label]) => (
            <a
              key={to}
              href={`/ui${to}`}
              aria-current={
                section === to || (to === '/jobs' && section === '/') ? 'page' : undefined
              }
            >
              {label}
            </a>
          ))}
        </nav>
        <span class="who">
          <span title={who.ACLEnabled ? 'ACL token' : 'name for the audit trail'}>{who.Actor}</span>
          <button type="button" class="link" onClick={signOut}>
            Sign out
          </button>
        </span>
      </header>
      <main id="main" tabIndex={-1}>
        {page ?? (
          <p class="error">
            No page at {loc.path}: see the <Link to="/jobs">jobs</Link>.
          </p>
        )}
      </main>
    </WhoContext.Provider>
  );
}

interceptLinks();
render(<App />, document.getElementById('app')!);
