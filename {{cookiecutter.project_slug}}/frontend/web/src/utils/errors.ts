/**
 * What an `ApiError` means for the person at the page, in plain words. The API's code is shown
 * next to them (`describeError(...).code`), so a report or a search can be precise.
 */
import { type ApiError, BAD_ANSWER, TIMED_OUT, UNREACHABLE } from "../services/api";

export interface ErrorDescription {
  title: string;
  detail: string;
  code: string;
}

const NOT_AN_IMAGE = "This file is not an image the model can read.";
const IMAGE_FORMATS = "Choose a JPEG, PNG, BMP, WebP or TIFF image.";
const STILL_LOADING = "The model is still loading.";

/** The API's codes (api_contracts/openapi/v1/openapi.json) and ours, in words. */
const BY_CODE: Record<string, (error: ApiError) => Omit<ErrorDescription, "code">> = {
  upload_too_large: () => ({
    title: "This file is too large.",
    detail: "The server refuses files this big. Choose a smaller image, or shrink this one.",
  }),
  image_too_large: () => ({
    title: "This image has too many pixels.",
    detail: "The server refuses images this large. Shrink it and try again.",
  }),
  unsupported_media_type: () => ({ title: NOT_AN_IMAGE, detail: IMAGE_FORMATS }),
  undecodable_image: () => ({
    title: NOT_AN_IMAGE,
    detail: `It could not be decoded: it may be damaged or cut short. ${IMAGE_FORMATS}`,
  }),
  model_not_loaded: () => ({ title: STILL_LOADING, detail: "Try again in a moment." }),
  not_ready: () => ({ title: STILL_LOADING, detail: "Try again in a moment." }),
  [UNREACHABLE]: () => ({
    title: "The API is down or cannot be reached.",
    detail: "Check that it is running and that this page's address is allowed to call it (CORS).",
  }),
  [TIMED_OUT]: (error) => ({
    title: "The API is too slow.",
    detail: `It sent ${error.message}. Try again, or try a smaller image.`,
  }),
  [BAD_ANSWER]: () => ({
    title: "The API sent an answer the page cannot read.",
    detail: "The page and the API may be of different versions.",
  }),
  invalid_request: (error) => ({ title: "The API rejected the request.", detail: error.message }),
  bad_request: () => ({ title: "The upload did not arrive intact.", detail: "Try again." }),
  internal_error: () => ({
    title: "The server failed on this image.",
    detail: "It has logged the error; try again later or with another image.",
  }),
};

function byStatus(error: ApiError): Omit<ErrorDescription, "code"> {
  const status = error.status ?? 0;
  if (status === 401 || status === 403) {
    return { title: "The API refused the request.", detail: "It needs valid credentials for this page." };
  }
  if (status === 429) return { title: "Too many requests.", detail: "Wait a moment, then try again." };
  if (status >= 500) return { title: "The server had a problem.", detail: "Try again later." };
  return { title: "The API answered with an error.", detail: error.message };
}

export function describeError(error: ApiError): ErrorDescription {
  const describe = BY_CODE[error.code] ?? byStatus;
  return { ...describe(error), code: error.code };
}
