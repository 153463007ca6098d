// @vitest-environment happy-dom
import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { type Api, ApiError, type Classification } from "../services/api";
import { ClassifyPage } from "./ClassifyPage";

const png = (name: string) => new File([new Uint8Array([0x89, 0x50, 0x4e, 0x47])], name, { type: "image/png" });

/** An API whose answers the test releases one by one, recording the order of the uploads. */
function controlledApi() {
  const sent: string[] = [];
  const pending: ((outcome: Classification | ApiError) => void)[] = [];
  const api: Api = {
    modelInfo: async () => ({ name: "Shapes", version: "0.1.0", device: "cpu", classes: ["circle", "square"] }),
    classify: (file: File) =>
      new Promise<Classification>((resolve, reject) => {
        sent.push(file.name);
        pending.push((outcome) => (outcome instanceof ApiError ? reject(outcome) : resolve(outcome)));
      }),
  };
  return { api, sent, answer: (outcome: Classification | ApiError) => pending.shift()?.(outcome) };
}

const answer = (label: string): Classification => ({
  predictions: [{ label, probability: 0.9 }],
  variant: "primary",
  requestId: "r",
  elapsedMs: 12,
});

describe("ClassifyPage", () => {
  it("shows the model the API reports", async () => {
    render(<ClassifyPage api={controlledApi().api} />);
    expect((await screen.findByTestId("model-info")).textContent).toBe(
      "Model: Shapes version 0.1.0, running on cpu, knows 2 labels.",
    );
  });

  it("labels the file input, so it can be found and used without a mouse", () => {
    render(<ClassifyPage api={controlledApi().api} />);
    const input = screen.getByLabelText("Choose images") as HTMLInputElement;
    expect([input.type, input.multiple]).toEqual(["file", true]);
  });

  it("queues several images, sends them one at a time and shows each answer under its image", async () => {
    const { api, sent, answer: release } = controlledApi();
    render(<ClassifyPage api={api} />);
    fireEvent.change(screen.getByLabelText("Choose images"), { target: { files: [png("a.png"), png("b.png")] } });

    const first = await screen.findByRole("region", { name: "a.png" });
    const second = screen.getByRole("region", { name: "b.png" });
    await waitFor(() => expect(within(first).getByText("Classifying…")).toBeTruthy());
    expect(within(second).getByText("Waiting in the queue…")).toBeTruthy();
    expect(sent).toEqual(["a.png"]);

    release(answer("circle"));
    await waitFor(() => expect(sent).toEqual(["a.png", "b.png"]));
    expect(within(first).getByText("circle")).toBeTruthy();
    expect(first.querySelector(".result__meta")?.textContent).toBe("Answered in 12 ms by the primary model.");

    release(new ApiError("undecodable_image", 422, "cannot decode"));
    expect(await within(second).findByText("This file is not an image the model can read.")).toBeTruthy();
    expect(within(second).getByText("undecodable_image")).toBeTruthy();
  });
});
