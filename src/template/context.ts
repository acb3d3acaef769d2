/**
 * What a template reads from the world besides its own text: the task's environment, Nomad
 * Variables and drover's record of `provider = "nomad"` services. The renderer (src/template/)
 * depends only on these shapes; state (src/state/variables.ts, src/state/services.ts) and the
 * deploy step build them, so the renderer stays pure and testable without a store.
 */

/** A Variable's metadata, as Nomad's API and consul-template's `nomadVarList` give it. */
export interface VariableMeta {
  Namespace: string;
  Path: string;
  CreateIndex: number;
  ModifyIndex: number;
  /** Unix nanoseconds, as Nomad stores them. */
  CreateTime: number;
  ModifyTime: number;
}

/** Decrypted Variables, read-only. */
export interface VariableReader {
  /** The items at exactly `path`, or undefined when there is no Variable there. */
  get(path: string): { meta: VariableMeta; items: Readonly<Record<string, string>> } | undefined;
  /** Every Variable whose path starts with `prefix` ('' for all), sorted by path. */
  list(prefix: string): VariableMeta[];
}

/** One registration of a `provider = "nomad"` service: a running allocation's instance of it. */
export interface ServiceRegistration {
  ID: string;
  ServiceName: string;
  Namespace: string;
  NodeID: string;
  Datacenter: string;
  JobID: string;
  AllocID: string;
  Tags: string[];
  Address: string;
  Port: number;
}

/** drover's record of Nomad-provider services, from state. */
export interface ServiceCatalog {
  /** Every registration of `name` (any tags), in a stable order. */
  instances(name: string): ServiceRegistration[];
  /** Every service name with the union of its tags, sorted by name. */
  names(): { ServiceName: string; Tags: string[] }[];
}

/** Everything a render may read. Absent readers make their functions a render error that says so. */
export interface TemplateContext {
  /** The task's environment (NOMAD_* included), for `env`, `envOrDefault`, `mustEnv`. */
  env: Readonly<Record<string, string>>;
  variables?: VariableReader;
  services?: ServiceCatalog;
  /** The clock `timestamp` reads; injectable for stable tests. */
  now?: () => Date;
}
