/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** Where the API is, e.g. http://localhost:8000; empty: the page's own origin. */
  readonly VITE_API_URL?: string;
}
