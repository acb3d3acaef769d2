/**
 * Events as the stream sends them. Each event is serialised once, however many streams send it
 * (200 subscribers must not stringify every job payload 200 times).
 */
import type { NomadEvent } from '../types.js';

const encoded = new WeakMap<NomadEvent, string>();

export function eventJson(event: NomadEvent): string {
  let json = encoded.get(event);
  if (json === undefined) {
    json = JSON.stringify(event);
    encoded.set(event, json);
  }
  return json;
}

/** One ndjson line of the stream: the events of one index, `{"Index":N,"Events":[…]}`. */
export function batchLine(index: number, events: readonly NomadEvent[]): string {
  return `{"Index":${index},"Events":[${events.map(eventJson).join(',')}]}\n`;
}
