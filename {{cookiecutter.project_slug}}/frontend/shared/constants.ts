/**
 * The parts of the API's v1 contract that the page relies on by name. The paths are checked
 * against the types generated from api_contracts/openapi/v1/openapi.json (`satisfies`), so a
 * route that moves in the contract breaks the build here rather than a request in a browser.
 */
import type { paths } from "./api-types";

type ContractPath = keyof paths;

export const PREDICT_PATH = "/v1/predict" satisfies ContractPath;
export const READY_PATH = "/ready" satisfies ContractPath;
export const HEALTH_PATH = "/health" satisfies ContractPath;

export const REQUEST_ID_HEADER = "X-Request-ID";
export const VARIANT_HEADER = "X-Model-Variant";

/** Labels asked for per image: the API's own default (TOP_K in settings.py). */
export const DEFAULT_TOP_K = 3;
/** The formats the API decodes; the file picker offers these first. */
export const ACCEPTED_IMAGE_TYPES = ["image/jpeg", "image/png", "image/bmp", "image/webp", "image/tiff"];
