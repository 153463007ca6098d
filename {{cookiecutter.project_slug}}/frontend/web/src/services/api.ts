/**
 * The one module that talks to the API. Every request and every answer goes through here, typed
 * by shared/ (generated from the committed OpenAPI contract), and every failure becomes an
 * `ApiError` with a code: the API's own (`unsupported_media_type`, ...) or one of ours for what
 * never got an answer (`api_unreachable`, `api_timeout`).
 */
import {
  DEFAULT_TOP_K,
  type ErrorBody,
  PREDICT_PATH,
  type Prediction,
  type PredictionResponse,
  READY_PATH,
  type Readiness,
  REQUEST_ID_HEADER,
  VARIANT_HEADER,
} from "../../../shared";

/** Codes for failures that never reached an answer from the API. */
export const UNREACHABLE = "api_unreachable";
export const TIMED_OUT = "api_timeout";
export const BAD_ANSWER = "bad_answer";

/** How long a request may take before the page gives up on it. */
export const DEFAULT_TIMEOUT_MS = 30_000;

export class ApiError extends Error {
  readonly code: string;
  /** The HTTP status, or null when no answer came. */
  readonly status: number | null;

  constructor(code: string, status: number | null, message: string) {
    super(message);
    this.name = "ApiError";
    this.code = code;
    this.status = status;
  }
}

export interface Classification {
  predictions: Prediction[];
  /** Which model answered (primary, or candidate during an A/B rollout), when the API says. */
  variant: string | null;
  requestId: string | null;
  /** From sending the upload to having the parsed answer, in milliseconds. */
  elapsedMs: number;
}

export interface ModelInfo {
  /** The checkpoint the model was loaded from, and a digest of its weights, as `/ready` reports them. */
  name: string;
  version: string;
  device: string;
  classes: string[];
}

export interface ApiOptions {
  /** Where the API is: "" for the page's own origin (the API serves the page, or a proxy does). */
  baseUrl?: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
  now?: () => number;
}

/** The base URL the page was built with (VITE_API_URL), without a trailing slash. */
export function configuredBaseUrl(): string {
  return (import.meta.env.VITE_API_URL ?? "").replace(/\/+$/, "");
}

function isErrorBody(body: unknown): body is ErrorBody {
  return (
    typeof body === "object" &&
    body !== null &&
    typeof (body as ErrorBody).code === "string" &&
    typeof (body as ErrorBody).message === "string"
  );
}

export function createApi(options: ApiOptions = {}) {
  const baseUrl = options.baseUrl ?? configuredBaseUrl();
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const fetchFn = options.fetch ?? globalThis.fetch.bind(globalThis);
  const now = options.now ?? (() => performance.now());

  /** Send a request and read its JSON answer, all within the time limit. */
  async function exchange(path: string, init: RequestInit = {}): Promise<{ response: Response; body: unknown }> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    try {
      let response: Response;
      try {
        response = await fetchFn(`${baseUrl}${path}`, { ...init, signal: controller.signal });
      } catch (error) {
        throw noAnswer(error, controller.signal.aborted);
      }
      let body: unknown = null;
      try {
        body = await response.json();
      } catch (error) {
        if (controller.signal.aborted) throw noAnswer(error, true);
      }
      if (!response.ok) {
        throw isErrorBody(body)
          ? new ApiError(body.code, response.status, body.message)
          : new ApiError(`http_${response.status}`, response.status, response.statusText || "no error body");
      }
      return { response, body };
    } finally {
      clearTimeout(timer);
    }
  }

  function noAnswer(error: unknown, aborted: boolean): ApiError {
    if (aborted) return new ApiError(TIMED_OUT, null, `no answer within ${timeoutMs / 1000} s`);
    return new ApiError(UNREACHABLE, null, error instanceof Error ? error.message : String(error));
  }

  /** The top-k labels of one image file, most probable first. */
  async function classify(file: File, topK: number = DEFAULT_TOP_K): Promise<Classification> {
    const form = new FormData();
    form.append("file", file, file.name);
    const started = now();
    const { response, body } = await exchange(`${PREDICT_PATH}?top_k=${topK}`, { method: "POST", body: form });
    const answer = body as PredictionResponse | null;
    if (!answer || !Array.isArray(answer.predictions) || answer.predictions.length === 0) {
      throw new ApiError(BAD_ANSWER, response.status, "the answer holds no predictions");
    }
    return {
      predictions: answer.predictions,
      variant: response.headers.get(VARIANT_HEADER),
      requestId: response.headers.get(REQUEST_ID_HEADER),
      elapsedMs: now() - started,
    };
  }

  /** What the API serves: the loaded model's name and version, its device and classes. */
  async function modelInfo(): Promise<ModelInfo> {
    const ready = (await exchange(READY_PATH)).body as Readiness;
    return { name: ready.model.name, version: ready.model.version, device: ready.device, classes: ready.classes };
  }

  return { classify, modelInfo };
}

export type Api = ReturnType<typeof createApi>;
