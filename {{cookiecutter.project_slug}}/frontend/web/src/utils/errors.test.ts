import { describe, expect, it } from "vitest";
import contract from "../../../../api_contracts/openapi/v1/openapi.json";
import { ApiError, TIMED_OUT, UNREACHABLE } from "../services/api";
import { describeError } from "./errors";

const GENERIC = describeError(new ApiError("some_new_code", 418, "teapot")).title;

/** Every error code the contract names in its responses' descriptions, e.g. "(upload_too_large)". */
function contractCodes(): string[] {
  const codes = new Set<string>();
  for (const operations of Object.values(contract.paths)) {
    for (const operation of Object.values(operations as Record<string, { responses?: object }>)) {
      for (const [status, response] of Object.entries(operation.responses ?? {})) {
        if (Number(status) < 400) continue;
        const description = (response as { description?: string }).description ?? "";
        for (const match of description.matchAll(/\(([a-z_]+)\)/g)) codes.add(match[1]);
      }
    }
  }
  return [...codes].sort();
}

describe("describeError", () => {
  it("finds the codes of the committed contract", () => {
    expect(contractCodes()).toEqual(expect.arrayContaining(["upload_too_large", "model_not_loaded"]));
  });

  it.each(contractCodes())("says in plain words what the contract's %s means", (code) => {
    const described = describeError(new ApiError(code, 400, "message from the API"));
    expect(described.title).not.toBe(GENERIC);
    expect(described.code).toBe(code);
  });

  it("calls a file that is not an image what it is, whichever of the two codes the API uses", () => {
    for (const code of ["unsupported_media_type", "undecodable_image"]) {
      expect(describeError(new ApiError(code, 415, "")).title).toBe("This file is not an image the model can read.");
    }
  });

  it("says the file is too large, and the API down or slow, in words a person reads", () => {
    expect(describeError(new ApiError("upload_too_large", 413, "")).title).toBe("This file is too large.");
    expect(describeError(new ApiError(UNREACHABLE, null, "Failed to fetch")).title).toBe(
      "The API is down or cannot be reached.",
    );
    const slow = describeError(new ApiError(TIMED_OUT, null, "no answer within 30 s"));
    expect([slow.title, slow.detail]).toEqual([
      "The API is too slow.",
      "It sent no answer within 30 s. Try again, or try a smaller image.",
    ]);
  });

  it("falls back on the HTTP status for codes it does not know", () => {
    expect(describeError(new ApiError("rate_limited", 429, "")).title).toBe("Too many requests.");
    expect(describeError(new ApiError("unauthorized", 401, "")).title).toBe("The API refused the request.");
    expect(describeError(new ApiError("http_502", 502, "")).title).toBe("The server had a problem.");
    expect(describeError(new ApiError("odd", 409, "a conflict")).detail).toBe("a conflict");
  });
});
