/** The API's types, named for the page: generated from the committed contract, never written by hand. */
import type { components } from "./api-types";

export type Prediction = components["schemas"]["Prediction"];
export type PredictionResponse = components["schemas"]["PredictionResponse"];
export type Readiness = components["schemas"]["Readiness"];
export type ErrorBody = components["schemas"]["ErrorBody"];

export * from "./constants";
