import type { HTMLAttributes } from "react";

/** A bordered surface that groups one thing: an image and its answer, a status line. */
export function Card({ className = "", ...rest }: HTMLAttributes<HTMLElement>) {
  return <section className={`ds-card ${className}`.trim()} {...rest} />;
}
