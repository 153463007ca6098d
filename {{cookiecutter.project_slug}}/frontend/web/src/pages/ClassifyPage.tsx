import { Button } from "../../../design_system";
import { ModelInfo } from "../components/ModelInfo";
import { DropZone } from "../components/DropZone";
import { ResultList } from "../components/ResultList";
import { useClassifier } from "../hooks/useClassifier";
import { useModelInfo } from "../hooks/useModelInfo";
import type { Api } from "../services/api";

/** The page: what model answers, where images go in, and the answers as they come. */
export function ClassifyPage({ api }: { api: Api }) {
  const model = useModelInfo(api);
  const { items, addFiles, clear } = useClassifier(api);
  return (
    <main className="page">
      <header className="page__header">
        <h1>Classify images</h1>
        <ModelInfo status={model.status} onRetry={model.retry} />
      </header>
      <DropZone onFiles={addFiles} />
      {items.length > 0 ? (
        <section className="page__results" aria-labelledby="results-title">
          <div className="page__results-header">
            <h2 id="results-title">Results</h2>
            <Button variant="secondary" onClick={clear}>
              Clear the list
            </Button>
          </div>
          <ResultList items={items} />
        </section>
      ) : null}
    </main>
  );
}
