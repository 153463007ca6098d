import { useCallback, useEffect, useState } from "react";
import { ApiError, type Api, type ModelInfo } from "../services/api";

export type ModelInfoState =
  | { state: "loading" }
  | { state: "ready"; info: ModelInfo }
  | { state: "failed"; error: ApiError };

/** What the API says about the model it serves, asked once on load and again on `retry`. */
export function useModelInfo(api: Api) {
  const [status, setStatus] = useState<ModelInfoState>({ state: "loading" });
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    let current = true;
    setStatus({ state: "loading" });
    api.modelInfo().then(
      (info) => current && setStatus({ state: "ready", info }),
      (error: unknown) =>
        current &&
        setStatus({
          state: "failed",
          error: error instanceof ApiError ? error : new ApiError("bad_answer", null, String(error)),
        }),
    );
    return () => {
      current = false;
    };
  }, [api, attempt]);

  const retry = useCallback(() => setAttempt((n) => n + 1), []);
  return { status, retry };
}
