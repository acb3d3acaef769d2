/**
 * Sign-in: an ACL token when the server enforces ACLs, else a name that the audit trail records
 * (X-Drover-Actor). Both are kept in this browser's localStorage only.
 */
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError } from '../api';
import { navigate } from '../router';
import { loadCredentials, saveCredentials } from '../session';
import { aclEnabled, loadWho } from '../who';

export function SignInPage({ onSignedIn }: { onSignedIn: () => void }): JSX.Element {
  const [acl, setAcl] = useState<boolean>();
  const [value, setValue] = useState('');
  const [error, setError] = useState<string>();
  useEffect(() => {
    aclEnabled().then(setAcl, (e: unknown) => setError(String(e)));
  }, []);

  const submit = (e: Event): void => {
    e.preventDefault();
    const prior = loadCredentials();
    saveCredentials(acl ? { token: value.trim(), actor: '' } : { token: '', actor: value.trim() });
    loadWho().then(
      () => {
        if (window.location.pathname.endsWith('/signin')) navigate('/jobs', true);
        onSignedIn();
      },
      (err: unknown) => {
        saveCredentials(prior);
        setError(
          err instanceof ApiError && (err.status === 403 || err.status === 401)
            ? 'The server refused this token.'
            : String(err),
        );
      },
    );
  };

  return (
    <main id="main" class="signin">
      <h1>Sign in to drover</h1>
      {acl === undefined && !error && <p class="muted">Asking the server…</p>}
      {acl !== undefined && (
        <form onSubmit={submit}>
          <p>
            {acl
              ? 'This server enforces ACLs: paste your ACL token (its secret ID).'
              : 'This server has ACLs off: give a name, so the audit trail records who did what.'}
          </p>
          <label class="field">
            <span>{acl ? 'ACL token' : 'Your name'}</span>
            {acl ? (
              <input
                name="token"
                type="password"
                autoComplete="off"
                required
                value={value}
                onInput={(e) => setValue(e.currentTarget.value)}
              />
            ) : (
              <input
                name="name"
                type="text"
                autoComplete="username"
                required
                value={value}
                onInput={(e) => setValue(e.currentTarget.value)}
              />
            )}
          </label>
          <button type="submit">Sign in</button>
        </form>
      )}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </main>
  );
}
