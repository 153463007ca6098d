/** The share `value` (0 to 1) as a percentage with one decimal: 0.1234 -> "12.3%". */
export function formatPercent(value: number): string {
  return `${(clamp(value) * 100).toFixed(1)}%`;
}

function clamp(value: number): number {
  return Math.min(1, Math.max(0, Number.isFinite(value) ? value : 0));
}

export interface BarProps {
  label: string;
  /** A share between 0 and 1; values outside are clamped. */
  value: number;
}

/**
 * A labelled horizontal bar. The label and the percentage are text, so they are what assistive
 * technology reads; the drawn bar repeats the number for the eye and is hidden from it.
 */
export function Bar({ label, value }: BarProps) {
  const fill = { width: `${clamp(value) * 100}%` };
  return (
    <div className="ds-bar">
      <div className="ds-bar__text">
        <span className="ds-bar__label">{label}</span>
        <span className="ds-bar__value">{formatPercent(value)}</span>
      </div>
      <div className="ds-bar__track" aria-hidden="true">
        <div className="ds-bar__fill" data-testid="bar-fill" style={fill} />
      </div>
    </div>
  );
}
