// @vitest-environment happy-dom
import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { Bar, formatPercent } from "./Bar";

describe("Bar", () => {
  it("prints a share as a percentage with one decimal", () => {
    expect([formatPercent(0.1234), formatPercent(1), formatPercent(0)]).toEqual(["12.3%", "100.0%", "0.0%"]);
  });

  it("clamps values outside 0..1 instead of drawing past its track", () => {
    render(<Bar label="over" value={1.7} />);
    expect(screen.getByTestId("bar-fill").style.width).toBe("100%");
    expect(formatPercent(-0.2)).toBe("0.0%");
    expect(formatPercent(Number.NaN)).toBe("0.0%");
  });

  it("hides the drawn bar from assistive technology, which reads the label and number instead", () => {
    render(<Bar label="circle" value={0.5} />);
    expect(screen.getByTestId("bar-fill").parentElement?.getAttribute("aria-hidden")).toBe("true");
    expect(screen.getByText("circle")).toBeTruthy();
    expect(screen.getByText("50.0%")).toBeTruthy();
  });
});
