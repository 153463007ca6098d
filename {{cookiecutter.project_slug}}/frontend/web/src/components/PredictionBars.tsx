import { Bar, formatPercent } from "../../../design_system";
import type { Prediction } from "../../../shared";

/** The labels most probable first, whatever order they came in. */
export function byProbability(predictions: Prediction[]): Prediction[] {
  return [...predictions].sort((a, b) => b.probability - a.probability);
}

/** What the shown labels leave to all the others (never below zero, whatever rounding did). */
export function remainder(predictions: Prediction[]): number {
  return Math.max(0, 1 - predictions.reduce((sum, p) => sum + p.probability, 0));
}

export function PredictionBars({ predictions }: { predictions: Prediction[] }) {
  const rest = remainder(predictions);
  return (
    <div className="predictions">
      <ol className="predictions__list" aria-label="Most probable labels">
        {byProbability(predictions).map((prediction) => (
          <li key={prediction.label}>
            <Bar label={prediction.label} value={prediction.probability} />
          </li>
        ))}
      </ol>
      {rest >= 0.0005 ? <p className="predictions__rest">All other labels: {formatPercent(rest)}</p> : null}
    </div>
  );
}
