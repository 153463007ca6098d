import type { QueueItem } from "../stores/queue";
import { ResultItem } from "./ResultItem";

/** Every image of the queue, oldest first; new answers are announced politely. */
export function ResultList({ items }: { items: QueueItem[] }) {
  if (items.length === 0) return null;
  return (
    <ul className="results" aria-live="polite" aria-label="Images and their labels">
      {items.map((item) => (
        <li key={item.id}>
          <ResultItem item={item} />
        </li>
      ))}
    </ul>
  );
}
