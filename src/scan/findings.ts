export const SEVERITIES = ['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const;
export type Severity = (typeof SEVERITIES)[number];

export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}

export function maxSeverity(a: Severity, b: Severity): Severity {
  return severityRank(a) >= severityRank(b) ? a : b;
}

/** One unsafe or suspicious construct, as a scanner found it in one source. */
export interface Finding {
  severity: Severity;
  /** Stable rule id, e.g. `pickle/unsafe-global`, `pickle/malformed`. */
  rule: string;
  description: string;
  module: string;
  operator: string;
  /** Byte offset within the source (file or archive member). */
  offset: number;
  /** What the payload would do, e.g. `os.system('echo hi')`. */
  call?: string;
  /** Where inside the file: an archive member path, `inner.zip:model.pkl` when nested. */
  member?: string;
  /** Scanner that found it, modelscan-style dotted name. */
  scanner: string;
  details?: Record<string, unknown>;
}

/** A maker of structural findings (no module or operator) for one scanner. */
export function structuralFinding(scanner: string) {
  return (severity: Severity, rule: string, description: string, offset: number, extra?: Partial<Finding>): Finding => ({
    severity,
    rule,
    description,
    module: '',
    operator: '',
    offset,
    scanner,
    ...extra,
  });
}

/** A maker of findings about a named construct (an operator, a layer) for one scanner and its default module. */
export function namedFinding(scanner: string, defaultModule: string) {
  return (
    severity: Severity,
    rule: string,
    description: string,
    operator: string,
    offset: number,
    details?: Record<string, unknown>,
    module = defaultModule,
  ): Finding => ({ severity, rule, description, module, operator, offset, scanner, ...(details ? { details } : {}) });
}
