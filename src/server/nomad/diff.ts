/**
 * Nomad's `JobDiff` (the `Diff` of `PUT /v1/job/:id/plan` and the `Diffs` of
 * `GET /v1/job/:id/versions?diffs=true`) between two versions of a job: drover's own plan diff
 * (src/plan/diff.ts, built after nomad/structs/diff.go, annotated with Nomad's rules) in the JSON
 * Nomad sends. Empty lists are `null` and absent values `""`, as Go encodes them.
 */
import type { NormalizedJob } from '../../generated/normalized-job.js';
import {
  diffJobs,
  type FieldDiff,
  type GroupDiff,
  type ObjectDiff,
  type TaskDiff,
} from '../../plan/diff.js';

/** `{Type, ID, Fields, Objects, TaskGroups}` with Nomad's field names. */
export type NomadJobDiff = Record<string, unknown>;

export function nomadJobDiff(
  prior: NormalizedJob | undefined,
  next: NormalizedJob | undefined,
): NomadJobDiff {
  const diff = diffJobs(prior, next);
  return {
    Type: diff.type,
    ID: diff.id,
    Fields: list(diff.fields, field),
    Objects: list(diff.objects, object),
    TaskGroups: list(diff.groups, group),
  };
}

function list<T, U>(items: readonly T[], map: (item: T) => U): U[] | null {
  return items.length === 0 ? null : items.map(map);
}

function field(f: FieldDiff): Record<string, unknown> {
  return {
    Type: f.type,
    Name: f.name,
    Old: f.old ?? '',
    New: f.new ?? '',
    Annotations: list(f.annotations, (a) => a),
  };
}

function object(o: ObjectDiff): Record<string, unknown> {
  return {
    Type: o.type,
    Name: o.name,
    Fields: list(o.fields, field),
    Objects: list(o.objects, object),
  };
}

function group(g: GroupDiff): Record<string, unknown> {
  return {
    Type: g.type,
    Name: g.name,
    Fields: list(g.fields, field),
    Objects: list(g.objects, object),
    Tasks: list(g.tasks, task),
    // Set by a plan from its placements (DesiredTGUpdates); a version diff has none.
    Updates: null,
  };
}

function task(t: TaskDiff): Record<string, unknown> {
  return {
    Type: t.type,
    Name: t.name,
    Fields: list(t.fields, field),
    Objects: list(t.objects, object),
    Annotations: list(t.annotations, (a) => a),
  };
}
