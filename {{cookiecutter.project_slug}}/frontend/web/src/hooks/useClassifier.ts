import { useCallback, useEffect, useReducer, useRef } from "react";
import { ApiError, type Api } from "../services/api";
import { nextToSend, type QueueItem, queueReducer } from "../stores/queue";

/** The queue of images and what the API answered for each; images are sent one at a time. */
export function useClassifier(api: Api) {
  const [items, dispatch] = useReducer(queueReducer, [] as QueueItem[]);
  const nextId = useRef(1);
  const previews = useRef(new Map<number, string>());
  const sent = useRef(new Set<number>());

  const addFiles = useCallback((files: File[]) => {
    const added = files.map((file) => {
      const id = nextId.current++;
      const previewUrl = URL.createObjectURL(file);
      previews.current.set(id, previewUrl);
      return { id, file, previewUrl };
    });
    if (added.length > 0) dispatch({ type: "add", items: added });
  }, []);

  const clear = useCallback(() => dispatch({ type: "clear" }), []);

  const next = nextToSend(items);
  useEffect(() => {
    if (!next || sent.current.has(next.id)) return; // effects may run twice (React's StrictMode)
    sent.current.add(next.id);
    dispatch({ type: "send", id: next.id });
    api.classify(next.file).then(
      (result) => dispatch({ type: "answer", id: next.id, result }),
      (error: unknown) => {
        const failure = error instanceof ApiError ? error : new ApiError("bad_answer", null, String(error));
        dispatch({ type: "fail", id: next.id, error: failure });
      },
    );
  }, [api, next]);

  // Free the previews of items that left the list, and all of them when the page goes.
  useEffect(() => {
    const kept = new Set(items.map((item) => item.id));
    for (const [id, url] of previews.current) {
      if (!kept.has(id)) {
        URL.revokeObjectURL(url);
        previews.current.delete(id);
      }
    }
  }, [items]);
  useEffect(() => {
    const all = previews.current;
    return () => all.forEach((url) => URL.revokeObjectURL(url));
  }, []);

  return { items, addFiles, clear };
}
