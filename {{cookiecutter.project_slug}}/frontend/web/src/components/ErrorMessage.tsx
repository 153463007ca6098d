import { Alert } from "../../../design_system";
import type { ApiError } from "../services/api";
import { describeError } from "../utils/errors";

/** An `ApiError` in plain words, with the code the API (or the page) gave it. */
export function ErrorMessage({ error }: { error: ApiError }) {
  const { title, detail, code } = describeError(error);
  return (
    <Alert tone="error" title={title}>
      <p>{detail}</p>
      <p className="error-code">
        Error code: <code>{code}</code>
      </p>
    </Alert>
  );
}
