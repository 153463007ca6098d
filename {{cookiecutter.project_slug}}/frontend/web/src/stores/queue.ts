/**
 * The queue of images the person dropped or picked, as plain data and one reducer: every change
 * is an action, so the order of events (added, sent, answered, failed) is testable without a page.
 * Images are sent one at a time, oldest first.
 */
import type { ApiError, Classification } from "../services/api";

export type ItemStatus = "queued" | "sending" | "done" | "failed";

export interface QueueItem {
  id: number;
  file: File;
  /** An object URL of the file for the preview (the hook creates and revokes it). */
  previewUrl: string;
  status: ItemStatus;
  result?: Classification;
  error?: ApiError;
}

export type QueueAction =
  | { type: "add"; items: Pick<QueueItem, "id" | "file" | "previewUrl">[] }
  | { type: "send"; id: number }
  | { type: "answer"; id: number; result: Classification }
  | { type: "fail"; id: number; error: ApiError }
  | { type: "clear" };

function update(state: QueueItem[], id: number, change: Partial<QueueItem>): QueueItem[] {
  return state.map((item) => (item.id === id ? { ...item, ...change } : item));
}

export function queueReducer(state: QueueItem[], action: QueueAction): QueueItem[] {
  switch (action.type) {
    case "add":
      return [...state, ...action.items.map((item) => ({ ...item, status: "queued" as const }))];
    case "send":
      return update(state, action.id, { status: "sending" });
    case "answer":
      return update(state, action.id, { status: "done", result: action.result });
    case "fail":
      return update(state, action.id, { status: "failed", error: action.error });
    case "clear":
      // Items on their way keep their place: their answer is still coming.
      return state.filter((item) => item.status === "sending");
  }
}

/** The next image to send: none while one is on its way, else the oldest queued one. */
export function nextToSend(state: QueueItem[]): QueueItem | undefined {
  if (state.some((item) => item.status === "sending")) return undefined;
  return state.find((item) => item.status === "queued");
}
