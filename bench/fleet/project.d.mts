// Types of project.mjs, for the tests that import it.
export const IMAGE: string;
export const TAG: string;
export const COMMAND: readonly string[];
export function hostAddress(i: number): string;
export function nodeName(i: number): string;
export interface FleetHost {
  address: string;
  port: number;
  user: string;
  userKey: string;
  hostPublicKey: string;
}
export function fleetJob(shape: { jobId: string; count: number }): string;
export function fleetConfig(dir: string, hosts: readonly FleetHost[]): string;
export function knownHosts(hosts: readonly FleetHost[]): string;
export function writeFleetProject(
  dir: string,
  shape: {
    jobId: string;
    count: number;
    hosts: readonly FleetHost[];
    owner?: { uid: number; gid: number };
  },
): { jobs: string; config: string; home: string; alloc: string; stateDir: string };
