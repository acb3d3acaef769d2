/** The signed-in session's permissions, for every page (see permissions.ts). */
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { WhoAmI } from './permissions';

export { may, mayNode, type WhoAmI } from './permissions';

export const NOBODY: WhoAmI = {
  ACLEnabled: true,
  Actor: '',
  Management: false,
  Namespaces: {},
  Node: 'deny',
  ApproveRequired: 0,
};

export const WhoContext = createContext<WhoAmI>(NOBODY);
export const useWho = (): WhoAmI => useContext(WhoContext);
