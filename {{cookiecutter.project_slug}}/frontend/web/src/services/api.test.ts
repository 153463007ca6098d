import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError, configuredBaseUrl, createApi, TIMED_OUT, UNREACHABLE } from "./api";

const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json", ...headers } });

const image = () => new File([new Uint8Array([0xff, 0xd8, 0xff])], "cat.jpg", { type: "image/jpeg" });

/** A fetch that records its calls and answers from `answer`. */
function recordingFetch(answer: (url: string, init?: RequestInit) => Response | Promise<Response>) {
  const calls: { url: string; init?: RequestInit }[] = [];
  const fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
    calls.push({ url: String(input), init });
    return answer(String(input), init);
  };
  return { calls, fetch: fetch as typeof globalThis.fetch };
}

async function failure(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ApiError);
    return error as ApiError;
  }
  throw new Error("expected the call to fail");
}

describe("classify", () => {
  it("posts the file as multipart to /v1/predict with top_k and returns the labels, variant and time", async () => {
    const predictions = [
      { label: "circle", probability: 0.7 },
      { label: "square", probability: 0.2 },
    ];
    const { calls, fetch } = recordingFetch(() =>
      json({ filename: "cat.jpg", predictions }, 200, { "X-Model-Variant": "primary", "X-Request-ID": "r-1" }),
    );
    let clock = 100;
    const api = createApi({ baseUrl: "http://api.test", fetch, now: () => (clock += 25) });

    const result = await api.classify(image(), 2);

    expect(calls).toHaveLength(1);
    expect(calls[0].url).toBe("http://api.test/v1/predict?top_k=2");
    expect(calls[0].init?.method).toBe("POST");
    const sent = (calls[0].init?.body as FormData).get("file") as File;
    expect(sent.name).toBe("cat.jpg");
    expect(result).toEqual({ predictions, variant: "primary", requestId: "r-1", elapsedMs: 25 });
  });

  it("turns the API's error body into an ApiError with its code, status and message", async () => {
    const { fetch } = recordingFetch(() => json({ code: "unsupported_media_type", message: "not an image" }, 415));
    const error = await failure(createApi({ fetch }).classify(image()));
    expect([error.code, error.status, error.message]).toEqual(["unsupported_media_type", 415, "not an image"]);
  });

  it("names an error without the API's body by its HTTP status", async () => {
    const { fetch } = recordingFetch(() => new Response("<html>Bad Gateway</html>", { status: 502 }));
    const error = await failure(createApi({ fetch }).classify(image()));
    expect([error.code, error.status]).toEqual(["http_502", 502]);
  });

  it("reports an API that cannot be reached as api_unreachable", async () => {
    const fetch = (async () => {
      throw new TypeError("Failed to fetch");
    }) as typeof globalThis.fetch;
    const error = await failure(createApi({ fetch }).classify(image()));
    expect([error.code, error.status]).toEqual([UNREACHABLE, null]);
  });

  it("gives up on a slow API after the time limit with api_timeout", async () => {
    const fetch = ((_: RequestInfo | URL, init?: RequestInit) =>
      new Promise((_resolve, reject) => {
        init?.signal?.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError")));
      })) as typeof globalThis.fetch;
    const error = await failure(createApi({ fetch, timeoutMs: 20 }).classify(image()));
    expect(error.code).toBe(TIMED_OUT);
    expect(error.message).toBe("no answer within 0.02 s");
  });

  it("refuses an answer without predictions instead of showing nothing", async () => {
    const { fetch } = recordingFetch(() => json({ filename: "cat.jpg", predictions: [] }));
    expect((await failure(createApi({ fetch }).classify(image()))).code).toBe("bad_answer");
  });
});

describe("modelInfo", () => {
  const ready = {
    status: "ready",
    model: { name: "models/run/best.pt", version: "0123456789ab" },
    classes: ["circle", "square", "triangle"],
    device: "cpu",
  };

  it("reports the model the readiness probe names, its device and its classes", async () => {
    const { calls, fetch } = recordingFetch(() => json(ready));
    const info = await createApi({ baseUrl: "", fetch }).modelInfo();
    expect(calls.map((call) => call.url)).toEqual(["/ready"]);
    expect(info).toEqual({ name: "models/run/best.pt", version: "0123456789ab", device: "cpu", classes: ready.classes });
  });

  it("fails with the API's code while the model is not loaded", async () => {
    const { fetch } = recordingFetch(() => json({ code: "model_not_loaded", message: "loading" }, 503));
    expect((await failure(createApi({ fetch }).modelInfo())).code).toBe("model_not_loaded");
  });
});

describe("configuredBaseUrl", () => {
  afterEach(() => vi.unstubAllEnvs());

  it("is the page's own origin unless the build names the API's address", () => {
    vi.stubEnv("VITE_API_URL", "");
    expect(configuredBaseUrl()).toBe("");
  });

  it("drops a trailing slash from VITE_API_URL, so paths join cleanly", () => {
    vi.stubEnv("VITE_API_URL", "http://localhost:8000/");
    expect(configuredBaseUrl()).toBe("http://localhost:8000");
  });
});
