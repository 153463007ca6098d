import { Button } from "../../../design_system";
import type { ModelInfoState } from "../hooks/useModelInfo";
import { ErrorMessage } from "./ErrorMessage";

/** One line on what answers: the model's name and version, the device, how many labels it knows. */
export function ModelInfo({ status, onRetry }: { status: ModelInfoState; onRetry: () => void }) {
  if (status.state === "loading") return <p className="model-info">Asking the API about its model…</p>;
  if (status.state === "failed") {
    return (
      <div className="model-info model-info--failed">
        <ErrorMessage error={status.error} />
        <Button variant="secondary" onClick={onRetry}>
          Ask the API again
        </Button>
      </div>
    );
  }
  const { name, version, device, classes } = status.info;
  return (
    <p className="model-info" data-testid="model-info">
      Model: <strong>{name}</strong> version <strong>{version}</strong>, running on <strong>{device}</strong>,{" "}
      knows {classes.length} labels.
    </p>
  );
}
