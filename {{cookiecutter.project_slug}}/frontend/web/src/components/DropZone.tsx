import { type ChangeEvent, type DragEvent, useId, useState } from "react";
import { ACCEPTED_IMAGE_TYPES } from "../../../shared";

export interface DropZoneProps {
  onFiles: (files: File[]) => void;
}

/**
 * Where images come in: dropped on the zone, or picked with the file input inside it. The input is
 * a real one, labelled and reachable with Tab (Enter or Space opens the picker); it is only drawn
 * as the zone's button.
 */
export function DropZone({ onFiles }: DropZoneProps) {
  const inputId = useId();
  const hintId = useId();
  const [dragging, setDragging] = useState(false);

  function picked(event: ChangeEvent<HTMLInputElement>) {
    onFiles(Array.from(event.target.files ?? []));
    event.target.value = ""; // the same file can be picked again
  }

  function dropped(event: DragEvent<HTMLDivElement>) {
    event.preventDefault();
    setDragging(false);
    onFiles(Array.from(event.dataTransfer.files));
  }

  return (
    <div
      className={`drop-zone${dragging ? " drop-zone--active" : ""}`}
      data-testid="drop-zone"
      onDragOver={(event) => {
        event.preventDefault();
        setDragging(true);
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={dropped}
    >
      <input
        id={inputId}
        className="visually-hidden"
        type="file"
        accept={ACCEPTED_IMAGE_TYPES.join(",")}
        multiple
        aria-describedby={hintId}
        onChange={picked}
      />
      <label htmlFor={inputId} className="ds-button ds-button--primary drop-zone__button">
        Choose images
      </label>
      <p id={hintId} className="drop-zone__hint">
        or drop them here. JPEG, PNG, BMP, WebP or TIFF; several at once are queued.
      </p>
    </div>
  );
}
