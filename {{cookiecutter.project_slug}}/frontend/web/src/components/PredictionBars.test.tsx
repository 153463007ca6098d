// @vitest-environment happy-dom
import { render, screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { byProbability, PredictionBars, remainder } from "./PredictionBars";

const shuffled = [
  { label: "square", probability: 0.15 },
  { label: "circle", probability: 0.8 },
  { label: "triangle", probability: 0.04 },
];

function shownRows() {
  return within(screen.getByRole("list", { name: "Most probable labels" }))
    .getAllByRole("listitem")
    .map((row) => ({
      label: row.querySelector(".ds-bar__label")?.textContent,
      value: row.querySelector(".ds-bar__value")?.textContent,
      width: (row.querySelector("[data-testid=bar-fill]") as HTMLElement).style.width,
    }));
}

describe("PredictionBars", () => {
  it("draws the labels most probable first, whatever order they came in", () => {
    render(<PredictionBars predictions={shuffled} />);
    expect(shownRows().map((row) => row.label)).toEqual(["circle", "square", "triangle"]);
  });

  it("makes each bar as long as its probability and prints the same number", () => {
    render(<PredictionBars predictions={shuffled} />);
    expect(shownRows()).toEqual([
      { label: "circle", value: "80.0%", width: "80%" },
      { label: "square", value: "15.0%", width: "15%" },
      { label: "triangle", value: "4.0%", width: "4%" },
    ]);
  });

  it("shows what the other labels share, so the numbers on the page add up to 100%", () => {
    render(<PredictionBars predictions={shuffled} />);
    const shown = shownRows().map((row) => parseFloat(row.value ?? ""));
    const rest = parseFloat(screen.getByText(/All other labels/).textContent?.split(": ")[1] ?? "");
    expect(rest).toBe(1);
    expect(shown.reduce((a, b) => a + b, 0) + rest).toBeCloseTo(100, 5);
  });

  it("leaves out the other labels' line when the shown ones hold everything", () => {
    render(<PredictionBars predictions={[{ label: "circle", probability: 0.6 }, { label: "square", probability: 0.4 }]} />);
    expect(screen.queryByText(/All other labels/)).toBeNull();
  });

  it("never reports a negative remainder when rounding makes the labels sum past 1", () => {
    expect(remainder([{ label: "a", probability: 0.7 }, { label: "b", probability: 0.30000001 }])).toBe(0);
    expect(byProbability(shuffled)[0].label).toBe("circle");
  });
});
