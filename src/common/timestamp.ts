// docker's timetypes.GetTimestamp for `until`/`since` filters: a Go duration before now, a
// unix time ("1700000000" or "1700000000.5"), or an RFC 3339 date (with or without time and zone).
const DURATION = /^[+-]?(?:(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h))+$/;
const UNIT: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1e3, m: 60e3, h: 3600e3 };

/** Milliseconds since the epoch that `value` names, or undefined when it names none. */
export function parseTimestamp(value: string, now = Date.now()): number | undefined {
  if (DURATION.test(value)) {
    let ms = 0;
    for (const m of value.matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/g)) ms += Number(m[1]) * UNIT[m[2]!]!;
    return now - (value.startsWith('-') ? -ms : ms);
  }
  if (/^\d+(\.\d{1,9})?$/.test(value)) return Number(value) * 1000;
  // RFC 3339 and its shortenings docker accepts; no zone means local time, as in Go's time.ParseInLocation
  if (/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?(Z|[+-]\d{2}:\d{2})?$/.test(value)) {
    const hasZone = /(Z|[+-]\d{2}:\d{2})$/.test(value) && value.includes('T');
    const t = Date.parse(hasZone || value.includes('T') ? value : `${value}T00:00:00`);
    return Number.isNaN(t) ? undefined : t;
  }
  return undefined;
}
