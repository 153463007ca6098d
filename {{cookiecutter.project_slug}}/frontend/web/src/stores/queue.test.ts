import { describe, expect, it } from "vitest";
import { ApiError } from "../services/api";
import { nextToSend, type QueueItem, queueReducer } from "./queue";

const file = (name: string) => new File(["x"], name, { type: "image/png" });
const added = (...names: string[]) =>
  queueReducer([], {
    type: "add",
    items: names.map((name, index) => ({ id: index + 1, file: file(name), previewUrl: `blob:${name}` })),
  });
const statuses = (state: QueueItem[]) => state.map((item) => `${item.file.name}:${item.status}`);

describe("the queue", () => {
  it("keeps added images in order, each waiting to be sent", () => {
    expect(statuses(added("a.png", "b.png"))).toEqual(["a.png:queued", "b.png:queued"]);
  });

  it("sends one image at a time, oldest first", () => {
    let state = added("a.png", "b.png", "c.png");
    expect(nextToSend(state)?.file.name).toBe("a.png");
    state = queueReducer(state, { type: "send", id: 1 });
    expect(nextToSend(state)).toBeUndefined();
    state = queueReducer(state, { type: "answer", id: 1, result: { predictions: [], variant: null, requestId: null, elapsedMs: 1 } });
    expect(nextToSend(state)?.file.name).toBe("b.png");
  });

  it("moves on after a failure and keeps the error with its image", () => {
    let state = queueReducer(added("a.png", "b.png"), { type: "send", id: 1 });
    state = queueReducer(state, { type: "fail", id: 1, error: new ApiError("undecodable_image", 422, "bad") });
    expect(statuses(state)).toEqual(["a.png:failed", "b.png:queued"]);
    expect(state[0].error?.code).toBe("undecodable_image");
    expect(nextToSend(state)?.file.name).toBe("b.png");
  });

  it("clears everything but the image on its way", () => {
    let state = queueReducer(added("a.png", "b.png", "c.png"), { type: "send", id: 1 });
    state = queueReducer(state, { type: "clear" });
    expect(statuses(state)).toEqual(["a.png:sending"]);
  });
});
