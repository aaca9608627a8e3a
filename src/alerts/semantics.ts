/** Knobs of the Mauve semantics; the defaults match Mauve's behaviour. */
export interface AlertSemantics {
  /** Times up to this far in the future count as "now" (sender clocks drift). */
  toleranceMs: number;
  /** Importance given to a new alert whose update says 0 (unset). */
  defaultImportance: number;
}

/** Mauve's defaults: 5 s tolerance, importance 50. */
export const DEFAULT_SEMANTICS: AlertSemantics = Object.freeze({
  toleranceMs: 5_000,
  defaultImportance: 50,
});
