// Where tsrun's own time goes, for --debug: named marks with the time since the process started
// (performance.now() counts from process start in Node and Bun), so the JS runtime's start-up, the
// bundle load and each lifecycle phase are visible next to tsrun-init's per-step trace. Off (one
// optional-chaining check per mark) unless main turns it on.
let marks: { name: string; at: number }[] | undefined;

export function tracePhases(): void {
  marks = [];
}

export function phase(name: string): void {
  marks?.push({ name, at: performance.now() });
}

/** One line per mark: its duration since the previous one and the time since start. */
export function phaseLines(): string[] {
  let prev = 0;
  return (marks ?? []).map(({ name, at }) => {
    const line = `phase ${name}: ${(at - prev).toFixed(3)} ms (at ${at.toFixed(1)} ms)`;
    prev = at;
    return line;
  });
}
