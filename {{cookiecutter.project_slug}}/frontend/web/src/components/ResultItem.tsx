import { useState } from "react";
import { Card } from "../../../design_system";
import type { QueueItem } from "../stores/queue";
import { ErrorMessage } from "./ErrorMessage";
import { PredictionBars } from "./PredictionBars";

const WAITING = { queued: "Waiting in the queue…", sending: "Classifying…" } as const;

/** The file as the browser draws it, or a plain box when it cannot (not an image, or damaged). */
function Preview({ item }: { item: QueueItem }) {
  const [drawable, setDrawable] = useState(item.file.type.startsWith("image/"));
  if (!drawable) {
    return (
      <div className="result__preview result__preview--none" aria-hidden="true">
        No preview
      </div>
    );
  }
  return (
    <img
      className="result__preview"
      src={item.previewUrl}
      alt={`Preview of ${item.file.name}`}
      onError={() => setDrawable(false)}
    />
  );
}

/** One image: its preview, its name, and what became of it. */
export function ResultItem({ item }: { item: QueueItem }) {
  return (
    <Card className="result" aria-label={item.file.name} data-status={item.status}>
      <Preview item={item} />
      <div className="result__body">
        <h3 className="result__name">{item.file.name}</h3>
        {item.status === "queued" || item.status === "sending" ? (
          <p className="result__waiting">{WAITING[item.status]}</p>
        ) : null}
        {item.status === "done" && item.result ? (
          <>
            <PredictionBars predictions={item.result.predictions} />
            <p className="result__meta">
              Answered in <span data-testid="elapsed">{Math.round(item.result.elapsedMs)}</span> ms
              {item.result.variant ? ` by the ${item.result.variant} model` : ""}.
            </p>
          </>
        ) : null}
        {item.status === "failed" && item.error ? <ErrorMessage error={item.error} /> : null}
      </div>
    </Card>
  );
}
